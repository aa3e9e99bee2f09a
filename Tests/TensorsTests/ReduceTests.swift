import XCTest
import Tensors
import TestSupport

final class ReduceTests: XCTestCase {
  private func randn(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomStream(seed: seed)
    return Tensor.randn(shape, &rng)
  }

  /// Σ over `axes` by a Double loop over every element, in x's shape with the axes set to 1.
  private func referenceSum(_ x: Tensor, axes: Set<Int>) -> Tensor {
    let kept = x.shape.indices.map { axes.contains($0) ? 1 : x.shape[$0] }
    let xs = Tensor.strides(x.shape), ks = Tensor.strides(kept)
    var out = [Double](repeating: 0, count: Tensor.elementCount(kept))
    for i in 0..<x.count {
      var o = 0
      for d in x.shape.indices where !axes.contains(d) { o += (i / xs[d]) % x.shape[d] * ks[d] }
      out[o] += Double(x[flat: i])
    }
    return Tensor(out.map { Float($0) }, kept)
  }

  func testSumOfAllElements() throws {
    let x = Tensor((1...100).map { Float($0) }, [4, 25]).requiringGrad()
    let s = x.sum()
    XCTAssertEqual(s.shape, [])
    XCTAssertEqual(s.item, 5050)
    try s.backward(Tensor(scalar: 2))
    XCTAssertEqual(x.grad?.scalars, [Float](repeating: 2, count: 100))
    XCTAssertEqual(x.mean().item, 50.5)
    gradCheck("sum", [randn([3, 7], seed: 1)]) { $0[0].sum() }
    gradCheck("mean", [randn([3, 7], seed: 1)]) { $0[0].mean() }
  }

  func testSumOfAMillionElementsIsAccurate() {
    var rng = RandomStream(seed: 2)
    let x = Tensor.uniform([1_000_000], low: 0.5, high: 1.5, &rng)
    var exact = 0.0
    for i in 0..<x.count { exact += Double(x[flat: i]) }
    XCTAssertEqual(Double(x.sum().item), exact, accuracy: exact * 1e-6)
  }

  func testSumOverAxesMatchesReference() {
    let x = randn([2, 3, 4, 5], seed: 3)
    let cases: [[Int]] = [[0], [1], [3], [-1], [1, 2], [0, 1, 2, 3], [0, 2], [1, 3], [0, 3], [0, 1, 3], [2, -3, 2]]
    for axes in cases {
      let set = Set(axes.map { $0 < 0 ? $0 + 4 : $0 })
      let expected = referenceSum(x, axes: set)
      assertCloseForward(x.sum(axes: axes, keepDims: true), expected, "sum \(axes) keepDims")
      let y = x.sum(axes: axes)
      XCTAssertEqual(y.shape, x.shape.indices.filter { !set.contains($0) }.map { x.shape[$0] }, "sum \(axes) shape")
      XCTAssertEqual(y.scalars, x.sum(axes: axes, keepDims: true).scalars, "sum \(axes)")
    }
    XCTAssertEqual(x.sum(axes: []).scalars, x.scalars)
    let withOnes = randn([3, 1, 4, 1], seed: 4)
    assertCloseForward(withOnes.sum(axes: [0, 2], keepDims: true), referenceSum(withOnes, axes: [0, 2]), "size-1 axes between")
  }

  func testSumOverAxesOfLargeTensorsMatchesReference() {
    let rows = randn([3, 70_000], seed: 5)  // long rows: blocked sum per row
    assertClose(rows.sum(axes: [1]), referenceSum(rows, axes: [1]).reshaped([3]), rtol: 1e-5, atol: 1e-3, "long rows")
    let middle = randn([2, 40_000, 3], seed: 6)
    assertClose(middle.sum(axes: [1], keepDims: true), referenceSum(middle, axes: [1]), rtol: 1e-4, atol: 1e-2, "middle")
    let columns = randn([300, 257], seed: 7)
    assertCloseForward(columns.sum(axes: [0], keepDims: true), referenceSum(columns, axes: [0]), "columns")
  }

