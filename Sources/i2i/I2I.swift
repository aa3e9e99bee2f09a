import ArgumentParser
import Training

@main
struct I2I: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "i2i",
    abstract: "Data-parallel trainer for image-to-image translation GANs with contrastive losses.",
    subcommands: [TrainCommand.self, TranslateCommand.self, InspectCommand.self, Bench.self, DataCommand.self, EvalCommand.self, SelfCheck.self])

  /// `i2i train --model NAME --help` adds the model's own options (with their defaults for NAME) to the help.
  static func main() {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == "train", arguments.contains("--help") || arguments.contains("-h"),
       let name = modelName(in: arguments), let descriptor = try? ModelCatalog.standard.descriptor(named: name) {
      print(TrainCommand.helpMessage())
      print("\n" + descriptor.helpText(for: name))
      return
    }
    main(nil)
  }

  /// The value of `--model NAME` or `--model=NAME`.
  static func modelName(in arguments: [String]) -> String? {
    for (i, a) in arguments.enumerated() {
      if a == "--model", i + 1 < arguments.count { return arguments[i + 1] }
      if a.hasPrefix("--model=") { return String(a.dropFirst("--model=".count)) }
    }
    return nil
  }
}

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure kernels and steps; prints machine-readable summary lines last.",
    subcommands: [BenchConv.self, BenchStep.self, BenchAllReduce.self, BenchLoader.self])
}
