import XCTest
@testable import Data

/// One global order per epoch, sharded so that any world size sees the same global batches, and a cursor that
/// resumes exactly.
final class SamplerTests: XCTestCase {
  /// The global batches of `steps` steps, as the concatenation of every rank's batch in rank order.
  private func globalBatches(count: Int, worldSize: Int, batchSize: Int, dropLast: Bool, steps: Int,
                             from cursor: SamplerCursor = SamplerCursor()) throws -> [[SampleSlot]] {
    var ranks = try (0..<worldSize).map {
      try ShardedSampler(count: count, batchSize: batchSize, rank: $0, worldSize: worldSize, seed: 42,
                         dropLast: dropLast, cursor: cursor)
    }
    var batches: [[SampleSlot]] = []
    for _ in 0..<steps {
      var batch: [SampleSlot] = []
      for r in 0..<worldSize { batch += ranks[r].next() }
      XCTAssertTrue(ranks.allSatisfy { $0.cursor == ranks[0].cursor }, "ranks agree on the cursor")
      batches.append(batch)
    }
    return batches
  }

  func testSameGlobalBatchesForWorldSizes1To3() throws {
    for dropLast in [false, true] {
      let one = try globalBatches(count: 20, worldSize: 1, batchSize: 6, dropLast: dropLast, steps: 15)
      XCTAssertEqual(try globalBatches(count: 20, worldSize: 2, batchSize: 3, dropLast: dropLast, steps: 15), one)
      XCTAssertEqual(try globalBatches(count: 20, worldSize: 3, batchSize: 2, dropLast: dropLast, steps: 15), one)
    }
  }

  func testEpochsArePermutationsWithPaddingOrDropLast() throws {
    // n = 20, G = 6: 4 batches per epoch; padding wraps 4 samples, drop-last skips 2.
    let padded = try globalBatches(count: 20, worldSize: 2, batchSize: 3, dropLast: false, steps: 8)
    let epoch0 = padded[0..<4].flatMap { $0 }
    XCTAssertEqual(Set(epoch0.prefix(20).map(\.index)), Set(0..<20))
    XCTAssertEqual(epoch0.map(\.position), Array(0..<24))
    XCTAssertEqual(epoch0[20...].map(\.index), epoch0[0..<4].map(\.index), "padding repeats the start of the order")
    XCTAssertTrue(padded[4].allSatisfy { $0.epoch == 1 })
    XCTAssertNotEqual(padded[4...].flatMap { $0 }.map(\.index), epoch0.map(\.index), "each epoch reshuffles")

    let dropped = try globalBatches(count: 20, worldSize: 2, batchSize: 3, dropLast: true, steps: 6)
    XCTAssertEqual(dropped[0..<3].flatMap { $0 }.map(\.position), Array(0..<18))
    XCTAssertTrue(dropped[3].allSatisfy { $0.epoch == 1 && $0.position < 6 })
    let sampler = try ShardedSampler(count: 20, batchSize: 3, worldSize: 2, seed: 42, dropLast: true)
    XCTAssertEqual(sampler.batchesPerEpoch, 3)
    XCTAssertEqual(try ShardedSampler(count: 20, batchSize: 3, worldSize: 2, seed: 42).batchesPerEpoch, 4)
    XCTAssertEqual(try ShardedSampler(count: 5, batchSize: 2, seed: 1, shuffle: false).order(epoch: 3), [0, 1, 2, 3, 4])
  }

  /// Stopping after k steps and resuming from the saved cursor gives what the uninterrupted run gives, also
  /// when the run resumes on another number of ranks.
  func testResumeFromCursorMatchesUninterruptedRun() throws {
    for dropLast in [false, true] {
      let uninterrupted = try globalBatches(count: 23, worldSize: 2, batchSize: 3, dropLast: dropLast, steps: 20)
      for k in [1, 3, 4, 7, 11] {
        var sampler = try ShardedSampler(count: 23, batchSize: 3, rank: 1, worldSize: 2, seed: 42, dropLast: dropLast)
        for _ in 0..<k { _ = sampler.next() }
        let saved = sampler.cursor
        for (n, b) in [(1, 6), (2, 3), (3, 2), (6, 1)] {
          let resumed = try globalBatches(count: 23, worldSize: n, batchSize: b, dropLast: dropLast, steps: 20 - k, from: saved)
          XCTAssertEqual(resumed, Array(uninterrupted[k...]), "k \(k), \(n) ranks")
        }
      }
    }
  }

  /// With a different global batch size the stream of samples continues from the cursor (to the epoch's end).
  func testResumeWithAnotherGlobalBatchContinuesTheSampleStream() throws {
    let before = try globalBatches(count: 23, worldSize: 2, batchSize: 3, dropLast: false, steps: 2)
    let cursor = SamplerCursor(epoch: 0, consumed: 12)
    let after = try globalBatches(count: 23, worldSize: 2, batchSize: 2, dropLast: false, steps: 3, from: cursor)
    let all = try ShardedSampler(count: 23, batchSize: 1, seed: 42).order(epoch: 0)
    XCTAssertEqual((before + after).flatMap { $0 }.map(\.index), Array(all[0..<23] + all[0..<1]))
  }

  func testInvalidConfigurationsAreErrors() {
    XCTAssertThrowsError(try ShardedSampler(count: 0, batchSize: 1, seed: 1))
    XCTAssertThrowsError(try ShardedSampler(count: 5, batchSize: 2, rank: 2, worldSize: 2, seed: 1))
    XCTAssertThrowsError(try ShardedSampler(count: 5, batchSize: 3, worldSize: 2, seed: 1, dropLast: true))
  }
}
