import ArgumentParser
import Distributed
import Foundation
import Replicas
import Tensors

/// `mpirun -np 2 i2i bench allreduce`: the gradient all-reduce of the Swift layer against plain MPI_Allreduce,
/// and how much of the communication of a small model's backward is hidden behind the computation.
struct BenchAllReduce: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "allreduce",
    abstract: "All-reduce time and bus bandwidth of the Swift layer vs plain MPI (run under mpirun).")

  @Option(help: "Bucket sizes in MiB.") var sizes: [Int] = [1, 4, 16, 64]
  @Option(help: "Timed iterations per size.") var iters: Int = 10
  @Option(help: "Compute threads per rank.") var threads: Int = 1

  func run() throws {
    ComputeThreads.set(threads)
    let comm = try Communicator.world()
    let context = MPIReplicaContext(comm)
    let rows = try AllReduceBenchmark.measure(context, mebibytes: sizes, iterations: iters)
    let hidden = try OverlapMeasurement.hiddenFraction(comm, steps: iters)
    guard comm.isRoot else { return }
    print("all-reduce, \(comm.size) ranks, float32 sum (median of \(iters); Swift layer = synchronize(group) of one bucket)")
    print(pad("size", 8) + pad("plain ms", 12) + pad("plain GB/s", 12) + pad("layer ms", 12) + pad("layer GB/s", 12) + "overhead")
    for r in rows {
      let line = pad("\(r.bytes >> 20) MiB", 8) + pad(fmt(r.plainSeconds * 1e3, 3), 12)
        + pad(fmt(r.busBandwidth(r.plainSeconds, ranks: comm.size), 2), 12) + pad(fmt(r.layerSeconds * 1e3, 3), 12)
        + pad(fmt(r.busBandwidth(r.layerSeconds, ranks: comm.size), 2), 12) + fmt(r.overhead * 100, 1) + "%"
      print(line)
    }
    print("communication hidden behind backward (small conv model, 4 buckets): \(fmt(hidden * 100, 1))%")
    let worst = rows.map(\.overhead).max() ?? 0
    print("allreduce_overhead_max=\(fmt(worst, 4))")
  }

  private func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count + 1), withPad: " ", startingAt: 0) }
  private func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
}

/// A small convolutional model whose gradients span several buckets; backward with overlapped synchronisation.
enum OverlapMeasurement {
  static func hiddenFraction(_ comm: Communicator, steps: Int) throws -> Double {
    let context = MPIReplicaContext(comm, bucketCapBytes: 256 << 10)
    var rng = RandomStream(seed: 3)
    let shapes: [[Int]] = [[64, 3, 3, 3], [128, 64, 3, 3], [128, 128, 3, 3], [3, 128, 3, 3]]
    let weights = shapes.map { (Tensor.randn($0, &rng) * 0.05).requiringGrad() }
    let group = try context.register(group: "overlap",
                                     parameters: weights.enumerated().map { ("conv\($0.offset).weight", $0.element) })
    let x = Tensor.randn([2, 3, 32, 32], &rng)
    var waits = 0.0, total = 0.0
    for step in 0..<(steps + 1) {
      group.zeroGradients()
      var h = x
      for (i, w) in weights.enumerated() { h = conv2d(h, w, nil, stride: 1, padding: 1); if i < 3 { h = relu(h) } }
      try context.backward((h * h).mean(), synchronizing: [group])
      if step > 0 { waits += context.lastWaitSeconds; total += context.lastCommunicationSeconds }
    }
    return total > 0 ? max(0, 1 - waits / total) : 0
  }
}
