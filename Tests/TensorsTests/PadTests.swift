import XCTest
import Tensors
import TestSupport

final class PadTests: XCTestCase {
  func testReflectionPadMatchesPyTorch() throws {
    let f = try Fixture("reflection_pad2d_3")
    let x = f.leaf("x")
    let y = pad2d(x, 3, mode: .reflect)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
  }

  func testReplicationPadMatchesPyTorch() throws {
    let f = try Fixture("replication_pad2d_1")
    let x = f.leaf("x")
    let y = pad2d(x, 1, mode: .replicate)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
  }

  func testEachModeOnOneRow() {
    let x = Tensor([1, 2, 3], [1, 1, 1, 3])
    XCTAssertEqual(pad2d(x, left: 2, right: 1, top: 0, bottom: 0, mode: .zeros).scalars, [0, 0, 1, 2, 3, 0])
    XCTAssertEqual(pad2d(x, left: 2, right: 2, top: 0, bottom: 0, mode: .reflect).scalars, [3, 2, 1, 2, 3, 2, 1])
    XCTAssertEqual(pad2d(x, left: 2, right: 1, top: 0, bottom: 0, mode: .replicate).scalars, [1, 1, 1, 2, 3, 3])
    let z = pad2d(x, left: 0, right: 0, top: 1, bottom: 2)
    XCTAssertEqual(z.shape, [1, 1, 4, 3])
    XCTAssertEqual(z.scalars, [0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0])
  }

  func testGradients() {
    var rng = RandomStream(seed: 5)
    let x = Tensor.randn([2, 2, 3, 4], &rng)
    gradCheck("pad2d zeros, unequal sides", [x]) { pad2d($0[0], left: 1, right: 3, top: 2, bottom: 0) }
    gradCheck("pad2d reflect, unequal sides", [x]) { pad2d($0[0], left: 3, right: 1, top: 0, bottom: 2, mode: .reflect) }
    gradCheck("pad2d replicate, unequal sides", [x]) {
      pad2d($0[0], left: 0, right: 4, top: 3, bottom: 1, mode: .replicate)
    }
  }

  func testManyPlanesMatchOnePlaneAtATime() {
    var rng = RandomStream(seed: 6)
    let x = Tensor.randn([2, 8, 64, 64], &rng)
    assertPlanewise(x) { pad2d($0, left: 2, right: 1, top: 3, bottom: 0, mode: .reflect) }
  }
}

/// Asserts that `op` on a many-plane input (large enough to run on several threads) equals `op` applied to each
/// N·C plane on its own.
func assertPlanewise(_ x: Tensor, file: StaticString = #filePath, line: UInt = #line, _ op: (Tensor) -> Tensor) {
  let planes = x.shape[0] * x.shape[1], size = x.count / planes
  let xs = x.scalars, ys = op(x).scalars
  let out = ys.count / planes
  for p in 0..<planes {
    let plane = Tensor(Array(xs[(p * size)..<((p + 1) * size)]), [1, 1, x.shape[2], x.shape[3]])
    let expected = op(plane).scalars
    if Array(ys[(p * out)..<((p + 1) * out)]) != expected {
      return XCTFail("plane \(p) differs from the op applied to that plane alone", file: file, line: line)
    }
  }
}
