import CBLAS
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The rank's compute threads: how many threads its kernels split work over, GEMMs included.
///
/// OpenBLAS itself runs single-threaded: a GEMM that should use several threads is split into blocks over these
/// threads (`sgemm(threaded:)`). NOTE: OpenBLAS's own pool spins (`sched_yield`) for up to ~0.1 s after each threaded
/// call; on 2 cores that spinning thread took 8 % of the CPU of a training step from the kernels' threads.
public enum ComputeThreads {
  nonisolated(unsafe) public private(set) static var count: Int = {
    openblas_set_num_threads(1)
    return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
  }()

  /// Sets the kernels' thread count (call once at start-up, from `--threads`).
  public static func set(_ n: Int) {
    precondition(n >= 1, "--threads must be at least 1, got \(n)")
    count = n
    openblas_set_num_threads(1)
  }
}

/// How many elements a cheap kernel (a few flops and bytes per element: copies, adds, norms, Adam) must give each
/// thread before splitting it pays. Waking an idle worker cost 60–80 µs on the 2-vCPU VMs this was measured on, as
/// long as adding 512K floats: below that, such kernels ran slower on 2 threads than on 1 (BENCHMARKS.md,
/// "Training step"). Kernels with transcendental functions use smaller grains.
public let elementsPerThread = 1 << 19

/// Runs `body` over `0..<n` split into contiguous chunks of at least `grain` items, on up to
/// `ComputeThreads.count` threads. Small `n` runs inline on the caller's thread.
///
/// NOTE: write the per-element work inside the closure literal. On one thread the call inlines completely; on
/// several, `body` runs as a closure of its own, and a closure it captures (the `f` of a generic `map`) is then
/// called through a pointer for every element, unvectorised: measured 10× slower on 2 threads than on 1.
@inline(__always)
public func parallelFor(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
  let threads = ComputeThreads.count
  let chunks = min(threads, max(1, n / max(grain, 1)))
  if chunks <= 1 { if n > 0 { body(0..<n) }; return }
  DispatchQueue.concurrentPerform(iterations: chunks) { c in
    let lo = n * c / chunks, hi = n * (c + 1) / chunks
    if lo < hi { body(lo..<hi) }
  }
}
