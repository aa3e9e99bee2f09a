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
  @Option(help: "With --compare: a checkpoint both started from; compare the updates (a − base, b − base) instead of the weights.")
  var base: String?
  @Option(help: ArgumentHelp("With --base: per tensor, |Δa − Δb| ≤ R·rms(Δb) + atol + 2·step·u·|w| (u = 2⁻²⁴, the rounding of the stored weights), instead of the element-wise rtol.", valueName: "R"))
  var rmsTolerance: Float?

  func run() throws {
    let checkpoint = try InspectCommand.resolve(path)
    let state: CheckpointState
    do { state = try CheckpointStore.verify(checkpoint) } catch {
      print("checkpoint \(checkpoint.path)\nchecksums: FAILED (\(error))")
      throw ExitCode(1)
    }
    if rmsTolerance != nil && base == nil { throw ValidationError("--rms-tolerance compares updates: it needs --base") }
    if let compare {
      return try compareWeights(checkpoint, try InspectCommand.resolve(compare), base: try base.map(InspectCommand.resolve),
                                state)
    }
    print("checkpoint \(checkpoint.path)")
    print("model \(state.model), step \(state.step), epoch \(state.epoch), written by \(state.worldSize) rank(s) at \(state.created)")
    print("data cursor: epoch \(state.cursorEpoch), \(state.cursorConsumed) samples consumed")
    print("checksums: all \(state.files.count) files verify")
    let keys = ["dataroot", "netG", "netD", "ngf", "ndf", "inputNC", "outputNC", "norm", "batchSize", "lr", "nEpochs", "nEpochsDecay"]
    print("options: " + keys.compactMap { k in state.options[k].map { "--\(TrainingOptions.flagName(k, model: state.model)) \($0)" } }.joined(separator: " "))
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

  /// Every tensor of every net_* file: |a − b| ≤ atol + rtol·|b|, or with a base, |(a − base) − (b − base)| ≤
  /// atol + rtol·|b − base|; prints the worst and fails if any exceeds.
  private func compareWeights(_ a: URL, _ b: URL, base: URL?, _ state: CheckpointState) throws {
    var worst = (ratio: Float(0), name: "")
    for name in state.files.keys.sorted() where name.hasPrefix("net_") {
      let x = try SafeTensors.read(a.appendingPathComponent(name)), y = try SafeTensors.read(b.appendingPathComponent(name))
      guard Set(x.names) == Set(y.names) else { throw ValidationError("\(name): the two checkpoints hold different tensors") }
      let origin = try base.map { try SafeTensors.read($0.appendingPathComponent(name)) }
      for key in x.names.sorted() {
        let (p, q) = (x.tensors[key]!, y.tensors[key]!)
        guard p.shape == q.shape else { throw ValidationError("\(name) \(key): shapes \(p.shape) and \(q.shape) differ") }
        let o = origin?.tensors[key]
        if let origin, o?.shape != p.shape {
          throw ValidationError("\(name) \(key): not in the base checkpoint with shape \(p.shape) (\(origin.names.count) tensors)")
        }
        let scale = rmsTolerance.map { $0 * rootMeanSquare(q, minus: o) } ?? 0
        let storedRounding = rmsTolerance == nil ? 0 : 2 * Float(state.step) * 0x1p-24
        for i in 0..<p.count {
          let start = o?.storage.base[i] ?? 0
          let (u, v) = (p.storage.base[i] - start, q.storage.base[i] - start)
          let magnitude = max(abs(p.storage.base[i]), abs(q.storage.base[i]))
          let bound = rmsTolerance == nil ? atol + rtol * abs(v) : scale + atol + storedRounding * magnitude
          let ratio = abs(u - v) / max(bound, .leastNonzeroMagnitude)
          if !(ratio <= worst.ratio) { worst = (ratio.isNaN ? .infinity : ratio, "\(name) \(key)[\(i)]: \(u) vs \(v)") }
        }
      }
    }
    print("worst |a − b| / tolerance = \(worst.ratio)\(worst.name.isEmpty ? "" : " at " + worst.name)")
    let tolerance = rmsTolerance.map { "\($0)·rms of the update, atol \(atol)" } ?? "rtol \(rtol), atol \(atol)"
    let what = base == nil ? "weights" : "updates from the base"
    if worst.ratio > 1 { print("\(what) differ beyond \(tolerance)"); throw ExitCode(1) }
    print("\(what) agree within \(tolerance)")
  }

  /// √(mean((t − origin)²)) in Double; the origin is 0 without a base.
  private func rootMeanSquare(_ t: Tensor, minus origin: Tensor?) -> Float {
    var sum = 0.0
    for i in 0..<t.count {
      let d = Double(t.storage.base[i]) - Double(origin?.storage.base[i] ?? 0)
      sum += d * d
    }
    return Float((sum / Double(max(t.count, 1))).squareRoot())
  }
}
