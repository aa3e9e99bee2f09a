import Foundation
import Synchronization
import XCTest
@testable import Data
import Tensors

final class LoaderTests: XCTestCase {
  /// root/trainA: 7 RGB images, root/trainB: 4; crop 8 from 12×10 with flips.
  private func dataset() throws -> UnalignedDataset {
    let root = try temporaryFolder(self)
    for i in 0..<7 { try writeImage(testImage(width: 12, height: 10, channels: 3, seed: i), root + "/trainA", "a\(i).png") }
    for i in 0..<4 { try writeImage(testImage(width: 12, height: 10, channels: 3, seed: 20 + i), root + "/trainB", "b\(i).png") }
    return try UnalignedDataset(root: root, transform: TransformOptions(preprocess: .crop, cropSize: 8))
  }

  func testBatchesAreTheSamplersSlotsStacked() throws {
    let data = try dataset()
    var sampler = try ShardedSampler(count: data.count, batchSize: 3, seed: 11)
    let loader = DataLoader(dataset: data, sampler: sampler)
    for _ in 0..<6 {
      let batch = try loader.next()
      let slots = sampler.next()
      XCTAssertEqual(batch.slots, slots)
      XCTAssertEqual(batch.cursor, sampler.cursor)
      XCTAssertEqual(loader.cursor, sampler.cursor)
      let expected = try Batch(stacking: try slots.map { try data.sample($0, seed: 11) }, slots: slots, cursor: sampler.cursor)
      XCTAssertEqual(batch["A"].shape, [3, 3, 8, 8])
      XCTAssertEqual(batch["A"].scalars, expected["A"].scalars)
      XCTAssertEqual(batch["B"].scalars, expected["B"].scalars)
      XCTAssertEqual(batch.paths["A"], expected.paths["A"])
    }
  }

  /// N ranks × batch b: the rank batches, concatenated in rank order, are the 1-rank batch of N·b — pixels included.
  func testRankBatchesConcatenateToTheOneRankBatch() throws {
    let data = try dataset()
    func tensors(_ worldSize: Int, _ batchSize: Int) throws -> [[Float]] {
      let loaders = try (0..<worldSize).map {
        DataLoader(dataset: data, sampler: try ShardedSampler(count: data.count, batchSize: batchSize, rank: $0,
                                                              worldSize: worldSize, seed: 5))
      }
      return try (0..<5).map { _ in try loaders.flatMap { try $0.next()["B"].scalars } }
    }
    let one = try tensors(1, 6)
    XCTAssertEqual(try tensors(2, 3), one)
    XCTAssertEqual(try tensors(3, 2), one)
  }

  func testResumeFromTheLoadersCursor() throws {
    let data = try dataset()
    let sampler = try ShardedSampler(count: data.count, batchSize: 2, seed: 8)
    let uninterrupted = DataLoader(dataset: data, sampler: sampler)
    let interrupted = DataLoader(dataset: data, sampler: sampler)
    for _ in 0..<5 { _ = try uninterrupted.next(); _ = try interrupted.next() }
    var resumedSampler = sampler
    resumedSampler.resume(from: interrupted.cursor)
    interrupted.stop()
    let resumed = DataLoader(dataset: data, sampler: resumedSampler)
    for _ in 0..<4 { XCTAssertEqual(try resumed.next()["A"].scalars, try uninterrupted.next()["A"].scalars) }
  }

  func testBackgroundErrorsNameTheFileAndCanBeSkipped() throws {
    let root = try temporaryFolder(self)
    for i in 0..<4 { try writeImage(testImage(width: 8, height: 8, channels: 1, seed: i), root, "img\(i).png") }
    let bad = root + "/img2.png"
    try Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]).write(to: URL(fileURLWithPath: bad))
    let data = try SingleDataset(folder: root, kind: .image(channels: 1), transform: TransformOptions(preprocess: .none, flip: false))
    let sampler = try ShardedSampler(count: 4, batchSize: 1, seed: 1, shuffle: false)

    let strict = DataLoader(dataset: data, sampler: sampler)
    XCTAssertEqual(try strict.next().paths["A"], [root + "/img0.png"])
    XCTAssertEqual(try strict.next().paths["A"], [root + "/img1.png"])
    assertNamedError(bad) { _ = try strict.next() }
    XCTAssertThrowsError(try strict.next(), "the loader stays stopped after an error")

    let warnings = Mutex<[String]>([])
    let skipping = DataLoader(dataset: data, sampler: sampler, skipBadImages: true,
                              warn: { message in warnings.withLock { $0.append(message) } })
    let paths = try (0..<8).map { _ in try skipping.next().paths["A"]![0] }
    XCTAssertEqual(paths.map { URL(fileURLWithPath: $0).lastPathComponent },
                   ["img0.png", "img1.png", "img3.png", "img3.png", "img0.png", "img1.png", "img3.png", "img3.png"])
    let seen = warnings.withLock { $0 }
    XCTAssertEqual(seen.count, 1, "one warning per bad file")
    XCTAssertTrue(seen[0].contains(bad))
  }

  /// The step waits while the background thread is slower than the step; the wait is recorded.
  func testWaitTimeIsRecorded() throws {
    let loader = DataLoader(dataset: SlowDataset(delay: 0.03), sampler: try ShardedSampler(count: 4, batchSize: 2, seed: 1))
    _ = try loader.next()
    XCTAssertGreaterThan(loader.lastWait, 0.03)
    _ = try loader.next()
    XCTAssertGreaterThanOrEqual(loader.totalWait, loader.lastWait)
    XCTAssertEqual(loader.batchesDelivered, 2)
  }
}

/// A dataset whose samples take `delay` seconds each.
private struct SlowDataset: ImageDataset {
  var files: [String] { [] }
  let delay: Double
  var count: Int { 4 }
  func sample(_ slot: SampleSlot, seed: UInt64) throws -> Sample {
    Thread.sleep(forTimeInterval: delay)
    let image = Image(width: 2, height: 2, channels: 1, pixels: [UInt8](repeating: UInt8(slot.index), count: 4))
    return Sample(fields: ["A": Sample.Field(image: image, path: "slot\(slot.position)", kind: .image(channels: 1))])
  }
}
