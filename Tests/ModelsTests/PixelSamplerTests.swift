import XCTest
import Models
import NN
import Tensors
import TestSupport

/// The pixels the contrastive loss picks (spec §2.6): how many, which, keyed by the global image index.
final class PixelSamplerTests: XCTestCase {
  /// n images of h×w ids from 0..<classes, with some `dontCare`.
  static func ids(_ n: Int, _ positions: Int, classes: Int, dontCare: Int?, seed: UInt64) -> [[Int]] {
    var rng = RandomStream(seed: seed)
    return (0..<n).map { _ in
      (0..<positions).map { _ in
        if let dontCare, rng.nextFloat() < 0.15 { return dontCare }
        return min(rng.nextInt(below: classes * classes), classes * classes - 1) / classes  // skewed: class 0 rare
      }
    }
  }

  func testAtMostKPerPresentClassPerImageAndNeverDontCare() {
    let sampler = PixelSampler(classes: 5, pixelsPerClass: 4, dontCare: 255)
    let ids = Self.ids(6, 30, classes: 5, dontCare: 255, seed: 1)
    let picks = sampler.sample(ids, seed: 3, step: 2, firstGlobalImage: 0)
    for (b, own) in picks.enumerated() {
      XCTAssertEqual(Set(own.map(\.position)).count, own.count, "image \(b): a pixel picked twice")
      for p in own { XCTAssertEqual(ids[b][p.position], p.label, "image \(b): the pick's class is its id") }
      XCTAssertFalse(own.contains { $0.label == 255 })
      for c in 0..<5 {
        let present = ids[b].filter { $0 == c }.count
        XCTAssertEqual(own.filter { $0.label == c }.count, min(present, 4), "image \(b), class \(c)")
      }
      XCTAssertEqual(own.map(\.label), own.map(\.label).sorted(), "picks come class by class")
    }
  }

  /// Image g's picks depend on (seed, step, g) only: 4 images at once equal 2 + 2 with the right first index.
  func testKeyedByGlobalImageIndexNotByTheSplit() {
    let sampler = PixelSampler(classes: 3, pixelsPerClass: 2)
    let ids = Self.ids(4, 20, classes: 3, dontCare: nil, seed: 2)
    let whole = sampler.sample(ids, seed: 5, step: 9, firstGlobalImage: 10)
    let split = sampler.sample(Array(ids[0..<2]), seed: 5, step: 9, firstGlobalImage: 10)
      + sampler.sample(Array(ids[2..<4]), seed: 5, step: 9, firstGlobalImage: 12)
    XCTAssertEqual(whole, split)
    XCTAssertEqual(whole, sampler.sample(ids, seed: 5, step: 9, firstGlobalImage: 10), "repeatable")
    XCTAssertNotEqual(whole, sampler.sample(ids, seed: 5, step: 10, firstGlobalImage: 10), "the step keys it")
    XCTAssertNotEqual(whole, sampler.sample(ids, seed: 6, step: 9, firstGlobalImage: 10), "the seed keys it")
    XCTAssertNotEqual(whole[0], sampler.sample(Array(ids[0..<1]), seed: 5, step: 9, firstGlobalImage: 11)[0],
                      "the image index keys it")
  }

  /// One pick among a class's 4 pixels, 4000 times: each is picked about 1000 times (σ ≈ 27; the bound is ≈ 3.7σ).
  func testPicksAreUniformWithinAClass() {
    let sampler = PixelSampler(classes: 2, pixelsPerClass: 1)
    let ids = [[1, 0, 1, 0, 0, 1, 1, 0]]
    var counts = [Int: Int]()
    for step in 0..<4000 {
      for p in sampler.sample(ids, seed: 1, step: step, firstGlobalImage: 0)[0] where p.label == 1 {
        counts[p.position, default: 0] += 1
      }
    }
    XCTAssertEqual(Set(counts.keys), [0, 2, 5, 6])
    for (position, n) in counts { XCTAssertEqual(Double(n), 1000, accuracy: 100, "position \(position)") }
  }

  /// Labels at 4×4 read at 2×2 through PyTorch's nearest rule: rows and columns 0 and 2.
  func testClassIdsAreNearestDownsampled() throws {
    let labels = Tensor((0..<16).map { Float($0 % 5) }, [1, 1, 4, 4])
    let sampler = PixelSampler(classes: 5, pixelsPerClass: 1)
    XCTAssertEqual(try sampler.classIds(labels, height: 2, width: 2), [[0, 2, 3, 0]])
    XCTAssertEqual(try sampler.classIds(labels, height: 4, width: 4), [(0..<16).map { $0 % 5 }])
    XCTAssertThrowsError(try PixelSampler(classes: 4, pixelsPerClass: 1).classIds(labels, height: 4, width: 4)) {
      XCTAssertEqual(($0 as? OptionError)?.option, "--label-nc")
      XCTAssertTrue("\($0)".contains("label 4.0 in image 0"), "\($0)")
    }
  }
}