  func testSumAndMeanOverAxesGradients() {
    let x = randn([2, 3, 4], seed: 8)
    for axes in [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]] {
      gradCheck("sum \(axes)", [x]) { $0[0].sum(axes: axes) }
      gradCheck("sum \(axes) keepDims", [x]) { $0[0].sum(axes: axes, keepDims: true) }
      gradCheck("mean \(axes)", [x]) { $0[0].mean(axes: axes) }
    }
    gradCheck("mean keepDims broadcast back", [x]) { $0[0] - $0[0].mean(axes: [-1], keepDims: true) }
  }

  func testMeanOverAxes() {
    let x = Tensor([1, 2, 3, 4, 5, 6], [2, 3])
    XCTAssertEqual(x.mean(axes: [1]).scalars, [2, 5])
    XCTAssertEqual(x.mean(axes: [0], keepDims: true).shape, [1, 3])
    XCTAssertEqual(x.mean(axes: [0], keepDims: true).scalars, [2.5, 3.5, 4.5])
  }

  func testMaxValuesIndicesAndGradient() throws {
    let x = Tensor([1, 7, 3, 7, 9, 2, 0, 4, 5, 5, 1, 8], [2, 3, 2]).requiringGrad()
    let (values, indices) = x.max(axis: 1)
    XCTAssertEqual(values.shape, [2, 2])
    XCTAssertEqual(values.scalars, [9, 7, 5, 8])
    XCTAssertEqual(indices, [2, 0, 1, 2], "ties go to the first occurrence")
    try values.backward(Tensor([1, 2, 3, 4], [2, 2]))
    XCTAssertEqual(x.grad?.scalars, [0, 2, 0, 0, 1, 0, 0, 0, 3, 0, 0, 4])
    let (kept, lastIndices) = x.max(axis: -1, keepDims: true)
    XCTAssertEqual(kept.shape, [2, 3, 1])
    XCTAssertEqual(kept.scalars, [7, 7, 9, 4, 5, 8])
    XCTAssertEqual(lastIndices, [1, 1, 0, 1, 0, 1])
    XCTAssertTrue(Tensor([1, .nan, 3], [3]).max(axis: 0).values.item.isNaN)
    // Distinct values 0.1 apart (shuffled): no near-ties within the finite-difference step.
    var rng = RandomStream(seed: 9)
    var grid = (0..<60).map { Float($0) * 0.1 }
    for i in stride(from: 59, to: 0, by: -1) { grid.swapAt(i, rng.nextInt(below: i + 1)) }
    let r = Tensor(grid, [3, 4, 5])
    for axis in 0..<3 {
      gradCheck("max axis \(axis)", [r]) { $0[0].max(axis: axis).values }
      gradCheck("max axis \(axis) keepDims", [r]) { $0[0].max(axis: axis, keepDims: true).values }
    }
  }

  func testNorm() throws {
    let x = Tensor([3, 0, 4, 0, 0, 0], [2, 3]).requiringGrad()
    let n = x.norm(axis: 1)
    XCTAssertEqual(n.scalars, [5, 0])
    try n.backward(Tensor.ones([2]))
    XCTAssertEqual(x.grad?.scalars, [0.6, 0, 0.8, 0, 0, 0], "x/‖x‖, and 0 where the norm is 0")
    let r = randn([3, 4, 5], seed: 10)
    assertCloseForward(r.norm(axis: 1, keepDims: true), referenceSum(r * r, axes: [1]).map { $0.squareRoot() })
    for axis in [0, 1, -1] {
      gradCheck("norm axis \(axis)", [r]) { $0[0].norm(axis: axis) }
      gradCheck("norm axis \(axis) keepDims", [r]) { $0[0].norm(axis: axis, keepDims: true) }
    }
  }

  func testNormComposesToL2NormalizeFixture() throws {
    let f = try Fixture("l2_normalize_rows")
    let x = f.leaf("x")
    let y = x / (x.norm(axis: 1, keepDims: true) + 1e-7)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
  }
}

private extension Tensor {
  func reshaped(_ shape: [Int]) -> Tensor { Tensor(storage: storage, shape: shape) }
}
