import NN
import ArgumentParser
import Replicas
import Foundation
import Models
import Tensors
import Training

/// `i2i bench step`: wall time of whole training steps of a model from the catalog, on one process with
/// synthetic batches (batch 1, 3 channels, size×size, uniform in [−1, 1), fixed seed). One untimed warm-up step
/// (it fills the buffer pool and the optimiser state), then `--iters` timed ones.
struct BenchStep: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "step",
    abstract: "Seconds per training step of a model on synthetic batches; last line median_s_per_iter.")

  @Option(help: "Model name, as for `i2i train --model`.") var model = ModelCatalog.standard.names[0]
  @Option(help: "Image height and width.") var size = 128
  @Option(help: "Generator filters in the first conv layer.") var ngf = 32
  @Option(help: "Discriminator filters in the first conv layer (default: the model's).") var ndf: Int?
  @Option(name: .customLong("netG"), help: "Generator architecture.") var netG = "resnet_6blocks"
  @Option(help: "Compute threads (BLAS and kernels).") var threads: Int = ComputeThreads.count
  @Option(help: "Timed steps (after one warm-up step).") var iters = 5
  @Option(help: "Seed of the weights and the synthetic batches.") var seed: UInt64 = 1

  func validate() throws {
    guard iters >= 1 else { throw ValidationError("--iters must be at least 1, got \(iters)") }
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    guard size >= 4 else { throw ValidationError("--size must be at least 4, got \(size)") }
  }

  func run() throws {
    ComputeThreads.set(threads)
    let translation = try makeModel()
    let context = LocalReplicaContext()
    let batches = (0...iters).map(syntheticBatch)
    try translation.dataDependentInitialize(batches[0], context: context)
    try translation.prepare(context: context)
    print("model=\(model) size=\(size) ngf=\(ngf) netG=\(netG) threads=\(threads) batch=1")

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
  private func makeModel() throws -> any TranslationModel {
    do {
      var o = try TrainingOptions(model: model)
      try o.setModelArguments(["--ngf", "\(ngf)", "--netG", netG] + (ndf.map { ["--ndf", "\($0)"] } ?? []))
      o.seed = seed
      return try o.makeModel()
    } catch let error as OptionError where error.option == "--model" {
      throw ValidationError("bench step: this build's model catalog cannot make '\(model)': \(error.reason)")
    }
  }

  /// Batch `step`: fields A and B, each (1, 3, size, size), uniform in [−1, 1), keyed by (seed, step).
  private func syntheticBatch(_ step: Int) -> TrainingBatch {
    var rng = RandomStream(seed: seed, key: [0xBE57_57E9, UInt64(step)])
    let a = Tensor.uniform([1, 3, size, size], low: -1, high: 1, &rng)
    let b = Tensor.uniform([1, 3, size, size], low: -1, high: 1, &rng)
    return TrainingBatch(a: a, b: b)
  }
}
