import Synchronization

/// Floating-point operations done in `cblas_sgemm` by the conv and matmul ops, 2·m·n·k per call, summed over every
/// thread since the last `reset()`. `i2i bench step` reports them per training step; the count costs one relaxed
/// atomic add per GEMM call.
public enum GemmFlops {
  static let counter = Atomic<Int>(0)

  public static var total: Int { counter.load(ordering: .relaxed) }

  public static func reset() { counter.store(0, ordering: .relaxed) }

  @inline(__always)
  static func add(m: Int, n: Int, k: Int) { counter.add(2 &* m &* n &* k, ordering: .relaxed) }
}
