import Foundation
import Replicas
import Tensors

/// The replica context over MPI. Every collective runs on one communication thread, in the order the training
/// step asks for them, so all ranks issue the same collectives in the same order even while bucket all-reduces
/// overlap backward.
public final class MPIReplicaContext: ReplicaContext {
  public let communicator: Communicator
  private let worker = CommunicationThread(name: "i2i-mpi")
  private var groups = GradientGroupRegistry()
  public let bucketCapBytes: Int
  /// Seconds the last `backward(_:synchronizing:)` spent waiting for communication after backward finished,
  /// and seconds of communication it ran in all: 1 − wait/total is the fraction hidden behind backward.
  public private(set) var lastWaitSeconds = 0.0
  public private(set) var lastCommunicationSeconds = 0.0

  public init(_ communicator: Communicator, bucketCapBytes: Int = 25 << 20) {
    self.communicator = communicator
    self.bucketCapBytes = bucketCapBytes
  }

  deinit { worker.stop() }

  public var rank: Int { communicator.rank }
  public var size: Int { communicator.size }

  /// Runs `body` after every collective submitted before it, and waits for it.
  func collective<R>(_ body: @escaping () throws -> R) throws -> R { try worker.run(body) }

  public func register(group: String, parameters: [(String, Tensor)]) throws -> GradientGroup {
    let buckets = GradientBuckets(group: group, parameters: parameters, capBytes: bucketCapBytes)
    let comm = communicator
    let (low, high) = try collective { () -> (UInt64, UInt64) in
      (try comm.allReduce(buckets.layoutHash, .min), try comm.allReduce(buckets.layoutHash, .max))
    }
    guard low == high else { throw BucketLayoutMismatch(group: group) }
    // Backward accumulates g/N into the buckets, so their all-reduced sum is the mean gradient.
    for s in buckets.slots { s.parameter.node?.gradientScale = 1 / Float(size) }
    return groups.issue(buckets)
  }

  private func reduceBucket(_ buckets: GradientBuckets, _ index: Int) throws {
    let storage = buckets.buffers[index]
    try communicator.allReduceSum(storage.buffer)
    storage.markModified()
  }

  public func synchronize(_ groups: [GradientGroup]) throws {
    let buckets = try self.groups.buckets(of: groups)
    for b in buckets { b.installGradientViews() }
    guard size > 1 else { return }
    try collective { for b in buckets { for i in b.buffers.indices { try self.reduceBucket(b, i) } } }
  }

  public func backward(_ loss: Tensor, synchronizing groups: [GradientGroup]) throws {
    let buckets = try self.groups.buckets(of: groups)
    for b in buckets { b.installGradientViews() }
    guard size > 1 else { try loss.backward(); return }
    // One sequence of buckets, the same on every rank: the groups as named, each group's buckets in index order.
    // A bucket is submitted once it and every bucket before it in the sequence are complete.
    let sequence = buckets.flatMap { b in b.buffers.indices.map { (buckets: b, index: $0) } }
    let firstPosition = buckets.reduce(into: [0]) { $0.append($0.last! + $1.buffers.count) }
    var remaining = buckets.flatMap(\.parameterCountPerBucket)
    var nextToSubmit = 0
    var communication = 0.0
    let clock = ContinuousClock()
    func submitReady() {
      while nextToSubmit < remaining.count && remaining[nextToSubmit] == 0 {
        let (b, i) = sequence[nextToSubmit]
        worker.submit {
          let t = clock.now
          try self.reduceBucket(b, i)
          communication += (clock.now - t).seconds
        }
        nextToSubmit += 1
      }
    }
    for (k, b) in buckets.enumerated() {
      for s in b.slots {
        let position = firstPosition[k] + s.bucket
        s.parameter.node?.gradientReadyHook = { _ in remaining[position] -= 1; submitReady() }
      }
    }
    defer { for b in buckets { for s in b.slots { s.parameter.node?.gradientReadyHook = nil } } }
    try loss.backward()
    // Parameters that got no gradient in this pass still take part (their slices hold zeros or old values).
    for i in remaining.indices { remaining[i] = 0 }
    submitReady()
    let t = clock.now
    try worker.waitForAll()
    lastWaitSeconds = (clock.now - t).seconds
    lastCommunicationSeconds = communication
  }

