/// Matrix products on `cblas_sgemm` (row-major). Forward and backward are each a batched GEMM; gradients of a
/// transposed operand are computed with the transpose flags, never by materialising a transpose.

/// C = op(A)·op(B), op = transpose when the flag is set.
/// 2-D: A [M, K] (or [K, M]), B [K, N] (or [N, K]) → [M, N]. 3-D: A [Ba, ·, ·], B [Bb, ·, ·] → [max(Ba, Bb), M, N],
/// where a 2-D operand or one of batch 1 is shared by every batch item (its gradient is summed over the batch).
/// Backward: dop(A) = g·op(B)ᵀ, dop(B) = op(A)ᵀ·g.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
  precondition((a.rank == 2 || a.rank == 3) && (b.rank == 2 || b.rank == 3),
               "matmul: needs 2-D or 3-D operands, got \(a.shape) and \(b.shape)")
  let (ra, ca) = (a.shape[a.rank - 2], a.shape[a.rank - 1]), (rb, cb) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
  let (m, k) = transposeA ? (ca, ra) : (ra, ca)
  let (kb, n) = transposeB ? (cb, rb) : (rb, cb)
  let (ba, bb) = (a.rank == 3 ? a.shape[0] : 1, b.rank == 3 ? b.shape[0] : 1)
  precondition(k == kb && (ba == bb || ba == 1 || bb == 1),
               "matmul: shapes \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "") do not multiply")
  let batch = max(ba, bb)
  let y = Tensor(uninitialized: a.rank == 3 || b.rank == 3 ? [batch, m, n] : [m, n])
  let (sa, sb) = (ba == 1 ? 0 : ra * ca, bb == 1 ? 0 : rb * cb)  // batch strides; 0 = shared
  let A = GemmOperand(a.storage.base, transposed: transposeA, ld: ca, batchStride: sa)
  let B = GemmOperand(b.storage.base, transposed: transposeB, ld: cb, batchStride: sb)
  batchedGemm(batch, m, n, k, A, B, y.storage.base, batchStride: m * n)

  let (needA, needB) = (a.requiresGrad, b.requiresGrad)
  let (savedA, savedB) = (a.saved(for: "matmul"), b.saved(for: "matmul"))
  let (shapeA, shapeB) = (a.shape, b.shape)
  return Tensor.record("matmul", y, inputs: [a, b]) { g in
    let G = GemmOperand(g.storage.base, transposed: false, ld: n, batchStride: m * n)
    var gradA: Tensor?, gradB: Tensor?
    if needA {
      let bv = try savedB.get(), ga = Tensor(uninitialized: shapeA)
      let B = GemmOperand(bv.storage.base, transposed: transposeB, ld: cb, batchStride: sb)
      if transposeA {  // A [K, M]: dA = op(B)·gᵀ
        batchedGemm(batch, k, m, n, B, G.transposed, ga.storage.base, batchStride: sa)
      } else {         // A [M, K]: dA = g·op(B)ᵀ
        batchedGemm(batch, m, k, n, G, B.transposed, ga.storage.base, batchStride: sa)
      }
      gradA = ga
    }
    if needB {
      let av = try savedA.get(), gb = Tensor(uninitialized: shapeB)
      let A = GemmOperand(av.storage.base, transposed: transposeA, ld: ca, batchStride: sa)
      if transposeB {  // B [N, K]: dB = gᵀ·op(A)
        batchedGemm(batch, n, k, m, G.transposed, A, gb.storage.base, batchStride: sb)
      } else {         // B [K, N]: dB = op(A)ᵀ·g
        batchedGemm(batch, k, n, m, A.transposed, G, gb.storage.base, batchStride: sb)
      }
      gradB = gb
    }
    return [gradA, gradB]
  }
}

