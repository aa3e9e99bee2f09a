import XCTest
import Tensors
import TestSupport

/// Naive oracle: C[i] = op(A[i])·op(B[i]) in Double, a 2-D operand or batch 1 shared over the batch.
private func referenceMatmul(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> Tensor {
  func matrix(_ t: Tensor, _ i: Int, _ transposed: Bool) -> (Int, Int, (Int, Int) -> Double) {
    let (r, c) = (t.shape[t.rank - 2], t.shape[t.rank - 1])
    let base = t.rank == 3 && t.shape[0] > 1 ? i * r * c : 0
    return transposed ? (c, r, { Double(t[flat: base + $1 * c + $0]) }) : (r, c, { Double(t[flat: base + $0 * c + $1]) })
  }
  let batch = max(a.rank == 3 ? a.shape[0] : 1, b.rank == 3 ? b.shape[0] : 1)
  var out: [Float] = []
  var (m, n) = (0, 0)
  for i in 0..<batch {
    let (ma, k, fa) = matrix(a, i, ta), (_, nb, fb) = matrix(b, i, tb)
    (m, n) = (ma, nb)
    for r in 0..<m { for c in 0..<n { out.append(Float((0..<k).reduce(0.0) { $0 + fa(r, $1) * fb($1, c) })) } }
  }
  return Tensor(out, a.rank == 3 || b.rank == 3 ? [batch, m, n] : [m, n])
}

/// Σₖ|op(A)ᵢₖ|·|op(B)ₖⱼ| for every element: the magnitude of the terms of each product sum.
private func productMagnitude(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> Tensor {
  referenceMatmul(Tensor(a.scalars.map(abs), a.shape), Tensor(b.scalars.map(abs), b.shape), ta, tb)
}

final class MatMulTests: XCTestCase {
  /// Operand shapes for op(A) [M=3, K=4], op(B) [K=4, N=2] with the given batch sizes (0 = a 2-D operand).
  private func operands(_ batchA: Int, _ batchB: Int, _ ta: Bool, _ tb: Bool, _ rng: inout RandomStream,
                        m: Int = 3, k: Int = 4, n: Int = 2) -> (Tensor, Tensor) {
    let sa = ta ? [k, m] : [m, k], sb = tb ? [n, k] : [k, n]
    return (Tensor.randn(batchA == 0 ? sa : [batchA] + sa, &rng), Tensor.randn(batchB == 0 ? sb : [batchB] + sb, &rng))
  }

  private let batchCases = [(0, 0), (3, 3), (0, 3), (3, 0), (1, 3), (3, 1), (1, 1)]

  func testMatchesNaiveReferenceForAllFlagsAndBatchLayouts() {
    var rng = RandomStream(seed: 6)
    for (ba, bb) in batchCases {
      for ta in [false, true] {
        for tb in [false, true] {
          let (a, b) = operands(ba, bb, ta, tb, &rng)
          let what = "batches \(ba)×\(bb) transposeA \(ta) transposeB \(tb)"
          assertCloseForward(matmul(a, b, transposeA: ta, transposeB: tb), referenceMatmul(a, b, ta, tb), what)
        }
      }
    }
  }

  /// Products of at least 2²³ multiply-adds are split into row blocks (M > N) or column blocks over the compute
  /// threads: on 3 threads (uneven blocks) they must agree with the one-thread product for every flag.
  func testThreadedProductsEqualOneThread() {
    var rng = RandomStream(seed: 9)
    let saved = ComputeThreads.count
    defer { ComputeThreads.set(saved) }
    for (m, n) in [(264, 130), (130, 264)] {
      for ta in [false, true] {
        for tb in [false, true] {
          let (a, b) = operands(0, 0, ta, tb, &rng, m: m, k: 250, n: n)
          ComputeThreads.set(1)
          let one = matmul(a, b, transposeA: ta, transposeB: tb)
          ComputeThreads.set(3)
          let three = matmul(a, b, transposeA: ta, transposeB: tb)
          // NOTE: a split GEMM may take another kernel path (edge blocks) and so another summation order; the two
          // agree within the rounding bound of two 250-term sums, not bit for bit.
          assertWithinSumBound(three, one, terms: 250, magnitude: productMagnitude(a, b, ta, tb),
                               "\(m)×\(n) transposeA \(ta) transposeB \(tb)")
        }
      }
    }
  }

  func testLargeBatchedProductsAgreeWithReference() {
    var rng = RandomStream(seed: 7)
    for (ba, bb) in [(2, 2), (2, 0), (0, 2)] {
      let (a, b) = operands(ba, bb, false, true, &rng, m: 130, k: 128, n: 129)
      assertWithinSumBound(matmul(a, b, transposeB: true), referenceMatmul(a, b, false, true), terms: 128,
                           magnitude: productMagnitude(a, b, false, true), exactSides: 1, "\(ba)×\(bb)")
    }
  }

  func testGradientsForAllFlagsAndBatchLayouts() {
    var rng = RandomStream(seed: 8)
    for (ba, bb) in batchCases {
      for ta in [false, true] {
        for tb in [false, true] {
          let (a, b) = operands(ba, bb, ta, tb, &rng)
          gradCheck("matmul batches \(ba)×\(bb) transposeA \(ta) transposeB \(tb)", [a, b]) {
            matmul($0[0], $0[1], transposeA: ta, transposeB: tb)
          }
        }
      }
    }
  }

  func testLinearMatchesPyTorch() throws {
    let f = try Fixture("linear")
    let (x, w, b) = (f.leaf("x"), f.leaf("w"), f.leaf("b"))
    let y = linear(x, w, b)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
    assertCloseGradient(w.grad, f["gw"], "gw")
    assertCloseGradient(b.grad, f["gb"], "gb")
  }

  func testLinearOnBatchedInput() {
    var rng = RandomStream(seed: 9)
    let x = Tensor.randn([2, 3, 5], &rng), w = Tensor.randn([4, 5], &rng), b = Tensor.randn([4], &rng)
    let y = linear(x, w, b)
    XCTAssertEqual(y.shape, [2, 3, 4])
    assertCloseForward(y, referenceMatmul(x, w, false, true) + b)
    gradCheck("linear with bias", [x, w, b]) { linear($0[0], $0[1], $0[2]) }
    gradCheck("linear without bias", [x, w]) { linear($0[0], $0[1], nil) }
  }
}
