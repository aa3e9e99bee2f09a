import ArgumentParser

@main
struct I2I: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "i2i",
    abstract: "Data-parallel trainer for image-to-image translation GANs with contrastive losses.",
    subcommands: [TrainCommand.self, TranslateCommand.self, InspectCommand.self, Bench.self, DataCommand.self, EvalCommand.self, SelfCheck.self])
}

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure kernels and steps; prints machine-readable summary lines last.",
    subcommands: [BenchConv.self, BenchStep.self, BenchAllReduce.self, BenchLoader.self])
}
