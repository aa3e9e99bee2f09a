import ArgumentParser
import Distributed
import Foundation
import Models
import Tensors
import Training

/// `i2i bench step`: seconds per training iteration of a model on synthetic images (one process, batch 1 by
/// default), after one warm-up iteration; last line `median_s_per_iter=<x>`.
struct BenchStep: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "step",
    abstract: "Time whole training steps of a model (cyclegan, cut, fastcut, enco) on synthetic images.")

  @Option(help: "cyclegan, cut, fastcut or enco.") var model = "cyclegan"
  @Option(help: "Image height and width.") var size = 128
  @Option(help: "Generator filters in the first layer.") var ngf = 32
  @Option(help: "Discriminator filters in the first layer.") var ndf = 64
  @Option(name: .customLong("netG"), help: "resnet_9blocks or resnet_6blocks.") var netG = "resnet_9blocks"
  @Option(help: "Images per step.") var batchSize = 1
  @Option(help: "Compute threads (kernels and BLAS).") var threads: Int = ComputeThreads.count
  @Option(help: "Timed iterations (after one warm-up).") var iters = 5

  func run() throws {
    guard iters >= 1, size >= 32, size % 4 == 0, batchSize >= 1 else {
      throw ValidationError("--iters ≥ 1, --batch-size ≥ 1 and --size a multiple of 4 that is ≥ 32")
    }
    ComputeThreads.set(threads)
    var o = try TrainingOptions(model: model)
    (o.ngf, o.ndf, o.netG, o.cropSize, o.loadSize, o.batchSize) = (ngf, ndf, netG, size, size, batchSize)
    o.mirrorEnCoLayersForNetG()
    let translator = try ModelCatalog.make(o)
    let context = LocalReplicaContext()
    let batch = TrainingBatch(a: BenchStep.image(batchSize, size, key: 0), b: BenchStep.image(batchSize, size, key: 1))
    try translator.dataDependentInitialize(batch, context: context)
    try translator.prepare(context: context)
    print("\(model) step: \(batchSize)×3×\(size)×\(size), ngf \(ngf), ndf \(ndf), \(netG), \(threads) thread(s)")
    var times: [Double] = []
    for i in 0...iters {
      let start = ContinuousClock.now
      _ = try translator.trainStep(batch, step: i, context: context)
      let d = start.duration(to: .now)
      let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
      if i == 0 { print(String(format: "warm-up: %.3f s", seconds)); continue }
      times.append(seconds)
      print(String(format: "iter %d: %.3f s", i, seconds))
    }
    let sorted = times.sorted()
    let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    print(String(format: "median_s_per_iter=%.4f", median))
  }

  /// (n, 3, size, size) uniform in [−1, 1], the same every run.
  static func image(_ n: Int, _ size: Int, key: UInt64) -> Tensor {
    var rng = RandomStream(seed: 2024, key: [key])
    let t = Tensor(uninitialized: [n, 3, size, size])
    for i in 0..<t.count { t.storage.base[i] = rng.nextFloat() * 2 - 1 }
    return t
  }
}
