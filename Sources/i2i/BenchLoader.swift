import ArgumentParser
import Data
import Foundation

/// `i2i bench loader`: how fast the loader decodes and augments, and how long a training-shaped loop waits for it.
struct BenchLoader: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "loader",
    abstract: "Loader throughput and the fraction of step time spent waiting for data.")

  @Option(help: "Unpaired data set root (with trainA, trainB).") var data = "data/fashion-shoes"
  @Option(help: "Channels the model asks for.") var channels = 3
  @Option(help: "Resize size (resize_and_crop).") var loadSize = 286
  @Option(help: "Crop size.") var cropSize = 256
  @Option(help: "Batch size.") var batchSize = 1
  @Option(help: "Batches per measurement.") var batches = 60
  @Option(help: "Batches queued ahead.") var prefetch = 2
  @Flag(help: "Simulate the step with a busy loop instead of a sleep.") var busy = false

  func run() throws {
    let dataset = try UnalignedDataset(
      root: data, kindA: .image(channels: channels), kindB: .image(channels: channels),
      transform: TransformOptions(preprocess: .resizeAndCrop, loadSize: loadSize, cropSize: cropSize))
    let imagesPerBatch = 2 * batchSize  // A and B

    // Throughput: the loop takes batches as fast as they come.
    let (perBatch, _) = try measure(dataset, step: 0)
    let imagesPerSecond = Double(imagesPerBatch) / perBatch
    print("data: \(data) (\(dataset.count) samples), batch \(batchSize), \(loadSize)->\(cropSize), \(channels) channels")
    print(String(format: "loader: %.1f images/s decoded and augmented (%.2f ms per batch)", imagesPerSecond, perBatch * 1e3))

    var waits: [(Double, Double)] = []
    for factor in [0.5, 1.0, 1.5, 2.0] {
      let step = perBatch * factor
      let (_, waitFraction) = try measure(dataset, step: step)
      waits.append((factor, waitFraction))
      print(String(format: "step %.2f ms (%.1fx decode time): waiting %.1f%% of the time", step * 1e3, factor, waitFraction * 100))
    }
    let summary = waits.map { String(format: "wait_at_%.1fx=%.3f", $0.0, $0.1) }.joined(separator: " ")
    print(String(format: "summary loader_images_per_s=%.1f ", imagesPerSecond) + summary)
  }

  /// Seconds per batch over the loop, and the fraction of the loop spent waiting in `next()`.
  private func measure(_ dataset: UnalignedDataset, step: Double) throws -> (Double, Double) {
    let sampler = try ShardedSampler(count: dataset.count, batchSize: batchSize, seed: 1)
    let loader = DataLoader(dataset: dataset, sampler: sampler, prefetch: prefetch)
    defer { loader.stop() }
    for _ in 0..<3 { _ = try loader.next(); simulateStep(step) }  // warm-up: fill the queue
    let waitedBefore = loader.totalWait
    let start = ContinuousClock.now
    for _ in 0..<batches { _ = try loader.next(); simulateStep(step) }
    let elapsed = seconds(start.duration(to: .now))
    return (elapsed / Double(batches), (loader.totalWait - waitedBefore) / elapsed)
  }

  private func simulateStep(_ duration: Double) {
    guard duration > 0 else { return }
    if busy {
      let end = ContinuousClock.now.advanced(by: .nanoseconds(Int64(duration * 1e9)))
      while ContinuousClock.now < end {}
    } else {
      Thread.sleep(forTimeInterval: duration)
    }
  }

  private func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
