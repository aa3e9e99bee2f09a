import XCTest
import Models
import NN
import Tensors
import TestSupport

/// CUT's F (spec §3.5): keyed patch positions, gathering, heads, keys and parameter count.
final class PatchSampleFTests: XCTestCase {
  func testHeadsHaveTheReferenceKeysAndParameterCount() {
    let f = PatchSampleF(.mlpSample, width: 256)
    XCTAssertTrue(f.parameters().isEmpty)
    f.build(channels: [3, 128, 256, 256, 256], .xavier, gain: 0.02, seed: 0)
    XCTAssertEqual(f.parameterCount, 560_384)
    XCTAssertEqual(f.stateDict().map(\.name), (0..<5).flatMap { l in
      ["mlp_\(l).0.weight", "mlp_\(l).0.bias", "mlp_\(l).2.weight", "mlp_\(l).2.bias"]
    })
    XCTAssertEqual(f.namedParameters().first { $0.name == "mlp_1.0.weight" }?.tensor.shape, [256, 128])
    let w = f.heads[4].parameters()[2].scalars  // xavier-normal, gain 0.02: std 0.02·√(2/512)
    let std = (w.map { Double($0 * $0) }.reduce(0, +) / Double(w.count)).squareRoot()
    XCTAssertEqual(std, 0.02 * (2.0 / 512).squareRoot(), accuracy: 5e-5)
    XCTAssertTrue(f.heads[0].parameters()[1].scalars.allSatisfy { $0 == 0 })
  }

  func testInitialisationIsKeyedBySeed() {
    func heads(_ seed: UInt64) -> [Float] {
      let f = PatchSampleF(.mlpSample, width: 8)
      f.build(channels: [3, 4], .xavier, gain: 0.02, seed: seed)
      return f.parameters().flatMap(\.scalars)
    }
    XCTAssertEqual(heads(1), heads(1))
    XCTAssertNotEqual(heads(1), heads(2))
  }

  func testPatchIdsAreKeyedDistinctAndCapped() {
    let maps = [Tensor(zeros: [2, 3, 6, 5]), Tensor(zeros: [2, 4, 3, 2])]
    let ids = PatchSampleF.patchIds(for: maps, numPatches: 10, seed: 7, key: [1, 2])
    XCTAssertEqual(ids.map(\.count), [10, 6])
    XCTAssertEqual(Set(ids[0]).count, 10)
    XCTAssertTrue(ids[0].allSatisfy { (0..<30).contains($0) })
    XCTAssertEqual(Set(ids[1]), Set(0..<6))
    XCTAssertEqual(PatchSampleF.patchIds(for: maps, numPatches: 10, seed: 7, key: [1, 2]), ids)
    XCTAssertNotEqual(PatchSampleF.patchIds(for: maps, numPatches: 10, seed: 7, key: [1, 3])[0], ids[0])
    XCTAssertNotEqual(PatchSampleF.patchIds(for: maps, numPatches: 10, seed: 8, key: [1, 2])[0], ids[0])
  }

  /// Row b·S + s is image b's feature vector at position ids[s] (row-major h·W + w), normalised to unit length.
  func testSamplesGatherTheChosenPositionsImageMajor() {
    var rng = RandomStream(seed: 9)
    let x = Tensor.randn([2, 3, 4, 5], &rng)
    let f = PatchSampleF(.sample)
    f.build(channels: [3], .xavier, gain: 0.02, seed: 0)
    let ids = [[7, 0, 19]]
    let rows = f([x], patchIds: ids)[0]
    XCTAssertEqual(rows.shape, [6, 3])
    for b in 0..<2 {
      for (s, p) in ids[0].enumerated() {
        let v = (0..<3).map { c in x[flat: ((b * 3 + c) * 4 + p / 5) * 5 + p % 5] }
        let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
        for c in 0..<3 { XCTAssertEqual(rows[flat: (b * 3 + s) * 3 + c], v[c] / norm, accuracy: 1e-5) }
      }
    }
  }

  func testHeadsProjectAndNormaliseWithGradient() throws {
    var rng = RandomStream(seed: 10)
    let f = PatchSampleF(.mlpSample, width: 6)
    f.build(channels: [3], .normal, gain: 0.5, seed: 1)
    let x = Tensor.randn([2, 3, 4, 4], &rng)
    let ids = [[1, 5, 9, 14]]
    let y = f([x], patchIds: ids)[0]
    XCTAssertEqual(y.shape, [8, 6])
    for r in 0..<8 {
      XCTAssertEqual((0..<6).map { y[flat: r * 6 + $0] * y[flat: r * 6 + $0] }.reduce(0, +), 1, accuracy: 1e-4)
    }
    gradCheck("PatchSampleF input", [x], eps: 1e-3) { f($0, patchIds: ids)[0] }
    try (y * Tensor.randn(y.shape, &rng)).sum().backward()
    XCTAssertTrue(f.parameters().allSatisfy { $0.grad != nil })
  }
}
