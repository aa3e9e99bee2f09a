// NOTE: a threaded GEMM (OpenBLAS's, or `sgemm(threaded:)`) splits over its M×N output only; a weight gradient (M×N = O × C·kh·kw, K = pixels) is small
// there and measured no faster on 2 threads than on 1 (81 vs 80 GFLOP/s for 147×32×3082), so its K is split here.
// Whole bands per thread also need fewer thread wake-ups than a threaded GEMM and im2col per band.

/// How a convolution pass walks its grid: per image, `count` bands of `height` grid rows (the last may be shorter),
/// split over `workers` threads: whole images each when there are several images, else bands of the one image.
///
/// One worker: its GEMMs (`sgemm(threaded:)`) and data-movement kernels each use all `ComputeThreads`. Several
/// workers: each runs its share on one thread, with its own column buffer, its own partial weight gradient (summed at the
/// end) and, when bands of one image are split (`sharesImage`) and col2im adds neighbouring bands into the same
/// image rows, its own copy of that image (added in at the end).
struct BandPlan {
  let height: Int, count: Int, workers: Int
  /// Several workers on the bands of a single image.
  let sharesImage: Bool
}

extension Conv2dShape {
  /// Bands whose column buffer of `rows` rows × gridW floats stays within `columnBudget`; for one image on several
  /// threads, a multiple of the thread count so that each thread gets an equal share. A weight-heavy convolution
  /// takes each image whole (its columns are no larger than the weight): one image runs on one worker whose BLAS
  /// calls use every thread, with the full pixel count as the weight gradient's inner dimension.
  func bandPlan(rows: Int, gridH: Int, gridW: Int) -> BandPlan {
    let threads = ComputeThreads.count
    if isWeightHeavy && strategy == .columns {
      let workers = min(threads, batch)
      return BandPlan(height: gridH, count: 1, workers: workers, sharesImage: false)
    }
    var height = equalBandHeight(gridH, most: columnBudget / max(rows * gridW, 1))
    if threads > 1 && batch == 1 {
      let bands = min(gridH, ((gridH + height - 1) / height + threads - 1) / threads * threads)
      height = (gridH + bands - 1) / bands
    }
    let count = (gridH + height - 1) / height
    let workers = min(threads, batch == 1 ? count : batch)
    return BandPlan(height: height, count: count, workers: workers, sharesImage: workers > 1 && batch == 1)
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
    // Items are image-major, so splitting at multiples of `count` gives whole images (batch > 1).
    let unit = batch == 1 ? 1 : plan.count, units = items / unit
    onWorkers(plan.workers) { w in
      run(w, unit * (units * w / plan.workers) ..< unit * (units * (w + 1) / plan.workers))
    }
  }

  /// Zeroed private copies of one image for workers 1…, when they share the image (see `BandPlan`).
  func privateImages(_ plan: BandPlan, imageSize: Int) -> TensorStorage? {
    guard plan.sharesImage else { return nil }
    let copies = TensorStorage(count: (plan.workers - 1) * imageSize)
    zeroFill(copies.base, copies.count)
    return copies
  }

  /// The image worker `worker` adds image `n` into: its private copy, or `out` itself.
  func target(_ out: UnsafeMutablePointer<Float>, _ n: Int, imageSize: Int, worker: Int,
              _ copies: TensorStorage?) -> UnsafeMutablePointer<Float> {
    guard let copies, worker > 0 else { return out + n * imageSize }
    return copies.base + (worker - 1) * imageSize
  }
}

/// The height of the fewest equal bands of at most `most` (≥ 1) rows that cover `gridH` rows.
func equalBandHeight(_ gridH: Int, most: Int) -> Int {
  let bands = (gridH + max(most, 1) - 1) / max(most, 1)
  return (gridH + bands - 1) / max(bands, 1)
}

/// Runs `body(worker)` for workers 0..<n, each on its own thread.
func onWorkers(_ n: Int, _ body: (Int) -> Void) {
  parallelFor(n) { workers in for w in workers { body(w) } }
}

/// out += each private copy (the single image shared by workers).
func addPrivateImages(_ copies: TensorStorage?, into out: UnsafeMutablePointer<Float>, imageSize: Int) {
  guard let copies else { return }
  let parts = copies.count / max(imageSize, 1), p = copies.base
  parallelFor(imageSize, grain: elementsPerThread) { r in
    for k in 0..<parts { let q = p + k * imageSize; for i in r { out[i] += q[i] } }
  }
}

/// p[0..<count] += p[k·count ..< (k+1)·count] for k in 1..<parts: the workers' partial sums into the first.
func sumPartials(_ p: UnsafeMutablePointer<Float>, count: Int, parts: Int) {
  guard parts > 1 else { return }
  parallelFor(count, grain: elementsPerThread) { r in
    for k in 1..<parts { let q = p + k * count; for i in r { p[i] += q[i] } }
  }
}
