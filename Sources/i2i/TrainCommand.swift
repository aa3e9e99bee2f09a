import ArgumentParser
import Distributed
import Training

/// `i2i train`: one training run, on one process or every rank of an `mpirun`/`srun` job.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "train",
    abstract: "Train a model (cyclegan, cut, fastcut, enco); under mpirun, data-parallel over the ranks.",
    discussion: "Options keep the reference code's names; both --n-epochs and --n_epochs are accepted.")

  @OptionGroup var arguments: TrainArguments
  @OptionGroup(title: "CUT, FastCUT and EnCo") var contrastive: ContrastiveArguments

  func run() throws {
    let communicator = try Communicator.world()
    try Job.run("train", communicator) {
      let options = try arguments.options(contrastive: contrastive)
      Job.configureThreads(options.threads, communicator)
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
