import NN
import ArgumentParser
import Replicas
import Foundation
import Models
import Tensors
import Training

/// `i2i bench step`: wall time of whole training steps of a model from the catalog, on one process with
/// synthetic batches of the model's fields (batch 1, size×size, fixed seed: images uniform in [−1, 1), label maps
/// of random classes in 8×8 blocks, edge maps of random 0/1). One untimed warm-up step (it fills the buffer pool
/// and the optimiser state), then `--iters` timed ones. Other flags are the model's options, as for `i2i train`.
struct BenchStep: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "step",
    abstract: "Seconds per training step of a model on synthetic batches; last line median_s_per_iter.")

  @Option(help: "Model name, as for `i2i train --model`.") var model = ModelCatalog.standard.names[0]
  @Option(help: "Image height and width.") var size = 128
  @Option(help: "Generator filters in the first conv layer.") var ngf = 32
  @Option(help: "Discriminator filters in the first conv layer (default: the model's).") var ndf: Int?
  @Option(name: .customLong("netG"), help: "Generator architecture (models with --netG; default: the model's).") var netG: String?
  @Option(help: "Compute threads (BLAS and kernels).") var threads: Int = ComputeThreads.count
  @Option(help: "Timed steps (after one warm-up step).") var iters = 5
  @Option(help: "Seed of the weights and the synthetic batches.") var seed: UInt64 = 1
  /// Further options of the model (`--label-nc 35`, `--num-patches 64`).
  @Argument(parsing: .allUnrecognized, help: .hidden) var modelArguments: [String] = []

  func validate() throws {
    guard iters >= 1 else { throw ValidationError("--iters must be at least 1, got \(iters)") }
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    guard size >= 4 else { throw ValidationError("--size must be at least 4, got \(size)") }
  }

  func run() throws {
    ComputeThreads.set(threads)
    let (translation, fields) = try makeModel()
    let context = LocalReplicaContext()
    let batches = (0...iters).map { syntheticBatch($0, fields: fields) }
    try translation.dataDependentInitialize(batches[0], context: context)
    try translation.prepare(context: context)
    print("model=\(model) size=\(size) ngf=\(ngf)\(netG.map { " netG=\($0)" } ?? "") threads=\(threads) batch=1"
            + (modelArguments.isEmpty ? "" : " " + modelArguments.joined(separator: " ")))

    var times: [Double] = []
    for (step, batch) in batches.enumerated() {
      GemmFlops.reset()
      let (start, cpuStart) = (DispatchTime.now().uptimeNanoseconds, Self.cpuSeconds())
      let losses = try translation.trainStep(batch, step: step, context: context)
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpu = Self.cpuSeconds() - cpuStart
      let flops = Double(GemmFlops.total)
      let shown = losses.map { "\($0.name)=" + String(format: "%.4f", $0.value) }.joined(separator: " ")
      print(String(format: "%@ %.3f s  cpu %.3f s  gemm %.1f GFLOP (%.1f GFLOP/s)  ", step == 0 ? "warm-up" : "iter \(step) ",
                   seconds, cpu, flops / 1e9, flops / seconds / 1e9) + shown)
      if step > 0 { times.append(seconds) }
    }
    let sorted = times.sorted()
    let median = sorted.count % 2 == 1
      ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    print(String(format: "min_s_per_iter=%.4f", sorted[0]))
    print(String(format: "median_s_per_iter=%.4f", median))
  }

  /// User + system CPU time of the process so far (all threads): with `--threads` > 1, cpu ÷ wall shows how much
  /// of the step ran in parallel (and a busy machine shows as wall time above cpu ÷ threads).
  private static func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
  }

  /// The model as `i2i train` would build it: the model's reference defaults, then these flags.
  private func makeModel() throws -> (any TranslationModel, [BatchField]) {
    do {
      var o = try TrainingOptions(model: model)
      try o.setModelArguments(["--ngf", "\(ngf)"] + (netG.map { ["--netG", $0] } ?? []) + (ndf.map { ["--ndf", "\($0)"] } ?? [])
                                + modelArguments)
      o.seed = seed
      return (try o.makeModel(), o.fields)
    } catch let error as OptionError where error.option == "--model" {
      throw ValidationError("bench step: this build's model catalog cannot make '\(model)': \(error.reason)")
    }
  }

  /// Batch `step` of `fields`, each (1, C, size, size), keyed by (seed, step): images and exemplars uniform in
  /// [−1, 1), label and instance maps one random id per 8×8 block, edge maps random 0/1.
  private func syntheticBatch(_ step: Int, fields: [BatchField]) -> TrainingBatch {
    var rng = RandomStream(seed: seed, key: [0xBE57_57E9, UInt64(step)])
    var tensors: [String: Tensor] = [:]
    for field in fields {
      switch field.kind {
      case .image(let c), .exemplar(let c):
        tensors[field.name] = Tensor.uniform([1, c, size, size], low: -1, high: 1, &rng)
      case .labelMap(let classes, _):
        tensors[field.name] = blocks(classes, &rng)
      case .instanceMap:
        tensors[field.name] = blocks(16, &rng)
      case .edgeMap:
        tensors[field.name] = Tensor((0..<size * size).map { _ in rng.nextFloat() < 0.1 ? 1 : 0 }, [1, 1, size, size])
      }
    }
    return TrainingBatch(tensors)
  }

  /// (1, 1, size, size) ids in 0..<count, one per 8×8 block.
  private func blocks(_ count: Int, _ rng: inout RandomStream) -> Tensor {
    let side = (size + 7) / 8
    let ids = (0..<side * side).map { _ in Float(min(Int(rng.nextFloat() * Float(count)), count - 1)) }
    return Tensor((0..<size * size).map { ids[($0 / size / 8) * side + ($0 % size) / 8] }, [1, 1, size, size])
  }
}
