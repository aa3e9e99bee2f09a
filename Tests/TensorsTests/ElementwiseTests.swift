import XCTest
import Tensors
import TestSupport

final class ElementwiseTests: XCTestCase {
  /// Random values pushed at least `gap` away from each kink, so finite differences never straddle one.
  private func randn(_ shape: [Int], seed: UInt64, avoiding kinks: [Float] = [], gap: Float = 0.1) -> Tensor {
    var rng = RandomStream(seed: seed)
    return Tensor.randn(shape, &rng).map { v in
      var v = v
      for k in kinks where Swift.abs(v - k) < gap { v = v < k ? k - gap : k + gap }
      return v
    }
  }

  func testUnaryMathValues() {
    let x = Tensor([0.25, 1, 4], [3])
    XCTAssertEqual(x.pow(2).scalars, [0.0625, 1, 16])
    XCTAssertEqual(x.pow(-0.5).scalars, [2, 1, 0.5])
    XCTAssertEqual(x.sqrt().scalars, [0.5, 1, 2])
    assertCloseForward(x.exp(), Tensor([1.2840254, 2.7182817, 54.59815], [3]))
    assertCloseForward(x.log(), Tensor([-1.3862944, 0, 1.3862944], [3]))
    XCTAssertEqual(Tensor([-2, 0, 3], [3]).abs().scalars, [2, 0, 3])
  }

  func testUnaryMathGradients() {
    let x = randn([2, 3, 4], seed: 1, avoiding: [0])
    let positive = x.map { Swift.abs($0) + 0.2 }
    gradCheck("pow 3", [x]) { $0[0].pow(3) }
    gradCheck("pow 0.5", [positive]) { $0[0].pow(0.5) }
    gradCheck("pow -1.5", [positive]) { $0[0].pow(-1.5) }
    gradCheck("exp", [x]) { $0[0].exp() }
    gradCheck("log", [positive]) { $0[0].log() }
    gradCheck("sqrt", [positive]) { $0[0].sqrt() }
    gradCheck("abs", [x]) { $0[0].abs() }
  }

  func testPowZeroAndAbsAtZeroHaveZeroGradient() throws {
    let x = Tensor([0, 2, -3], [3]).requiringGrad()
    try x.pow(0).backward(Tensor.ones([3]))
    XCTAssertEqual(x.grad?.scalars, [0, 0, 0])
    XCTAssertEqual(noGrad { x.pow(0) }.scalars, [1, 1, 1])
    let z = Tensor([0, 2, -3], [3]).requiringGrad()
    try z.abs().backward(Tensor.ones([3]))
    XCTAssertEqual(z.grad?.scalars, [0, 1, -1])
  }

  func testClampValuesAndGradientAtTheBounds() throws {
    let x = Tensor([-2, -1, 0, 1, 2], [5]).requiringGrad()
    let y = x.clamp(min: -1, max: 1)
    XCTAssertEqual(y.scalars, [-1, -1, 0, 1, 1])
    try y.backward(Tensor([10, 20, 30, 40, 50], [5]))
    XCTAssertEqual(x.grad?.scalars, [0, 20, 30, 40, 0], "gradient passes where min ≤ x ≤ max, bounds included")
    XCTAssertEqual(Tensor([-2, 5], [2]).clamp(min: 0).scalars, [0, 5])
    XCTAssertEqual(Tensor([-2, 5], [2]).clamp(max: 0).scalars, [-2, 0])
    XCTAssertEqual(Tensor([-2, 5], [2]).clamp(min: 3, max: 1).scalars, [1, 1], "min > max gives max, as in PyTorch")
  }

  func testClampGradients() {
    let x = randn([3, 5], seed: 2, avoiding: [-0.5, 0.5])
    gradCheck("clamp both", [x]) { $0[0].clamp(min: -0.5, max: 0.5) }
    gradCheck("clamp min", [x]) { $0[0].clamp(min: -0.5) }
    gradCheck("clamp max", [x]) { $0[0].clamp(max: 0.5) }
  }

