import ArgumentParser
import Foundation
import Tensors
import Training

/// `i2i inspect`: what a checkpoint holds and whether its files verify; with `--compare`, whether two checkpoints
/// hold the same weights within a tolerance.
struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "inspect",
    abstract: "Show a checkpoint (step, epoch, world size, options, tensors, checksum status).")

  @Argument(help: "A checkpoint directory (step-XXXXXXXX) or a run directory (its newest checkpoint).") var path: String
  @Flag(help: "List the tensors of every file (the networks' are always listed).") var tensors = false
  @Option(help: "Another checkpoint: compare every tensor of the net_* files.") var compare: String?
  @Option(help: "Relative tolerance for --compare.") var rtol: Float = 0
  @Option(help: "Absolute tolerance for --compare.") var atol: Float = 0

  func run() throws {
    let checkpoint = try InspectCommand.resolve(path)
    let state: CheckpointState
    do { state = try CheckpointStore.verify(checkpoint) } catch {
      print("checkpoint \(checkpoint.path)\nchecksums: FAILED (\(error))")
      throw ExitCode(1)
    }
    if let compare { return try compareWeights(checkpoint, try InspectCommand.resolve(compare), state) }
    print("checkpoint \(checkpoint.path)")
    print("model \(state.model), step \(state.step), epoch \(state.epoch), written by \(state.worldSize) rank(s) at \(state.created)")
    print("data cursor: epoch \(state.cursorEpoch), \(state.cursorConsumed) samples consumed")
    print("checksums: all \(state.files.count) files verify")
    let keys = ["dataroot", "netG", "netD", "ngf", "ndf", "inputNC", "outputNC", "norm", "batchSize", "lr", "nEpochs", "nEpochsDecay"]
    print("options: " + keys.compactMap { k in state.options[k].map { "--\(TrainingOptions.flagName(k)) \($0)" } }.joined(separator: " "))
    for name in state.files.keys.sorted() where name.hasSuffix(".safetensors") {
      let file = try SafeTensors.read(checkpoint.appendingPathComponent(name))
      let count = file.tensors.values.reduce(0) { $0 + $1.count }
      print("  \(name): \(file.names.count) tensors, \(count) values")
      if tensors || name.hasPrefix("net_") { for n in file.names { print("    \(n) \(file.tensors[n]!.shape)") } }
    }
  }

  /// A checkpoint directory, or the newest checkpoint of a run directory.
  static func resolve(_ path: String) throws -> URL {
    let url = URL(fileURLWithPath: path)
    if FileManager.default.fileExists(atPath: url.appendingPathComponent("state.json").path) { return url }
    guard let newest = CheckpointStore(directory: url, keep: 1).checkpoints().first else {
      throw ValidationError("\(path) is neither a checkpoint (no state.json) nor a run directory with checkpoints")
    }
    return newest
  }

  /// Every tensor of every net_* file: |a − b| ≤ atol + rtol·|b|; prints the worst and fails if any exceeds.
  private func compareWeights(_ a: URL, _ b: URL, _ state: CheckpointState) throws {
    var worst = (ratio: Float(0), name: "")
    for name in state.files.keys.sorted() where name.hasPrefix("net_") {
      let x = try SafeTensors.read(a.appendingPathComponent(name)), y = try SafeTensors.read(b.appendingPathComponent(name))
      guard Set(x.names) == Set(y.names) else { throw ValidationError("\(name): the two checkpoints hold different tensors") }
      for key in x.names {
        let (p, q) = (x.tensors[key]!, y.tensors[key]!)
        guard p.shape == q.shape else { throw ValidationError("\(name) \(key): shapes \(p.shape) and \(q.shape) differ") }
        for i in 0..<p.count {
          let (u, v) = (p.storage.base[i], q.storage.base[i])
          let ratio = abs(u - v) / max(atol + rtol * abs(v), .leastNonzeroMagnitude)
          if !(ratio <= worst.ratio) { worst = (ratio.isNaN ? .infinity : ratio, "\(name) \(key)[\(i)]: \(u) vs \(v)") }
        }
      }
    }
    print("worst |a − b| / (atol + rtol·|b|) = \(worst.ratio)\(worst.name.isEmpty ? "" : " at " + worst.name)")
    if worst.ratio > 1 { print("weights differ beyond rtol \(rtol), atol \(atol)"); throw ExitCode(1) }
    print("weights agree within rtol \(rtol), atol \(atol)")
  }
}
