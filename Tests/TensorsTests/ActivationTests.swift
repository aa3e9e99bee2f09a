import Foundation
import XCTest
import Tensors
import TestSupport

final class ActivationTests: XCTestCase {
  /// y = f(x) and d(Σ y·gy)/dx against PyTorch.
  private func checkFixture(_ name: String, file: StaticString = #filePath, line: UInt = #line,
                            _ f: (Tensor) -> Tensor) throws {
    let fx = try Fixture(name)
    let x = fx.leaf("x")
    let y = f(x)
    assertCloseForward(y, fx["y"], "\(name) y", file: file, line: line)
    try y.backward(fx["gy"])
    assertCloseGradient(x.grad, fx["gx"], "\(name) gx", file: file, line: line)
  }

  func testFixtures() throws {
    try checkFixture("sigmoid") { sigmoid($0) }
    try checkFixture("tanh") { tanh($0) }
    try checkFixture("softplus") { softplus($0) }
    try checkFixture("leaky_relu_0.2") { leakyRelu($0, slope: 0.2) }
  }

  func testGradients() {
    var rng = RandomStream(seed: 11)
    // Kept at least 0.1 from the kink at 0.
    let x = Tensor.randn([2, 3, 4], &rng).map { $0 < 0 ? Swift.min($0, -0.1) : Swift.max($0, 0.1) } * 3
    gradCheck("relu", [x]) { relu($0[0]) }
    gradCheck("leakyRelu 0.2", [x]) { leakyRelu($0[0]) }
    gradCheck("leakyRelu 0", [x]) { leakyRelu($0[0], slope: 0) }
    gradCheck("leakyRelu -0.3", [x]) { leakyRelu($0[0], slope: -0.3) }
    gradCheck("tanh", [x]) { tanh($0[0]) }
    gradCheck("sigmoid", [x]) { sigmoid($0[0]) }
    gradCheck("softplus", [x]) { softplus($0[0]) }
  }

  func testReluAndLeakyReluValues() throws {
    let x = Tensor([-2, 0, 3], [3]).requiringGrad()
    let y = relu(x)
    XCTAssertEqual(y.scalars, [0, 0, 3])
    try y.backward(Tensor.ones([3]))
    XCTAssertEqual(x.grad?.scalars, [0, 0, 1], "no gradient at 0, as in PyTorch")
    XCTAssertEqual(leakyRelu(Tensor([-2, 0, 3], [3]), slope: -0.5).scalars, [1, 0, 3])
  }

  func testSoftplusThresholdAndTails() throws {
    let x = Tensor([25, 20.5, -30, 0], [4]).requiringGrad()
    let y = softplus(x)
    XCTAssertEqual(y.scalars[0], 25)
    XCTAssertEqual(y.scalars[1], 20.5, "identity above the threshold 20")
    XCTAssertEqual(y.scalars[2], Float(Foundation.exp(-30.0)), accuracy: 1e-18)
    XCTAssertEqual(y.scalars[3], Float(Foundation.log(2.0)), accuracy: 1e-7)
    try y.backward(Tensor.ones([4]))
    let g = x.grad!.scalars
    XCTAssertEqual(g[0], 1)
    XCTAssertEqual(g[1], 1)
    XCTAssertEqual(g[2] / Float(Foundation.exp(-30.0)), 1, accuracy: 1e-5, "relative precision kept in the left tail")
    XCTAssertEqual(g[3], 0.5, accuracy: 1e-7)
  }

  func testSigmoidAndTanhSaturateWithoutNaN() throws {
    let x = Tensor([-200, 200], [2]).requiringGrad()
    XCTAssertEqual(sigmoid(x).scalars, [0, 1])
    XCTAssertEqual(tanh(x).scalars, [-1, 1])
    try sigmoid(x).backward(Tensor.ones([2]))
    XCTAssertEqual(x.grad?.scalars, [0, 0])
  }
}
