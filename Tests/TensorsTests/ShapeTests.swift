import XCTest
import Tensors
import TestSupport

/// Naive oracle for permute: y[j] = x[Σ_k i_k · stride(axes[k])] with i the multi-index of j in the output shape.
private func referencePermute(_ x: Tensor, _ axes: [Int]) -> [Float] {
  let outShape = axes.map { x.shape[$0] }, xs = Tensor.strides(x.shape), os = Tensor.strides(outShape)
  return (0..<x.count).map { j in
    var offset = 0
    for k in axes.indices { offset += (j / os[k]) % outShape[k] * xs[axes[k]] }
    return x[flat: offset]
  }
}

final class ShapeTests: XCTestCase {
  func testReshapeSharesStorageAndInfersOneDimension() {
    let x = Tensor((0..<24).map(Float.init), [2, 3, 4])
    let y = x.reshape([4, -1])
    XCTAssertEqual(y.shape, [4, 6])
    XCTAssertTrue(y.storage === x.storage)
    XCTAssertEqual(y.scalars, x.scalars)
    XCTAssertEqual(x.flatten().shape, [2, 12])
    XCTAssertEqual(x.flatten(from: 0).shape, [24])
    XCTAssertEqual(x.flatten(from: -1).shape, [2, 3, 4])
  }

  func testPermuteMatchesNaiveReferenceOnEveryKernel() {
    var rng = RandomStream(seed: 1)
    let cases: [([Int], [Int])] = [
      ([2, 3, 4, 5], [0, 2, 3, 1]),   // NCHW → NHWC (tiled transpose of [N, C, HW])
      ([2, 4, 5, 3], [0, 3, 1, 2]),   // NHWC → NCHW
      ([3, 4], [1, 0]),               // plain 2-D transpose
      ([2, 3, 4, 5], [1, 0, 2, 3]),   // innermost axes kept: whole-row copies
      ([2, 3, 4], [2, 1, 0]),         // general strided gather
      ([2, 3, 4, 5], [3, 1, 0, 2]),
      ([2, 1, 3, 1, 4], [4, 1, 0, 3, 2]),  // unit axes dropped before planning
      ([1, 1, 3], [2, 0, 1]),
      ([37, 70, 33], [2, 0, 1]),      // large enough to split over threads, ragged 32×32 tiles
      ([40, 30, 60], [1, 0, 2]),
      ([20, 30, 60], [2, 1, 0]),
    ]
    for (shape, axes) in cases {
      let x = Tensor.randn(shape, &rng)
      let y = x.permute(axes)
      assertClose(y, Tensor(referencePermute(x, axes), axes.map { shape[$0] }), rtol: 0, atol: 0, "permute \(shape) by \(axes)")
    }
    let x = Tensor.randn([2, 3, 4], &rng)
    XCTAssertEqual(x.transpose(0, -1).scalars, referencePermute(x, [2, 1, 0]))
    XCTAssertEqual(x.permute([-3, -1, -2]).scalars, referencePermute(x, [0, 2, 1]))
  }

  func testExpandAndFlipValues() {
    let x = Tensor([1, 2, 3], [3, 1])
    XCTAssertEqual(x.expand([2, 3, 2]).scalars, [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])
    XCTAssertEqual(Tensor([1, 2], [2]).expand([2, 2]).scalars, [1, 2, 1, 2])
    let m = Tensor((0..<6).map(Float.init), [2, 3])
    XCTAssertEqual(m.flip(axis: 0).scalars, [3, 4, 5, 0, 1, 2])
    XCTAssertEqual(m.flip(axis: -1).scalars, [2, 1, 0, 5, 4, 3])
  }

  /// Every axis of an NCHW tensor against the index formula y[…, i, …] = x[…, d−1−i, …].
  func testFlipEveryAxisOfAFourDimensionalTensor() {
    let shape = [2, 3, 4, 5]
    let x = Tensor((0..<120).map(Float.init), shape)
    for axis in 0..<4 {
      var expected = [Float](repeating: 0, count: 120)
      for i in 0..<120 {
        var index = [i / 60, i / 20 % 3, i / 5 % 4, i % 5]
        index[axis] = shape[axis] - 1 - index[axis]
        expected[i] = Float(((index[0] * 3 + index[1]) * 4 + index[2]) * 5 + index[3])
      }
      XCTAssertEqual(x.flip(axis: axis).scalars, expected, "axis \(axis)")
    }
  }

  func testGradients() {
    var rng = RandomStream(seed: 2)
    let x = Tensor.randn([2, 3, 4, 5], &rng)
    gradCheck("reshape", [x]) { $0[0].reshape([6, -1]) * $0[0].reshape([6, 20]) }
    gradCheck("flatten", [x]) { $0[0].flatten(from: 2) }
    gradCheck("permute NCHW→NHWC", [x]) { $0[0].permute([0, 2, 3, 1]) }
    gradCheck("permute general", [x]) { $0[0].permute([3, 1, 0, 2]) }
    gradCheck("permute innermost kept", [x]) { $0[0].permute([2, 0, 1, 3]) }
    gradCheck("transpose", [x]) { $0[0].transpose(1, 3) }
    gradCheck("expand", [Tensor.randn([3, 1, 5], &rng)]) { $0[0].expand([2, 3, 4, 5]) }
    gradCheck("flip", [x]) { $0[0].flip(axis: 2) * $0[0] }
  }
}
