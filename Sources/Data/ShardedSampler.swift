import Tensors

/// The whole state of the sampler: which epoch, and how many samples of its global order have been consumed.
/// It does not depend on the world size, so a checkpoint can resume on a different number of ranks.
public struct SamplerCursor: Codable, Equatable, Hashable, Sendable {
  public var epoch: Int
  public var consumed: Int
  public init(epoch: Int = 0, consumed: Int = 0) { self.epoch = epoch; self.consumed = consumed }
}

/// Shards one permutation per epoch over the ranks, as PyTorch's DistributedSampler does, with batches:
///
/// - Epoch e's global order is a permutation of 0..<n drawn from (seed, e) (identity without shuffling),
///   extended cyclically: position p holds sample perm[p mod n].
/// - With global batch G = B·N (B per rank, N ranks), the batch that starts at `cursor.consumed` = c covers
///   positions [c, c + G); rank r takes the contiguous block [c + rB, c + (r+1)B). Concatenating the rank
///   batches in rank order gives the 1-rank batch of size G.
///   (DistributedSampler strides single samples by rank; striding blocks of B keeps that concatenation exact.)
/// - The epoch ends when fewer than G positions remain (`dropLast`, the rest is skipped), or once c ≥ n
///   (otherwise: the last batch is padded by wrapping around to the start of the permutation).
public struct ShardedSampler: Sendable {
  public let count: Int
  public let batchSize: Int
  public let rank: Int
  public let worldSize: Int
  public let seed: UInt64
  public let shuffle: Bool
  public let dropLast: Bool
  /// Position of the next global batch.
  public private(set) var cursor: SamplerCursor

  private var cachedEpoch = -1
  private var cachedOrder: [Int] = []

  public init(count: Int, batchSize: Int, rank: Int = 0, worldSize: Int = 1, seed: UInt64, shuffle: Bool = true,
              dropLast: Bool = false, cursor: SamplerCursor = SamplerCursor()) throws {
    guard count > 0 else { throw DataError.invalidOption("the data set is empty") }
    guard batchSize > 0, worldSize > 0, (0..<worldSize).contains(rank) else {
      throw DataError.invalidOption("invalid batch size \(batchSize) or rank \(rank) of \(worldSize)")
    }
    guard !dropLast || count >= batchSize * worldSize else {
      throw DataError.invalidOption("the data set has \(count) samples, fewer than one global batch of \(batchSize * worldSize) with drop-last")
    }
    self.count = count
    self.batchSize = batchSize
    self.rank = rank
    self.worldSize = worldSize
    self.seed = seed
    self.shuffle = shuffle
    self.dropLast = dropLast
    self.cursor = cursor
    self.cursor = normalized(cursor)
  }

  public var globalBatchSize: Int { batchSize * worldSize }

  /// Batches in a whole epoch: ⌊n/G⌋ with drop-last, ⌈n/G⌉ otherwise.
  public var batchesPerEpoch: Int { dropLast ? count / globalBatchSize : (count + globalBatchSize - 1) / globalBatchSize }

  /// The order of epoch `epoch`: a permutation of 0..<count keyed by (seed, epoch), or the identity.
  public func order(epoch: Int) -> [Int] {
    if epoch == cachedEpoch { return cachedOrder }
    guard shuffle else { return Array(0..<count) }
    var random = RandomStream(seed: seed, key: [RandomPurpose.permutation.rawValue, UInt64(epoch)])
    return random.permutation(count)
  }

  /// The cursor moved to the next epoch if no batch can start where it points.
  public func normalized(_ c: SamplerCursor) -> SamplerCursor {
    let exhausted = dropLast ? c.consumed + globalBatchSize > count : c.consumed >= count
    return exhausted ? SamplerCursor(epoch: c.epoch + 1, consumed: 0) : c
  }

  /// The whole global batch at `cursor` (all ranks, in rank order), and the cursor after it.
  public mutating func globalBatch(at start: SamplerCursor) -> (slots: [SampleSlot], next: SamplerCursor) {
    let c = normalized(start)
    if c.epoch != cachedEpoch { cachedOrder = order(epoch: c.epoch); cachedEpoch = c.epoch }
    let slots = (c.consumed..<(c.consumed + globalBatchSize)).map {
      SampleSlot(epoch: c.epoch, position: $0, index: cachedOrder[$0 % count])
    }
    return (slots, normalized(SamplerCursor(epoch: c.epoch, consumed: c.consumed + globalBatchSize)))
  }

  /// This rank's next batch (its block of the global batch); advances the cursor past the global batch.
  public mutating func next() -> [SampleSlot] {
    let (slots, after) = globalBatch(at: cursor)
    cursor = after
    return Array(slots[(rank * batchSize)..<((rank + 1) * batchSize)])
  }

  /// Continue from a saved cursor (possibly saved with another world size).
  public mutating func resume(from saved: SamplerCursor) { cursor = normalized(saved) }
}