  public func allGather(_ x: Tensor) throws -> Tensor {
    let gathered = try allGatherDetached(x)
    let rows = x.shape.first ?? 1, perRow = x.shape.dropFirst().reduce(1, *)
    let offset = try collective { try self.communicator.allGather([Int64(rows)]) }
      .prefix(rank).reduce(0) { $0 + Int($1) } * perRow
    let shape = x.shape, count = x.count
    return Tensor.record("all_gather", gathered, inputs: [x]) { [self] g in
      let summed = g.copy()
      try self.collective { try self.communicator.allReduce(summed.storage.buffer, .sum) }
      let slice = Tensor(uninitialized: shape)
      slice.storage.base.update(from: summed.storage.base + offset, count: count)
      return [slice]
    }
  }

  public func allGatherDetached(_ x: Tensor) throws -> Tensor {
    let values = Array(x.storage.buffer)
    let (all, counts) = try collective { try self.communicator.allGatherVarying(values) }
    // NOTE: the row width from the shape, not from the count: a rank may send no rows (e.g. no pixel to contrast).
    let perRow = x.shape.dropFirst().reduce(1, *)
    for (r, c) in counts.enumerated() where c % max(perRow, 1) != 0 {
      throw MPIError(call: "allGather", code: 0, message: "rank \(r) sent \(c) values, not whole rows of \(x.shape.dropFirst())")
    }
    let totalRows = all.count / max(perRow, 1)
    return Tensor(all, [totalRows] + x.shape.dropFirst())
  }

  public func broadcastFromRoot(_ tensors: [(String, Tensor)]) throws {
    guard size > 1 else { return }
    try collective {
      var h = FNV1a64()
      for (name, t) in tensors { h.add(name); for d in t.shape { h.add(UInt64(d)) } }
      let (low, high) = (try self.communicator.allReduce(h.value, .min), try self.communicator.allReduce(h.value, .max))
      guard low == high else {
        throw MPIError(call: "broadcastFromRoot", code: 0, message: "ranks hold different tensor lists or shapes")
      }
      for (_, t) in tensors { try self.communicator.broadcast(t.storage.buffer, root: 0); t.storage.markModified() }
    }
  }

  public func broadcastBytesFromRoot(_ data: Data) throws -> Data {
    guard size > 1 else { return data }
    return try collective { try self.communicator.broadcast(data, root: 0) }
  }

  public func allGatherBytes(_ data: Data) throws -> [Data] {
    guard size > 1 else { return [data] }
    let (bytes, counts) = try collective { try self.communicator.allGatherVarying([UInt8](data)) }
    var start = 0
    return counts.map { n in defer { start += n }; return Data(bytes[start..<start + n]) }
  }

  public func barrier() throws {
    guard size > 1 else { return }
    try collective { try self.communicator.barrier() }
  }

  public func meanOverRanks(_ values: [Double]) throws -> [Double] {
    guard size > 1 else { return values }
    var v = values
    try collective { try self.communicator.allReduce(&v, .sum) }
    return v.map { $0 / Double(size) }
  }

  public func checkReplicasAgree(_ tensors: [(String, Tensor)]) throws {
    guard size > 1 else { return }
    let sums: [UInt64] = tensors.map { _, t in
      var h = FNV1a64(); h.add(UnsafeBufferPointer(t.storage.buffer)); return h.value
    }
    let (low, high) = try collective { () -> ([UInt64], [UInt64]) in
      var lo = sums, hi = sums
      try self.communicator.allReduce(&lo, .min)
      try self.communicator.allReduce(&hi, .max)
      return (lo, hi)
    }
    if let i = sums.indices.first(where: { low[$0] != high[$0] }) { throw ReplicaDivergence(tensor: tensors[i].0) }
  }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
