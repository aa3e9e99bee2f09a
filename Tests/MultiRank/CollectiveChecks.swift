import Distributed
import Tensors

enum CollectiveChecks {
  static func run(_ checks: inout MultiRankChecks, _ comm: Communicator) {
    let (rank, size) = (comm.rank, comm.size)

    checks.check("all-reduce sum equals the sum in rank order, bit for bit") {
      // Values of mixed magnitude, so that the order of additions matters.
      func value(_ r: Int, _ i: Int) -> Float {
        var rng = RandomStream(seed: 5, key: [UInt64(r), UInt64(i)])
        return rng.nextNormal() * Float(1 << (i % 20))
      }
      var mine = (0..<4099).map { value(rank, $0) }
      try comm.allReduce(&mine, .sum)
      for i in 0..<mine.count {
        var expected: Float = 0
        for r in 0..<size { expected += value(r, i) }
        if mine[i].bitPattern != expected.bitPattern { return "element \(i): \(mine[i]) vs rank-order sum \(expected)" }
      }
      return nil
    }
    checks.check("all-reduce max/min over Float, Double and Int64") {
      let f = try comm.allReduce(Float(rank), .max), d = try comm.allReduce(Double(rank) + 0.5, .min)
      let i = try comm.allReduce(Int64(rank + 1), .sum)
      guard f == Float(size - 1), d == 0.5, i == Int64(size * (size + 1) / 2) else { return "got \(f), \(d), \(i)" }
      return nil
    }
    checks.check("broadcast and all-gather (equal and varying counts)") {
      var b: [Double] = rank == 0 ? [1, 2, 3] : [0, 0, 0]
      try comm.broadcast(&b, root: 0)
      let g = try comm.allGather([Int64(rank), Int64(rank * 10)])
      let (v, counts) = try comm.allGatherVarying([Float](repeating: Float(rank), count: rank + 1))
      let expectedV = (0..<size).flatMap { r in [Float](repeating: Float(r), count: r + 1) }
      guard b == [1, 2, 3] else { return "broadcast gave \(b)" }
      guard g == (0..<size).flatMap({ [Int64($0), Int64($0 * 10)] }) else { return "allGather gave \(g)" }
      guard v == expectedV, counts == (0..<size).map({ $0 + 1 }) else { return "allGatherVarying gave \(v) \(counts)" }
      try comm.barrier()
      return nil
    }
    checks.check("local rank and size describe this node") {
      guard comm.localRank >= 0, comm.localRank < comm.localSize, comm.localSize <= size else {
        return "local \(comm.localRank)/\(comm.localSize)"
      }
      return nil
    }
  }
}
