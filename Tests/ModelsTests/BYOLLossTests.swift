import XCTest
import Models
import Tensors
import TestSupport

/// The official EnCo loss: mean(2 − 2·cos(q, k)) with stop-gradient on k.
final class BYOLLossTests: XCTestCase {
  func testValues() {
    let q = Tensor([1, 0, 0, 2, 3, 4], [3, 2]), k = Tensor([0, 5, 0, 1, -3, -4], [3, 2])
    // cos = 0, 1, −1 → 2 − 2·cos = 2, 0, 4
    XCTAssertEqual(byolLoss(query: q, key: k).item, 2, accuracy: 1e-6)
  }

  /// For unit rows the loss is mean ‖q − k‖².
  func testEqualsTheSquaredDistanceOfUnitRows() {
    var rng = RandomStream(seed: 1)
    let q = l2Normalize(Tensor.randn([9, 5], &rng), axis: 1), k = l2Normalize(Tensor.randn([9, 5], &rng), axis: 1)
    let distance = ((q - k) * (q - k)).sum(axes: [1]).mean()
    XCTAssertEqual(byolLoss(query: q, key: k).item, distance.item, accuracy: 1e-5)
  }

  /// d/dq of 2 − 2·⟨q/‖q‖, k̂⟩ is −2(k̂ − cos·q̂)/‖q‖ per row, divided by M for the mean; no gradient reaches k.
  func testGradient() throws {
    var rng = RandomStream(seed: 2)
    let q = Tensor.randn([4, 3], &rng).requiringGrad(), k = Tensor.randn([4, 3], &rng).requiringGrad()
    try byolLoss(query: q, key: k).backward()
    XCTAssertNil(k.grad)
    for i in 0..<4 {
      let qi = (0..<3).map { q[flat: i * 3 + $0] }, ki = (0..<3).map { k[flat: i * 3 + $0] }
      let nq = qi.map { $0 * $0 }.reduce(0, +).squareRoot(), nk = ki.map { $0 * $0 }.reduce(0, +).squareRoot()
      let cosine = zip(qi, ki).map { $0 * $1 }.reduce(0, +) / (nq * nk)
      for c in 0..<3 {
        let expected = -2 * (ki[c] / nk - cosine * qi[c] / nq) / nq / 4
        XCTAssertEqual(q.grad![flat: i * 3 + c], expected, accuracy: 1e-5)
      }
    }
    let key = Tensor.randn([4, 3], &rng)
    try gradCheck("byol loss", [Tensor.randn([4, 3], &rng)]) { xs in byolLoss(query: xs[0], key: key) }
  }
}