/// y = x·wᵀ + b for x [..., in], w [out, in], b [out] → y [..., out]: one GEMM over the rows of x, the bias
/// broadcast into y first and added by the GEMM (beta = 1).
/// Backward: dx = g·w, dw = gᵀ·x, db = column sums of g (g viewed as [rows, out]).
public func linear(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Tensor {
  precondition(w.rank == 2 && x.rank >= 1 && x.shape[x.rank - 1] == w.shape[1],
               "linear: input \(x.shape) does not match weight \(w.shape) [out, in]")
  let (outFeatures, inFeatures) = (w.shape[0], w.shape[1])
  precondition(b == nil || b!.shape == [outFeatures], "linear: bias \(b!.shape) for weight \(w.shape)")
  let rows = x.count / max(inFeatures, 1)
  let y = Tensor(uninitialized: Array(x.shape.dropLast()) + [outFeatures])
  let py = y.storage.base
  if let b {
    copyRows(rows, outFeatures, from: b.storage.base, stride: 0, to: py, stride: outFeatures)
  }
  let X = GemmOperand(x.storage.base, transposed: false, ld: inFeatures, batchStride: 0)
  let W = GemmOperand(w.storage.base, transposed: true, ld: inFeatures, batchStride: 0)
  batchedGemm(1, rows, outFeatures, inFeatures, X, W, py, batchStride: 0, beta: b == nil ? 0 : 1)

  let (needX, needW, needB) = (x.requiresGrad, w.requiresGrad, b?.requiresGrad ?? false)
  let (savedX, savedW, shapeX) = (x.saved(for: "linear"), w.saved(for: "linear"), x.shape)
  return Tensor.record("linear", y, inputs: b.map { [x, w, $0] } ?? [x, w]) { g in
    let G = GemmOperand(g.storage.base, transposed: false, ld: outFeatures, batchStride: 0)
    var gx: Tensor?, gw: Tensor?, gb: Tensor?
    if needX {
      let wv = try savedW.get()
      gx = Tensor(uninitialized: shapeX)
      let W = GemmOperand(wv.storage.base, transposed: false, ld: inFeatures, batchStride: 0)
      batchedGemm(1, rows, inFeatures, outFeatures, G, W, gx!.storage.base, batchStride: 0)
    }
    if needW {
      let xv = try savedX.get()
      gw = Tensor(uninitialized: [outFeatures, inFeatures])
      let X = GemmOperand(xv.storage.base, transposed: false, ld: inFeatures, batchStride: 0)
      batchedGemm(1, outFeatures, inFeatures, rows, G.transposed, X, gw!.storage.base, batchStride: 0)
    }
    if needB {
      gb = Tensor(zeros: [outFeatures])
      let pg = g.storage.base, pb = gb!.storage.base
      for r in 0..<rows {
        let row = pg + r &* outFeatures
        for j in 0..<outFeatures { pb[j] += row[j] }
      }
    }
    return [gx, gw, gb]
  }
}

/// One operand of a batched GEMM: item i is the matrix at `base + i·batchStride` (stride 0: one matrix shared by
/// every item), rows `ld` floats apart, read transposed when `transposed`.
struct GemmOperand {
  let base: UnsafeMutablePointer<Float>
  let isTransposed: Bool
  let ld: Int
  let batchStride: Int

  init(_ base: UnsafeMutablePointer<Float>, transposed: Bool, ld: Int, batchStride: Int) {
    self.base = base; self.isTransposed = transposed; self.ld = ld; self.batchStride = batchStride
  }

  var transposed: GemmOperand { GemmOperand(base, transposed: !isTransposed, ld: ld, batchStride: batchStride) }
}

/// C_i = op(A_i)·op(B_i) + beta·C_i for i in 0..<batch, op(A_i) [m, k], op(B_i) [k, n], C_i [m, n] (row stride n) at
/// c + i·batchStride. With batchStride 0 every item adds into the same C (the gradient of a shared operand).
func batchedGemm(_ batch: Int, _ m: Int, _ n: Int, _ k: Int, _ a: GemmOperand, _ b: GemmOperand,
                 _ c: UnsafeMutablePointer<Float>, batchStride: Int, beta: Float = 0) {
  func gemm(_ m: Int, _ k: Int, _ pa: UnsafeMutablePointer<Float>, _ pb: UnsafeMutablePointer<Float>,
            _ pc: UnsafeMutablePointer<Float>, _ beta: Float, threaded: Bool = true) {
    sgemm(transA: a.isTransposed, transB: b.isTransposed, m: m, n: n, k: k, a: pa, lda: a.ld, b: pb, ldb: b.ld,
          beta: beta, c: pc, ldc: n, threaded: threaded)
  }
  if m == 0 || n == 0 { return }
  if k == 0 {  // empty products: C = beta·C (BLAS rejects the zero leading dimensions)
    if beta == 0 { for i in 0..<(batchStride == 0 ? 1 : batch) { (c + i * batchStride).update(repeating: 0, count: m * n) } }
    return
  }
  if batch == 1 { return gemm(m, k, a.base, b.base, c, beta) }
  // Folds that turn the batch into one larger GEMM: stacked rows of A give stacked rows of C when B is shared;
  // stacked Aᵀ·B products summed into one C are one product over the stacked inner dimension.
  if b.batchStride == 0 && !a.isTransposed && a.batchStride == m * a.ld && batchStride == m * n {
    return gemm(m * batch, k, a.base, b.base, c, beta)
  }
  if batchStride == 0 && a.isTransposed && !b.isTransposed && a.batchStride == k * a.ld && b.batchStride == k * b.ld {
    return gemm(m, k * batch, a.base, b.base, c, beta)
  }
  if batchStride == 0 {
    for i in 0..<batch { gemm(m, k, a.base + i * a.batchStride, b.base + i * b.batchStride, c, i == 0 ? beta : 1) }
    return
  }
  // NOTE: small products are split over the batch, one thread per item; large ones each over all threads.
  if ComputeThreads.count > 1 && m * n * k < 1 << 21 {
    parallelFor(batch) { r in
      for i in r {
        gemm(m, k, a.base + i * a.batchStride, b.base + i * b.batchStride, c + i * batchStride, beta, threaded: false)
      }
    }
  } else {
    for i in 0..<batch { gemm(m, k, a.base + i * a.batchStride, b.base + i * b.batchStride, c + i * batchStride, beta) }
  }
}
