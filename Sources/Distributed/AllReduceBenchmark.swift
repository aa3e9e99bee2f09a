import CMPI
import Replicas
import Tensors

/// Measures the gradient-synchronisation path against a plain `MPI_Allreduce` of the same buffer, in one run.
public enum AllReduceBenchmark {
  public struct Row {
    public let bytes: Int
    /// Median seconds: the Swift layer (`synchronize`: a bucket all-reduce, after any queued collectives), and plain MPI.
    public let layerSeconds: Double
    public let plainSeconds: Double
    /// Bus bandwidth in GB/s (2(N−1)/N · bytes / time, the NCCL-tests convention).
    public func busBandwidth(_ seconds: Double, ranks: Int) -> Double {
      2 * Double(ranks - 1) / Double(ranks) * Double(bytes) / seconds / 1e9
    }
    public var overhead: Double { layerSeconds / plainSeconds - 1 }
  }

  /// Alternates plain and layer runs `iterations` times per size (after a warm-up) and keeps the medians.
  public static func measure(_ context: MPIReplicaContext, mebibytes: [Int], iterations: Int) throws -> [Row] {
    let comm = context.communicator
    let clock = ContinuousClock()
    return try mebibytes.map { mib in
      let count = mib << 18
      let parameter = Tensor(zeros: [count]).requiringGrad()
      let group = try context.register(group: "bench-\(mib)", parameters: [("p", parameter)])
      let plain = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
      defer { plain.deallocate() }
      plain.initialize(repeating: 1)
      var layerTimes: [Double] = [], plainTimes: [Double] = []
      func timePlain() throws -> Double {
        try comm.barrier()
        let t = clock.now
        let rc = MPI_Allreduce(cmpi_in_place(), plain.baseAddress, Int32(count), cmpi_float(), cmpi_sum(), comm.comm)
        try MPIError.check(rc, "MPI_Allreduce")
        return (clock.now - t).seconds
      }
      func timeLayer() throws -> Double {
        try comm.barrier()
        let t = clock.now
        try context.synchronize([group])
        return (clock.now - t).seconds
      }
      // NOTE: which of the two runs first alternates: the second of a pair measured up to 10% slower at 64 MiB
      for i in 0..<(iterations + 1) {
        var p = 0.0, l = 0.0
        if i % 2 == 0 { p = try timePlain(); l = try timeLayer() } else { l = try timeLayer(); p = try timePlain() }
        if i > 0 { plainTimes.append(p); layerTimes.append(l) }
      }
      // Every rank reports the slowest rank's median.
      let layer = try comm.allReduce(median(layerTimes), .max), base = try comm.allReduce(median(plainTimes), .max)
      return Row(bytes: count * 4, layerSeconds: layer, plainSeconds: base)
    }
  }

  static func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? 0 : s[s.count / 2]
  }
}
