import CBLAS

/// Row-major C[m, n] = A·B + beta·C with A [m, k] (or its transpose stored [k, m]) and B [k, n] (or [n, k]), on the
/// calling thread (OpenBLAS runs single-threaded, see `ComputeThreads`) or, with `threaded`, split over the compute
/// threads: into row blocks of C when A is the larger operand, else column blocks, so that the operand every thread
/// packs in full is the smaller one. Each block is one single-threaded BLAS call over the whole inner dimension.
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threaded: Bool = false) {
  GemmFlops.add(m: m, n: n, k: k)
  let threads = ComputeThreads.count  // NOTE: its first use also makes OpenBLAS single-threaded
  @inline(__always) func call(_ m: Int, _ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                              _ c: UnsafeMutablePointer<Float>) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }
  let blocks = threaded ? gemmBlocks(m: m, n: n, k: k, threads: threads) : 1
  guard blocks > 1 else { return call(m, n, a, b, c) }
  if m > n {
    parallelFor(blocks) { r in
      for i in r {
        let i0 = splitPoint(m, i, blocks), i1 = splitPoint(m, i + 1, blocks)
        if i0 < i1 { call(i1 - i0, n, transA ? a + i0 : a + i0 * lda, b, c + i0 * ldc) }
      }
    }
  } else {
    parallelFor(blocks) { r in
      for j in r {
        let j0 = splitPoint(n, j, blocks), j1 = splitPoint(n, j + 1, blocks)
        if j0 < j1 { call(m, j1 - j0, a, transB ? b + j0 * ldb : b + j0, c + j0) }
      }
    }
  }
}

/// Blocks a threaded GEMM is split into: one per compute thread once it has at least 2²³ multiply-adds (about
/// 0.1 ms on one core, a multiple of a thread wake-up) and its split side has 16 rows or columns per block.
private func gemmBlocks(m: Int, n: Int, k: Int, threads: Int) -> Int {
  guard m * n * k >= 1 << 23 else { return 1 }
  return max(1, min(threads, max(m, n) / 16))
}

/// Start of block i of `count` blocks over `size`, rounded to a multiple of 16 (the GEMM kernels' blocking).
private func splitPoint(_ size: Int, _ i: Int, _ count: Int) -> Int {
  i == count ? size : min(size, (size * i / count + 8) / 16 * 16)
}
