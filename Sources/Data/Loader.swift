import Foundation

/// Produces a rank's batches on a background thread while the training step computes.
///
/// A `Thread` runs the sampler ahead, decodes and augments each batch, and puts it in a bounded queue of
/// `prefetch` batches; `next()` takes the oldest one and records how long the caller waited for it. An error on
/// the background thread is delivered, in order, as the error thrown by `next()` (it names the file). With
/// `skipBadImages`, a sample that fails is replaced by the next dataset index that loads (same slot, hence the
/// same random choices on every rank), after one warning per bad file.
public final class DataLoader: @unchecked Sendable {
  public let dataset: any ImageDataset
  /// Cursor after the last batch `next()` returned: what a checkpoint stores.
  public private(set) var cursor: SamplerCursor
  /// Seconds the caller spent blocked in `next()` for the last batch, and in total.
  public private(set) var lastWait: Double = 0
  public private(set) var totalWait: Double = 0
  public private(set) var batchesDelivered = 0

  private let queue: PrefetchQueue

  public init(dataset: any ImageDataset, sampler: ShardedSampler, prefetch: Int = 2, skipBadImages: Bool = false,
              warn: @escaping @Sendable (String) -> Void = DataLoader.printWarning) {
    precondition(sampler.count == dataset.count, "sampler over \(sampler.count) samples for a data set of \(dataset.count)")
    self.dataset = dataset
    self.cursor = sampler.cursor
    let queue = PrefetchQueue(capacity: max(1, prefetch))
    self.queue = queue
    let producer = BatchProducer(dataset: dataset, seed: sampler.seed, skipBadImages: skipBadImages, warn: warn)
    let thread = Thread {
      var sampler = sampler
      while true {
        let slots = sampler.next()
        let result = Result { try producer.batch(slots, cursor: sampler.cursor) }
        guard queue.put(result) else { return }
        if case .failure = result { queue.stop(); return }
      }
    }
    thread.name = "i2i-data-loader"
    thread.start()
  }

  deinit { queue.stop() }

  /// The next batch; blocks until the background thread has it ready.
  public func next() throws -> Batch {
    let start = ContinuousClock.now
    let result = queue.take()
    let waited = start.duration(to: .now)
    lastWait = Double(waited.components.seconds) + Double(waited.components.attoseconds) * 1e-18
    totalWait += lastWait
    let batch = try result.get()
    cursor = batch.cursor
    batchesDelivered += 1
    return batch
  }

  /// Stops the background thread (also done on deinit).
  public func stop() { queue.stop() }

  public static let printWarning: @Sendable (String) -> Void = { message in
    FileHandle.standardError.write(Data(("warning: " + message + "\n").utf8))
  }
}

/// Decodes and stacks the samples of one batch (runs on the loader thread).
final class BatchProducer: @unchecked Sendable {
  let dataset: any ImageDataset
  let seed: UInt64
  let skipBadImages: Bool
  let warn: @Sendable (String) -> Void
  private var bad: [Int: String] = [:]

  init(dataset: any ImageDataset, seed: UInt64, skipBadImages: Bool, warn: @escaping @Sendable (String) -> Void) {
    self.dataset = dataset
    self.seed = seed
    self.skipBadImages = skipBadImages
    self.warn = warn
  }

  func batch(_ slots: [SampleSlot], cursor: SamplerCursor) throws -> Batch {
    var samples: [Sample] = []
    samples.reserveCapacity(slots.count)
    for slot in slots { samples.append(try sample(slot)) }
    return try Batch(stacking: samples, slots: slots, cursor: cursor)
  }

  private func sample(_ slot: SampleSlot) throws -> Sample {
    guard skipBadImages else { return try dataset.sample(slot, seed: seed) }
    var firstError: Error?
    for step in 0..<dataset.count {
      let index = (slot.index + step) % dataset.count
      if bad[index] != nil { continue }
      do {
        return try dataset.sample(SampleSlot(epoch: slot.epoch, position: slot.position, index: index), seed: seed)
      } catch let error as DataError {
        switch error {
        case .badImage, .smallerThanCrop: break
        default: throw error
        }
        bad[index] = error.description
        warn("skipping sample \(index): \(error)")
        firstError = firstError ?? error
      }
    }
    throw firstError ?? DataError.invalidOption("every sample of the data set failed to load")
  }
}

/// A bounded FIFO between one producer thread and one consumer.
final class PrefetchQueue: @unchecked Sendable {
  private let condition = NSCondition()
  private var items: [Result<Batch, Error>] = []
  private var stopped = false
  let capacity: Int

  init(capacity: Int) { self.capacity = capacity }

  /// Blocks while full; false once stopped (the producer should exit).
  func put(_ item: Result<Batch, Error>) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while items.count >= capacity && !stopped { condition.wait() }
    guard !stopped else { return false }
    items.append(item)
    condition.broadcast()
    return true
  }

  /// Blocks while empty; once stopped, drains what is queued, then fails.
  func take() -> Result<Batch, Error> {
    condition.lock()
    defer { condition.unlock() }
    while items.isEmpty && !stopped { condition.wait() }
    guard !items.isEmpty else { return .failure(DataError.invalidOption("the data loader has stopped (after an error, or stop())")) }
    let item = items.removeFirst()
    condition.broadcast()
    return item
  }

  func stop() {
    condition.lock()
    stopped = true
    condition.broadcast()
    condition.unlock()
  }
}
