import ArgumentParser
import Distributed
import Training

/// `i2i train`: one training run, on one process or every rank of an `mpirun`/`srun` job.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "train",
    abstract: "Train a model; under mpirun, data-parallel over the ranks.",
    discussion: """
      Models (each model's options, with their defaults: i2i train --model NAME --help):
      \(ModelCatalog.standard.summary)

      Options keep the reference code's names; both --n-epochs and --n_epochs are accepted.
      SIGTERM, SIGINT (Ctrl-C), SIGUSR1 (Slurm's --signal=USR1@T) and SIGHUP make every rank stop at the next step \
      with a checkpoint (exit 128 + signal); a second signal ends the process at once. mpirun kills the ranks within \
      2 s of its own SIGTERM or Ctrl-C: launch it through cluster/forward-signals.sh (passes them on as SIGUSR1, \
      which mpirun forwards), or send mpirun SIGUSR1.
      """)

  @OptionGroup var arguments: TrainArguments
  /// The model's options (`--lambda-NCE 10`), read by its descriptor.
  @Argument(parsing: .allUnrecognized, help: .hidden) var modelArguments: [String] = []

  func run() throws {
    let communicator = try Communicator.world()
    try Job.run("train", communicator) {
      let options = try arguments.options(modelArguments: modelArguments)
      Job.configureThreads(options.threads, communicator)
      communicator.setCollectiveTimeout(options.collectiveTimeout)
      let context = MPIReplicaContext(communicator)
      let say: (String) -> Void = communicator.isRoot ? { print($0) } : { _ in }
      say("i2i train: \(options.model) on \(options.dataroot), \(communicator.size) rank(s) × batch \(options.batchSize)")
      StopRequest.install()
      let trainer = try Trainer(options: options, context: context, say: say)
      try trainer.run()
      if trainer.stopping { throw ExitCode(128 + max(StopRequest.signal, 0)) }
    }
  }
}
