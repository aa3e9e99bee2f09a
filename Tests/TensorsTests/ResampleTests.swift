import XCTest
import Tensors
import TestSupport

final class ResampleTests: XCTestCase {
  func testUpsampleNearestMatchesPyTorch() throws {
    let f = try Fixture("upsample_nearest_x2")
    let x = f.leaf("x")
    let y = upsampleNearest(x, scale: 2)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
  }

  func testUpsampleBilinearMatchesPyTorch() throws {
    let f = try Fixture("upsample_bilinear_x2")
    let x = f.leaf("x")
    let y = upsampleBilinear(x, scale: 2)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
  }

  func testResizeBilinearMatchesPyTorch() throws {
    let f = try Fixture("resize_bilinear_to_7x9")
    let x = f.leaf("x")
    let y = resizeBilinear(x, height: 7, width: 9)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
  }

  func testResizeNearestPicksFloorOfScaledIndex() {
    // PyTorch: F.interpolate(arange(5).view(1,1,1,5), size=(1,3)) → [0, 1, 3]; size (1,8) → [0,0,1,1,2,3,3,4]
    let x = Tensor([0, 1, 2, 3, 4], [1, 1, 1, 5])
    XCTAssertEqual(resizeNearest(x, height: 1, width: 3).scalars, [0, 1, 3])
    XCTAssertEqual(resizeNearest(x, height: 1, width: 8).scalars, [0, 0, 1, 1, 2, 3, 3, 4])
    let row: [Float] = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    XCTAssertEqual(upsampleNearest(x, scale: 3).scalars, row + row + row)
  }

  func testBilinearAlignCornersFalseOnOneRow() {
    // PyTorch: F.interpolate(tensor([[[[0., 4.]]]]), size=(1,4), mode='bilinear') → [0, 1, 3, 4]
    let x = Tensor([0, 4], [1, 1, 1, 2])
    XCTAssertEqual(resizeBilinear(x, height: 1, width: 4).scalars, [0, 1, 3, 4])
    XCTAssertEqual(upsampleBilinear(x, scale: 2).scalars, [0, 1, 3, 4, 0, 1, 3, 4])
  }

  func testScaleAndSizeAgreeForIntegerScales() {
    var rng = RandomStream(seed: 8)
    let x = Tensor.randn([1, 2, 5, 3], &rng)
    XCTAssertEqual(upsampleBilinear(x, scale: 3).scalars, resizeBilinear(x, height: 15, width: 9).scalars)
    XCTAssertEqual(upsampleNearest(x, scale: 3).scalars, resizeNearest(x, height: 15, width: 9).scalars)
  }

  func testGradients() {
    var rng = RandomStream(seed: 9)
    let x = Tensor.randn([2, 2, 3, 4], &rng)
    gradCheck("upsampleNearest x3", [x]) { upsampleNearest($0[0], scale: 3) }
    gradCheck("resizeNearest up", [x]) { resizeNearest($0[0], height: 5, width: 7) }
    gradCheck("resizeNearest down", [x]) { resizeNearest($0[0], height: 2, width: 3) }
    gradCheck("upsampleBilinear x2", [x]) { upsampleBilinear($0[0], scale: 2) }
    gradCheck("resizeBilinear up", [x]) { resizeBilinear($0[0], height: 5, width: 9) }
    gradCheck("resizeBilinear down", [x]) { resizeBilinear($0[0], height: 2, width: 3) }
  }

  func testManyPlanesMatchOnePlaneAtATime() {
    var rng = RandomStream(seed: 10)
    let x = Tensor.randn([2, 8, 32, 32], &rng)
    assertPlanewise(x) { upsampleNearest($0, scale: 2) }
    assertPlanewise(x) { resizeBilinear($0, height: 45, width: 50) }
  }
}
