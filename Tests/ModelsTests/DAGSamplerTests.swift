import XCTest
import Models
import Tensors
import TestSupport

/// EnCo's DAG sampling (spec §4.5): the hard patches are where D's map is lowest, the rest are random, and every
/// image's ids are keyed by its global index.
final class DAGSamplerTests: XCTestCase {
  /// A (n, 1, h, w) map with distinct values in a random order.
  func scores(_ n: Int, _ h: Int, _ w: Int, seed: UInt64) -> Tensor {
    var rng = RandomStream(seed: seed)
    return Tensor(rng.permutation(n * h * w).map { Float($0) / 10 }, [n, 1, h, w])
  }

  /// With every position a candidate (r·N ≥ H·W), the hard patches are exactly the lowest-scoring positions, in
  /// ascending order of score.
  func testHardPatchesAreTheLowestScoringPositions() {
    let map = scores(2, 6, 6, seed: 1)
    let sampler = DAGSampler(numPatches: 10, oversampleRatio: 4, randomRatio: 0.5)
    let ids = sampler.patchIds(scores: map, height: 6, width: 6, seed: 3, key: [1], firstImage: 0)
    for b in 0..<2 {
      let values = (0..<36).map { map[flat: b * 36 + $0] }
      let lowest = (0..<36).sorted { values[$0] < values[$1] }.prefix(5)
      XCTAssertEqual(ids[b].count, 10)
      XCTAssertEqual(Array(ids[b].prefix(5)), Array(lowest), "image \(b)")
      XCTAssertTrue(ids[b].suffix(5).allSatisfy { (0..<36).contains($0) })
    }
  }

  /// With fewer candidates than positions, each hard patch scores no higher than any candidate left out; the hard
  /// patches lean to low scores: their mean is below the map's.
  func testHardPatchesAreTheLowestCandidates() {
    let map = scores(1, 16, 16, seed: 2)
    let sampler = DAGSampler(numPatches: 16, oversampleRatio: 4, randomRatio: 0)
    let ids = sampler.patchIds(scores: map, height: 16, width: 16, seed: 4, key: [2], firstImage: 0)[0]
    XCTAssertEqual(ids.count, 16)
    XCTAssertEqual(Set(ids).count, 16)
    let values = ids.map { map[flat: $0] }
    XCTAssertEqual(values, values.sorted())
    let meanPicked = values.reduce(0, +) / 16, meanAll = map.scalars.reduce(0, +) / 256
    XCTAssertLessThan(meanPicked, meanAll / 2)
  }

  /// The map is resized bilinearly to the feature's size: a 2×2 map whose one low corner is (1, 0) sends the hard
  /// patches of an 8×8 feature map to the bottom-left.
  func testScoresAreResizedToTheFeatureMap() {
    let map = Tensor([1, 1, 0, 1], [1, 1, 2, 2])
    let sampler = DAGSampler(numPatches: 4, oversampleRatio: 16, randomRatio: 0)
    let ids = sampler.patchIds(scores: map, height: 8, width: 8, seed: 5, key: [3], firstImage: 0)[0]
    XCTAssertEqual(Set(ids), [48, 49, 56, 57])  // rows 6–7, columns 0–1: the only exact zeros
  }

  /// Image b's ids depend on (seed, key, global index) only: a batch split over two ranks draws the same ids.
  func testIdsAreKeyedByTheGlobalImageIndex() {
    let map = scores(3, 8, 8, seed: 6)
    let sampler = DAGSampler(numPatches: 12)
    let whole = sampler.patchIds(scores: map, height: 8, width: 8, seed: 7, key: [4, 5], firstImage: 0)
    let tail = sampler.patchIds(scores: map.narrow(axis: 0, start: 1, length: 2), height: 8, width: 8, seed: 7,
                                key: [4, 5], firstImage: 1)
    XCTAssertEqual(Array(whole.suffix(2)), tail)
    XCTAssertNotEqual(sampler.patchIds(scores: map, height: 8, width: 8, seed: 7, key: [4, 6], firstImage: 0), whole)
    XCTAssertNotEqual(sampler.patchIds(scores: map, height: 8, width: 8, seed: 8, key: [4, 5], firstImage: 0), whole)
  }

  /// P = min(N, H·W) patches, P − ⌊ρP⌋ of them hard.
  func testCountsFollowTheRatios() {
    let map = scores(1, 3, 3, seed: 9)
    let capped = DAGSampler(numPatches: 256, oversampleRatio: 4, randomRatio: 0.5)
    XCTAssertEqual(capped.patchCount(height: 3, width: 3), 9)
    let ids = capped.patchIds(scores: map, height: 3, width: 3, seed: 1, key: [], firstImage: 0)[0]
    XCTAssertEqual(ids.count, 9)
    let lowest = (0..<9).sorted { map[flat: $0] < map[flat: $1] }
    XCTAssertEqual(Array(ids.prefix(5)), Array(lowest.prefix(5)))  // 9 − ⌊4.5⌋ = 5 hard patches
  }
}
