import XCTest
import Tensors
import TestSupport

final class PoolTests: XCTestCase {
  func testAvgPoolExcludingPadMatchesPyTorch() throws {
    let f = try Fixture("avg_pool_3_2_1_noinclude")
    let x = f.leaf("x")
    let y = avgPool2d(x, kernel: 3, stride: 2, padding: 1, countIncludePad: false)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
  }

  func testAvgPoolDivisorWithAndWithoutPadding() {
    let x = Tensor.ones([1, 1, 3, 3])
    let include = avgPool2d(x, kernel: 3, stride: 1, padding: 1)
    XCTAssertEqual(include.scalars.map { $0 * 9 }, [4, 6, 4, 6, 9, 6, 4, 6, 4])
    XCTAssertEqual(avgPool2d(x, kernel: 3, stride: 1, padding: 1, countIncludePad: false).scalars,
                   [Float](repeating: 1, count: 9))
  }

  func testMaxPoolPadsWithMinusInfinityAndTakesTheFirstMaximum() throws {
    let x = Tensor([-5, -1, -3, -2], [1, 1, 2, 2])
    XCTAssertEqual(maxPool2d(x, kernel: 3, stride: 1, padding: 1).scalars, [-1, -1, -1, -1])
    let ties = Tensor.ones([1, 1, 2, 4]).requiringGrad()
    let y = maxPool2d(ties, kernel: 2, stride: 2)
    XCTAssertEqual(y.shape, [1, 1, 1, 2])
    try y.backward(Tensor([1, 2], [1, 1, 1, 2]))
    XCTAssertEqual(ties.grad?.scalars, [1, 0, 2, 0, 0, 0, 0, 0])
  }

  func testGradients() {
    var rng = RandomStream(seed: 11)
    let x = Tensor.randn([2, 2, 5, 6], &rng)
    gradCheck("avgPool2d include pad", [x]) { avgPool2d($0[0], kernel: 3, stride: 2, padding: 1) }
    gradCheck("avgPool2d exclude pad", [x]) { avgPool2d($0[0], kernel: 3, stride: 2, padding: 1, countIncludePad: false) }
    gradCheck("avgPool2d overlapping", [x]) { avgPool2d($0[0], kernel: 2, stride: 1) }
    // Distinct values 0.1 apart, so a finite-difference step never changes a window's argmax.
    let distinct = Tensor((0..<x.count).map { Float(($0 * 37) % x.count) * 0.1 }, x.shape)
    gradCheck("maxPool2d padded", [distinct], eps: 1e-3) { maxPool2d($0[0], kernel: 3, stride: 2, padding: 1) }
    gradCheck("maxPool2d overlapping", [distinct], eps: 1e-3) { maxPool2d($0[0], kernel: 2, stride: 1) }
  }

  func testManyPlanesMatchOnePlaneAtATime() {
    var rng = RandomStream(seed: 12)
    let x = Tensor.randn([2, 8, 64, 64], &rng)
    assertPlanewise(x) { avgPool2d($0, kernel: 3, stride: 2, padding: 1, countIncludePad: false) }
    assertPlanewise(x) { maxPool2d($0, kernel: 3, stride: 2, padding: 1) }
  }
}
