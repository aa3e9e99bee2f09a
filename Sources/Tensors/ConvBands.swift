import CBLAS

/// How a convolution pass walks its grid: per image, `count` bands of `height` grid rows (the last may be shorter),
/// the image × band items split over `workers` threads.
///
/// One worker: BLAS and the data-movement kernels each use all `ComputeThreads`. Several workers (passes whose
/// bands write disjoint outputs: a forward through columns, weight gradients): each worker runs its share of the
/// items on one thread, BLAS included, into its own column buffer and its own partial weight gradient, summed at
/// the end. (col2im passes stay on one worker: neighbouring bands add into the same image rows.)
// NOTE: BLAS splits a GEMM over its M×N output only; a weight gradient (M×N = O × C·kh·kw, K = pixels) is small
// there and measured no faster on 2 threads than on 1 (81 vs 80 GFLOP/s for 147×32×3082), so its K is split here.
// Whole bands per thread also need fewer thread wake-ups than a threaded GEMM per band.
struct BandPlan {
  let height: Int, count: Int, workers: Int
}

extension Conv2dShape {
  /// Bands whose column buffer of `rows` rows × gridW floats stays within `columnBudget`; with `splitOverThreads`
  /// enough (and, for one image, a multiple of the thread count) to give every thread an equal share.
  func bandPlan(rows: Int, gridH: Int, gridW: Int, splitOverThreads: Bool) -> BandPlan {
    let threads = splitOverThreads ? ComputeThreads.count : 1
    let most = max(1, columnBudget / max(rows * gridW, 1))
    var bands = (gridH + most - 1) / most
    if threads > 1 {
      bands = max(bands, (threads + batch - 1) / batch)
      if batch == 1 { bands = (bands + threads - 1) / threads * threads }
      bands = min(bands, gridH)
    }
    let height = (gridH + bands - 1) / bands
    let count = (gridH + height - 1) / height
    return BandPlan(height: height, count: count, workers: min(threads, batch * count))
  }

  /// Calls `body(worker, image, gridRows, isFirst)` for every image and band of `plan`, isFirst marking a worker's
  /// first item (where its accumulators start with beta 0).
  func forEachBand(_ plan: BandPlan, gridH: Int, _ body: (Int, Int, Range<Int>, Bool) -> Void) {
    let items = batch * plan.count
    func run(_ worker: Int, _ range: Range<Int>) {
      for item in range {
        let r0 = (item % plan.count) * plan.height
        body(worker, item / plan.count, r0..<min(gridH, r0 + plan.height), item == range.lowerBound)
      }
    }
    if plan.workers == 1 { return run(0, 0..<items) }
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(Int32(ComputeThreads.count)) }
    parallelFor(plan.workers) { workers in
      for worker in workers { run(worker, items * worker / plan.workers ..< items * (worker + 1) / plan.workers) }
    }
  }
}

/// p[0..<count] += p[k·count ..< (k+1)·count] for k in 1..<parts: the workers' partial sums into the first.
func sumPartials(_ p: UnsafeMutablePointer<Float>, count: Int, parts: Int) {
  for k in 1..<max(parts, 1) {
    let q = p + k * count
    for i in 0..<count { p[i] += q[i] }
  }
}
