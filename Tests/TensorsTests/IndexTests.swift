import XCTest
import Tensors
import TestSupport

/// Multi-index of flat position `p` in a row-major `shape`, and back.
private func multiIndex(_ p: Int, _ shape: [Int]) -> [Int] {
  let s = Tensor.strides(shape)
  return shape.indices.map { (p / s[$0]) % shape[$0] }
}
private func flat(_ i: [Int], _ shape: [Int]) -> Int { zip(i, Tensor.strides(shape)).map(*).reduce(0, +) }

final class IndexTests: XCTestCase {
  func testConcatStackSplitChunkNarrowValues() {
    let a = Tensor([1, 2, 3, 4], [2, 2]), b = Tensor([5, 6], [2, 1])
    XCTAssertEqual(Tensor.concat([a, b], axis: 1).scalars, [1, 2, 5, 3, 4, 6])
    XCTAssertEqual(Tensor.concat([a, b.reshape([1, 2])], axis: 0).scalars, [1, 2, 3, 4, 5, 6])
    let s = Tensor.stack([a, a * 10], axis: -1)
    XCTAssertEqual(s.shape, [2, 2, 2])
    XCTAssertEqual(s.scalars, [1, 10, 2, 20, 3, 30, 4, 40])
    XCTAssertEqual(Tensor.stack([a, a], axis: 0).shape, [2, 2, 2])

    let x = Tensor((0..<10).map(Float.init), [2, 5])
    XCTAssertEqual(x.narrow(axis: 1, start: 1, length: 3).scalars, [1, 2, 3, 6, 7, 8])
    XCTAssertEqual(x.split([2, 3], axis: 1).map(\.scalars), [[0, 1, 5, 6], [2, 3, 4, 7, 8, 9]])
    XCTAssertEqual(x.chunk(3, axis: 1).map { $0.shape[1] }, [2, 2, 1])  // torch.chunk sizes
    XCTAssertEqual(Tensor.ones([6]).chunk(4, axis: 0).map(\.count), [2, 2, 2])
    XCTAssertEqual(x.chunk(2, axis: 0).map(\.scalars), [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])
  }

  func testLargeConcatAndNarrowRoundTrip() {
    var rng = RandomStream(seed: 3)
    let x = Tensor.randn([64, 3, 40, 40], &rng)
    let parts = x.split([1, 2], axis: 1)
    assertClose(Tensor.concat(parts, axis: 1), x, rtol: 0, atol: 0, "split along 1")
    assertClose(Tensor.concat(x.chunk(3, axis: 3), axis: 3), x, rtol: 0, atol: 0, "chunk along 3")
  }

  func testIndexSelectGatherScatterAddMatchNaiveReference() {
    var rng = RandomStream(seed: 4)
    let x = Tensor.randn([3, 4, 5], &rng)
    let picked = x.indexSelect(axis: 1, [3, 0, 3])
    XCTAssertEqual(picked.shape, [3, 3, 5])
    for p in 0..<picked.count {
      var i = multiIndex(p, picked.shape)
      i[1] = [3, 0, 3][i[1]]
      XCTAssertEqual(picked[flat: p], x[flat: flat(i, x.shape)])
    }

    // torch.gather along axis 1 with an index smaller than x off the axis: y[i][j][k] = x[i][index[i][j][k]][k].
    let indexShape = [2, 6, 3]
    let index = (0..<36).map { ($0 * 7) % 4 }
    let y = x.gather(axis: 1, index, indexShape: indexShape)
    XCTAssertEqual(y.shape, indexShape)
    for p in 0..<y.count {
      var i = multiIndex(p, indexShape)
      i[1] = index[p]
      XCTAssertEqual(y[flat: p], x[flat: flat(i, x.shape)])
    }

    // scatter_add along axis 2 with src larger than the index: out = x, out[i][j][index[i][j][k]] += src[i][j][k].
    let src = Tensor.randn([3, 5, 4], &rng)
    let sIndexShape = [2, 4, 3], sIndex = (0..<24).map { ($0 * 3) % 5 }
    let out = x.scatterAdd(axis: 2, sIndex, indexShape: sIndexShape, src)
    var expected = x.scalars
    for p in 0..<sIndex.count {
      var i = multiIndex(p, sIndexShape)
      let s = src[flat: flat(i, src.shape)]
      i[2] = sIndex[p]
      expected[flat(i, x.shape)] += s
    }
    XCTAssertEqual(out.scalars, expected)
    XCTAssertEqual(x.gather(axis: -1, [4, 0], indexShape: [1, 1, 2]).scalars, [x[flat: 4], x[flat: 0]])
  }

  func testGradients() {
    var rng = RandomStream(seed: 5)
    let a = Tensor.randn([2, 3, 4], &rng), b = Tensor.randn([2, 1, 4], &rng), c = Tensor.randn([2, 2, 4], &rng)
    gradCheck("concat", [a, b, c]) { Tensor.concat($0, axis: 1) }
    gradCheck("stack", [a, a]) { Tensor.stack($0, axis: 2) }
    gradCheck("narrow", [a]) { $0[0].narrow(axis: 2, start: 1, length: 2) }
    gradCheck("split", [a]) { x in
      let p = x[0].split([1, 2], axis: 1)
      return Tensor.concat([p[1], p[0] * p[0]], axis: 1)
    }
    gradCheck("chunk", [a]) { x in let p = x[0].chunk(3, axis: -1); return p[0] * p[1] }
    gradCheck("indexSelect repeats", [a]) { $0[0].indexSelect(axis: 2, [3, 1, 3, 3, 0]) }
    gradCheck("indexSelect axis 0", [a]) { $0[0].indexSelect(axis: 0, [1, 1, 0]) }
    gradCheck("gather", [a]) { $0[0].gather(axis: 1, (0..<16).map { ($0 * 5) % 3 }, indexShape: [2, 4, 2]) }
    let src = Tensor.randn([2, 3, 5], &rng)
    gradCheck("scatterAdd", [a, src]) {
      $0[0].scatterAdd(axis: 2, (0..<12).map { ($0 * 3) % 4 }, indexShape: [2, 2, 3], $0[1])
    }
  }

  func testConcatWithAConstantGivesGradientOnlyToTheLeaf() throws {
    let x = Tensor([1, 2], [1, 2]).requiringGrad()
    let y = Tensor.concat([Tensor.ones([1, 2]), x], axis: 0)
    try y.backward(Tensor([1, 2, 3, 4], [2, 2]))
    XCTAssertEqual(x.grad?.scalars, [3, 4])
  }
}
