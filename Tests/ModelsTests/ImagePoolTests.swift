import XCTest
@testable import Models
import TestSupport
import NN
import Tensors

/// The history pool on 1×1 "images" whose value names them.
final class ImagePoolTests: XCTestCase {
  func images(_ values: [Float]) -> Tensor { Tensor(values, [values.count, 1, 1, 1]) }

  /// Queries one image per step, valued by step, from `start` on; returns what came back.
  func run(_ pool: ImagePool, steps: Range<Int>, rank: Int = 0) -> [Float] {
    steps.map { pool.query(images([Float($0)]), step: $0, rank: rank).item }
  }

  func testCapacityZeroPassesThrough() {
    let pool = ImagePool(capacity: 0, name: "p", seed: 1)
    let batch = images([1, 2, 3]).requiringGrad()
    let out = pool.query(batch, step: 0, rank: 0)
    XCTAssertEqual(out.scalars, [1, 2, 3])
    XCTAssertFalse(out.requiresGrad)
    XCTAssertEqual(pool.count, 0)
  }

  func testFillsToCapacityThenSwapsWithProbabilityOneHalf() {
    let pool = ImagePool(capacity: 50, name: "p", seed: 1)
    XCTAssertEqual(run(pool, steps: 0..<50), (0..<50).map(Float.init), "while filling, every image comes back")
    XCTAssertEqual(pool.count, 50)
    var stored = Set((0..<50).map(Float.init))
    var swaps = 0
    for step in 50..<450 {
      let out = run(pool, steps: step..<(step + 1))[0]
      if out != Float(step) {
        swaps += 1
        XCTAssertTrue(stored.remove(out) != nil, "step \(step): \(out) was not in the pool")
        stored.insert(Float(step))
      }
      XCTAssertEqual(Set(pool.images.map(\.item)), stored)
    }
    XCTAssertEqual(pool.count, 50)
    XCTAssertEqual(Double(swaps) / 400, 0.5, accuracy: 0.08)
  }

  func testABatchFillsTheLastSlotsThenDraws() {
    let pool = ImagePool(capacity: 3, name: "p", seed: 1)
    XCTAssertEqual(pool.query(images([1, 2]), step: 0, rank: 0).scalars, [1, 2])
    let out = pool.query(images([3, 4, 5, 6]), step: 1, rank: 0).scalars
    XCTAssertEqual(out[0], 3, "the third slot is filled with the first image")
    XCTAssertEqual(pool.count, 3)
    // 3 is stored and returned; every other image that was in the pool or came in is now stored or returned.
    XCTAssertEqual((pool.images.map(\.item) + out).sorted(), [1, 2, 3, 3, 4, 5, 6])
  }

  func testTheSameKeysGiveTheSameChoices() {
    let a = run(ImagePool(capacity: 5, name: "p", seed: 1), steps: 0..<60)
    XCTAssertEqual(run(ImagePool(capacity: 5, name: "p", seed: 1), steps: 0..<60), a)
    XCTAssertNotEqual(run(ImagePool(capacity: 5, name: "p", seed: 1), steps: 0..<60, rank: 1), a)
    XCTAssertNotEqual(run(ImagePool(capacity: 5, name: "q", seed: 1), steps: 0..<60), a)
    XCTAssertNotEqual(run(ImagePool(capacity: 5, name: "p", seed: 2), steps: 0..<60), a)
  }

  func testExportImportResumesIdentically() throws {
    let original = ImagePool(capacity: 5, name: "p", seed: 3)
    _ = run(original, steps: 0..<20)
    let state = original.stateDict()
    XCTAssertEqual(state.map(\.name), ["count", "images"])
    XCTAssertEqual(state[1].tensor.shape, [5, 1, 1, 1])
    let resumed = ImagePool(capacity: 5, name: "p", seed: 3)
    try resumed.loadStateDict(Dictionary(uniqueKeysWithValues: state.map { ($0.name, $0.tensor) }))
    XCTAssertEqual(run(resumed, steps: 20..<60), run(original, steps: 20..<60))
  }

  func testAnEmptyPoolExportsItsCountOnly() throws {
    let pool = ImagePool(capacity: 5, name: "p", seed: 3)
    XCTAssertEqual(pool.stateDict().map(\.name), ["count"])
    try pool.loadStateDict(["count": Tensor(scalar: 0)])
    XCTAssertEqual(pool.count, 0)
  }

  func testInvalidStateIsRejectedNamingTheKey() {
    let pool = ImagePool(capacity: 2, name: "fake_A_pool", seed: 3)
    XCTAssertThrowsError(try pool.loadStateDict(["count": Tensor(scalar: 3), "images": Tensor(zeros: [3, 1, 1, 1])])) {
      XCTAssertTrue("\($0)".contains("fake_A_pool.count"), "\($0)")
    }
    XCTAssertThrowsError(try pool.loadStateDict(["count": Tensor(scalar: 2)])) {
      XCTAssertEqual($0 as? StateDictError, .missingKeys(["fake_A_pool.images"]))
    }
    XCTAssertThrowsError(try pool.loadStateDict(["count": Tensor(scalar: 2), "images": Tensor(zeros: [1, 1, 1, 1])]))
    XCTAssertThrowsError(try pool.loadStateDict([:]))
  }
}

/// The pool's returns against the official ImagePool(3) for recorded draws (scripts/make_data_parity.py): six
/// queries of two 1×2×2 images; where the pool was full, the official p = random.uniform(0, 1) and, when p > 0.5,
/// its slot = random.randint(0, 2) are replayed. Copies only, so the values must be equal.
final class ImagePoolParityTests: XCTestCase {
  func testReturnsMatchTheOfficialPoolForRecordedDraws() throws {
    let fixture = try Fixture("data_parity")
    let pool = ImagePool(capacity: 3, name: "fake_B_pool", seed: 1)
    for q in 0..<6 {
      let draws = fixture["pool.draws.\(q)"]
      let returned = pool.query(fixture["pool.input.\(q)"]) { i in
        let p = draws.storage.base[2 * i], slot = draws.storage.base[2 * i + 1]
        XCTAssertGreaterThanOrEqual(p, 0, "query \(q) image \(i): i2i draws where the official pool was still filling")
        return p > 0.5 ? Int(slot) : nil
      }
      XCTAssertEqual(returned.shape, [2, 1, 2, 2])
      let expected = fixture["pool.output.\(q)"]
      XCTAssertEqual((0..<8).map { returned.storage.base[$0] }, (0..<8).map { expected.storage.base[$0] }, "query \(q)")
    }
  }
}
