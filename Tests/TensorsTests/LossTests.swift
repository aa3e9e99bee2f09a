import XCTest
import Tensors
import TestSupport

final class LossTests: XCTestCase {
  // MARK: Fixtures (PyTorch)

  func testLogSoftmaxMatchesPyTorch() throws {
    let f = try Fixture("log_softmax_rows")
    let x = f.leaf("x")
    let y = logSoftmax(x, axis: 1)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
  }

  func testCrossEntropyMatchesPyTorch() throws {
    let f = try Fixture("cross_entropy_mean")
    let x = f.leaf("x")
    let y = crossEntropy(x, targets: [Int](repeating: 0, count: x.shape[0]))
    XCTAssertEqual(y.shape, [])
    assertCloseForward(y, f["y"], "y")
    try y.backward()
    assertCloseGradient(x.grad, f["gx"], "gx")
  }

  func testPairwiseLossesMatchPyTorch() throws {
    let losses: [(String, (Tensor, Tensor) -> Tensor)] = [
      ("mse_mean", mseLoss), ("l1_mean", l1Loss), ("bce_logits_mean", bceWithLogits),
    ]
    for (name, loss) in losses {
      let f = try Fixture(name)
      let (x, t) = (f.leaf("x"), f.leaf("t"))
      let y = loss(x, t)
      XCTAssertEqual(y.shape, [], name)
      assertCloseForward(y, f["y"], "\(name) y")
      try y.backward()
      assertCloseGradient(x.grad, f["gx"], "\(name) gx")
      assertCloseGradient(t.grad, f["gt"], "\(name) gt")
    }
  }

  // MARK: Semantics

  func testSoftmaxAlongAMiddleAxisSumsToOne() {
    var rng = RandomStream(seed: 1, key: [2])
    let x = Tensor.randn([2, 5, 3, 4], &rng) * 10
    let y = softmax(x, axis: 1).scalars
    for n in 0..<2 {
      for s in 0..<12 {
        let total = (0..<5).reduce(Float(0)) { $0 + y[(n * 5 + $1) * 12 + s] }
        XCTAssertEqual(total, 1, accuracy: 1e-5)
      }
    }
    assertCloseForward(logSoftmax(x, axis: 1), softmax(x, axis: 1).map { logf($0) }, "log softmax = log of softmax")
  }

  func testSoftmaxIsStableForLargeLogits() {
    let y = softmax(Tensor([1000, 1000, -1000], [1, 3]), axis: -1)
    assertCloseForward(y, Tensor([0.5, 0.5, 0], [1, 3]))
    let l = crossEntropy(Tensor([1000, 0], [1, 2]), targets: [1])
    assertCloseForward(l, Tensor(scalar: 1000))
  }

  func testBCEWithLogitsIsStableForLargeLogits() {
    let l = bceWithLogits(Tensor([100, -100], [2]), Tensor([0, 0], [2]))
    assertCloseForward(l, Tensor(scalar: 50))
  }

  func testL1GradientIsZeroWhereInputEqualsTarget() throws {
    let x = Tensor([1, 2, 3, 4], [4]).requiringGrad()
    try l1Loss(x, Tensor([1, 0, 5, 4], [4])).backward()
    XCTAssertEqual(x.grad?.scalars, [0, 0.25, -0.25, 0])
  }

  // MARK: Gradient checks

  func testSoftmaxGradients() {
    var rng = RandomStream(seed: 2, key: [2])
    let x = Tensor.randn([2, 3, 4], &rng)
    for axis in [0, 1, -1] {
      gradCheck("softmax axis \(axis)", [x]) { softmax($0[0], axis: axis) }
      gradCheck("logSoftmax axis \(axis)", [x]) { logSoftmax($0[0], axis: axis) }
    }
  }

  func testLossGradients() {
    var rng = RandomStream(seed: 3, key: [2])
    let x = Tensor.randn([2, 3, 4], &rng), t = Tensor.randn([2, 3, 4], &rng)
    let probabilities = Tensor.uniform([2, 3, 4], &rng)
    gradCheck("crossEntropy", [Tensor.randn([4, 5], &rng)]) { crossEntropy($0[0], targets: [0, 3, 4, 1]) }
    gradCheck("mseLoss", [x, t]) { mseLoss($0[0], $0[1]) }
    gradCheck("l1Loss", [x, t]) { l1Loss($0[0], $0[1]) }
    gradCheck("bceWithLogits", [x, probabilities]) { bceWithLogits($0[0], $0[1]) }
  }

  func testMeanReductionOverManyBlocksMatchesDoubleSum() {
    var rng = RandomStream(seed: 4, key: [2])
    let x = Tensor.randn([3, 50_001], &rng), t = Tensor.randn([3, 50_001], &rng)
    let (a, b) = (x.scalars, t.scalars)
    let expected = zip(a, b).reduce(0.0) { s, p in s + Double((p.0 - p.1) * (p.0 - p.1)) } / Double(a.count)
    XCTAssertEqual(Double(mseLoss(x, t).item), expected, accuracy: 1e-5 * expected)
  }
}