  func testMaximumMinimumValuesAndBroadcastGradients() {
    let a = Tensor([1, 5, -2, 4], [2, 2]), b = Tensor([3, 0], [2])
    XCTAssertEqual(maximum(a, b).scalars, [3, 5, 3, 4])
    XCTAssertEqual(minimum(a, b).scalars, [1, 0, -2, 0])
    XCTAssertTrue(maximum(Tensor([.nan, 1], [2]), Tensor([0, .nan], [2])).scalars.allSatisfy(\.isNaN))
    // Values on two interleaved grids 0.15 apart: no ties within the finite-difference step.
    var rng = RandomStream(seed: 4)
    let p = Tensor.randn([2, 3, 4], &rng).map { ($0 * 3).rounded() * 0.3 }
    let q = Tensor.randn([3, 1], &rng).map { ($0 * 3).rounded() * 0.3 + 0.15 }
    gradCheck("maximum", [p, q]) { maximum($0[0], $0[1]) }
    gradCheck("minimum", [p, q]) { minimum($0[0], $0[1]) }
    gradCheck("maximum same shape", [p, p.map { $0 + 0.15 }]) { maximum($0[0], $0[1]) }
  }

  func testMaximumMinimumTiesSendGradientToTheFirstArgument() throws {
    for op in [maximum, minimum] {
      let a = Tensor([1, 2, 3], [3]).requiringGrad(), b = Tensor([1, 0, 3], [3]).requiringGrad()
      try op(a, b).backward(Tensor([1, 1, 1], [3]))
      XCTAssertEqual([a.grad![flat: 0], a.grad![flat: 2], b.grad![flat: 0], b.grad![flat: 2]], [1, 1, 0, 0])
    }
  }

  func testWhereBroadcastsAllThreeOperands() throws {
    let cond = Tensor([1, 0, 0, 1], [2, 1, 2])
    let a = Tensor([10, 20, 30, 40, 50, 60], [3, 2]), b = Tensor([-1, -2], [2])
    let y = Tensor.where(cond, a, b)
    XCTAssertEqual(y.shape, [2, 3, 2])
    XCTAssertEqual(y.scalars, [10, -2, 30, -2, 50, -2, -1, 20, -1, 40, -1, 60])
    var rng = RandomStream(seed: 5)
    let x1 = Tensor.randn([3, 2], &rng), x2 = Tensor.randn([2], &rng)
    gradCheck("where broadcast", [x1, x2]) { Tensor.where(cond, $0[0], $0[1]) }
    gradCheck("where same shape", [x1, x1.map { $0 * 2 }]) { Tensor.where(Tensor([0, 1, 1, 0, 0, 1], [3, 2]), $0[0], $0[1]) }
    let la = a.requiringGrad(), lb = b.requiringGrad()
    try Tensor.where(cond, la, lb).backward(Tensor.ones([2, 3, 2]))
    XCTAssertEqual(la.grad?.scalars, [1, 1, 1, 1, 1, 1])
    XCTAssertEqual(lb.grad?.scalars, [3, 3])
  }

  func testMaskedFill() throws {
    let x = Tensor([1, 2, 3, 4, 5, 6], [2, 3]).requiringGrad()
    let mask = Tensor([0, 1, 0], [3])
    let y = x.maskedFill(mask, -9)
    XCTAssertEqual(y.scalars, [1, -9, 3, 4, -9, 6])
    try y.backward(Tensor([1, 2, 3, 4, 5, 6], [2, 3]))
    XCTAssertEqual(x.grad?.scalars, [1, 0, 3, 4, 0, 6])
    gradCheck("maskedFill", [randn([2, 3], seed: 6)]) { $0[0].maskedFill(Tensor([1, 0, 0, 1, 1, 0], [2, 3]), 2) }
  }
}
