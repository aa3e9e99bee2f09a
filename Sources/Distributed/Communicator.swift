import CMPI
import Foundation

/// The processes of this job over `MPI_COMM_WORLD`: rank, size, the ranks on this node, and the collectives
/// the trainer needs. Every MPI return code is checked and becomes an `MPIError` naming the call.
///
/// Started without `mpirun` the process is an MPI singleton (size 1). MPI is initialised once per process with
/// `MPI_THREAD_MULTIPLE` (the gradient communication thread and the main thread both make calls) and finalised at exit.
public final class Communicator: @unchecked Sendable {
  public let rank: Int
  public let size: Int
  /// This process's index among the ranks on its node, and how many ranks share the node.
  public let localRank: Int
  public let localSize: Int
  let comm: MPI_Comm
  private let watchdog: CollectiveWatchdog

  /// The world communicator (initialises MPI on first use).
  public static func world() throws -> Communicator {
    try worldLock.withLock {
      if let w = worldInstance { return w }
      let w = try Communicator(initialisingWorld: ())
      worldInstance = w
      return w
    }
  }
  nonisolated(unsafe) private static var worldInstance: Communicator?
  private static let worldLock = NSLock()

  private init(initialisingWorld: Void) throws {
    var initialised: Int32 = 0
    MPI_Initialized(&initialised)
    if initialised == 0 {
      var provided: Int32 = 0
      try MPIError.check(MPI_Init_thread(nil, nil, cmpi_thread_multiple(), &provided), "MPI_Init_thread")
      guard provided >= cmpi_thread_multiple() else {
        throw MPIError(call: "MPI_Init_thread", code: 0,
                       message: "this MPI library gives thread level \(provided), MPI_THREAD_MULTIPLE is needed")
      }
      atexit { Communicator.finalize() }
    }
    comm = cmpi_comm_world()
    try MPIError.check(MPI_Comm_set_errhandler(comm, cmpi_errors_return()), "MPI_Comm_set_errhandler")
    var r: Int32 = 0, s: Int32 = 0
    try MPIError.check(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
    try MPIError.check(MPI_Comm_size(comm, &s), "MPI_Comm_size")
    rank = Int(r); size = Int(s)

    var node: MPI_Comm? = cmpi_comm_null()
    try MPIError.check(MPI_Comm_split_type(comm, cmpi_comm_type_shared(), r, cmpi_info_null(), &node),
                       "MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)")
    var lr: Int32 = 0, ls: Int32 = 0
    try MPIError.check(MPI_Comm_rank(node, &lr), "MPI_Comm_rank(node)")
    try MPIError.check(MPI_Comm_size(node, &ls), "MPI_Comm_size(node)")
    localRank = Int(lr); localSize = Int(ls)
    MPI_Comm_free(&node)
    watchdog = try CollectiveWatchdog(world: comm, rank: rank, size: size)

    try Communicator.checkSlurmLaunch(worldSize: size)
  }

  /// Under `srun` without PMI support every task starts as its own singleton: say so instead of training
  /// N independent copies.
  static func checkSlurmLaunch(worldSize: Int, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
    guard let tasks = environment["SLURM_NTASKS"].flatMap(Int.init), tasks != worldSize,
          environment["OMPI_COMM_WORLD_SIZE"] == nil else { return }
    throw MPIError(call: "MPI_Init", code: 0, message: """
      SLURM_NTASKS is \(tasks) but the MPI world has \(worldSize) process(es): srun started the tasks without a \
      PMI this Open MPI can use. Launch with `srun --mpi=pmix` (see `srun --mpi=list`) or run `mpirun` inside the \
      allocation (cluster/slurm-mpirun.sbatch).
      """)
  }

  static func finalize() {
    worldInstance?.watchdog.stop()
    var finalized: Int32 = 0
    MPI_Finalized(&finalized)
    if finalized == 0 { MPI_Finalize() }
  }

  public var isRoot: Bool { rank == 0 }

  public func barrier() throws { try watched("MPI_Barrier") { MPI_Barrier(comm) } }

  /// Replaces `buffer` on every rank with root's.
  public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int = 0) throws {
    for (start, count) in Communicator.chunks(buffer.count) {
      try watched("MPI_Bcast(\(buffer.count) × \(T.self), root \(root))") {
        MPI_Bcast(buffer.baseAddress! + start, count, T.mpiType, Int32(root), comm)
      }
    }
  }

  public func broadcast<T: MPIScalar>(_ values: inout [T], root: Int = 0) throws {
    try values.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
  }

  /// Root's bytes on every rank (lengths may differ before the call).
  public func broadcast(_ data: Data, root: Int = 0) throws -> Data {
    var length = [Int64(data.count)]
    try broadcast(&length, root: root)
    var bytes = rank == root ? [UInt8](data) : [UInt8](repeating: 0, count: Int(length[0]))
    try broadcast(&bytes, root: root)
    return Data(bytes)
  }

  /// In-place all-reduce: every rank ends with op(buffer of every rank). A float sum goes through
  /// `allReduceSum` (rank order, independent of MPI's algorithm).
  public func allReduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOp = .sum) throws {
    if op == .sum, T.self == Float.self {
      let raw = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: Float.self)
      return try allReduceSum(UnsafeMutableBufferPointer(start: raw, count: buffer.count))
    }
    for (start, count) in Communicator.chunks(buffer.count) {
      try watched("MPI_Allreduce(\(buffer.count) × \(T.self), \(op))") {
        MPI_Allreduce(cmpi_in_place(), buffer.baseAddress! + start, count, T.mpiType, op.mpi, comm)
      }
    }
  }

  /// In place: buffer ← b₀ + b₁ + … + b_{N−1}, the sum taken in rank order on every element.
  ///
  /// Two ranks use MPI_Allreduce (a + b = b + a in IEEE arithmetic, so any algorithm gives the rank-order bits).
  /// From three ranks on, MPI's algorithms add in orders that depend on the message size; instead each rank gathers
  /// one block from everyone (all-to-all), adds the copies in rank order, and the blocks are all-gathered back. That
  /// moves the bytes of a ring all-reduce (2(N−1)/N of the buffer) and makes the bits independent of the transport,
  /// the message size and the MPI version, so a run is repeatable wherever it runs with the same world size.
  public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
    let n = buffer.count, p = size
    guard p > 2 else {
      for (start, count) in Communicator.chunks(n) where p == 2 {
        try watched("MPI_Allreduce(\(n) floats, sum)") {
          MPI_Allreduce(cmpi_in_place(), buffer.baseAddress! + start, count, cmpi_float(), cmpi_sum(), comm)
        }
      }
      return
    }
    guard n <= Int(Int32.max) else { throw MPIError(call: "MPI_Alltoallv", code: 0, message: "\(n) elements exceed Int32") }
    let blockStart = (0...p).map { n * $0 / p }
    let blockCount = (0..<p).map { Int32(blockStart[$0 + 1] - blockStart[$0]) }
    let mine = Int(blockCount[rank])
    let received = scratch(mine * p)
    // Rank j receives block j from every other rank; its own block stays where it is.
    let sendCounts = (0..<p).map { $0 == rank ? 0 : blockCount[$0] }
    let sendDisplacements = (0..<p).map { Int32(blockStart[$0]) }
    let receiveCounts = (0..<p).map { Int32($0 == rank ? 0 : mine) }
    let receiveDisplacements = (0..<p).map { Int32($0 * mine) }
    try watched("MPI_Alltoallv(\(n) floats)") {
      MPI_Alltoallv(buffer.baseAddress, sendCounts, sendDisplacements, cmpi_float(), received, receiveCounts,
                    receiveDisplacements, cmpi_float(), comm)
    }
    let out = buffer.baseAddress! + blockStart[rank]
    let blocks = (0..<p).map { k in k == rank ? UnsafePointer(out) : UnsafePointer(received + k * mine) }
    blocks.withUnsafeBufferPointer { b in
      for i in 0..<mine {
        var s = b[0][i]
        for k in 1..<p { s += b[k][i] }
        out[i] = s
      }
    }
    try watched("MPI_Allgatherv(\(n) floats)") {
      MPI_Allgatherv(cmpi_in_place(), 0, cmpi_float(), buffer.baseAddress, blockCount, sendDisplacements.map { $0 },
                     cmpi_float(), comm)
    }
  }

  /// A receive buffer of at least `count` floats, kept between calls (a fresh one would page-fault every time).
  private func scratch(_ count: Int) -> UnsafeMutablePointer<Float> {
    scratchLock.lock()
    defer { scratchLock.unlock() }
    if scratchBuffer == nil || scratchCapacity < count {
      scratchBuffer?.deallocate()
      scratchCapacity = Swift.max(count, 1)
      scratchBuffer = .allocate(capacity: scratchCapacity)
    }
    return scratchBuffer!
  }
  private var scratchBuffer: UnsafeMutablePointer<Float>?
  private var scratchCapacity = 0
  private let scratchLock = NSLock()

  public func allReduce<T: MPIScalar>(_ values: inout [T], _ op: ReduceOp = .sum) throws {
    try values.withUnsafeMutableBufferPointer { try allReduce($0, op) }
  }

  public func allReduce<T: MPIScalar>(_ value: T, _ op: ReduceOp = .sum) throws -> T {
    var v = [value]
    try allReduce(&v, op)
    return v[0]
  }

  /// Every rank's `send` (all the same length), concatenated in rank order.
  public func allGather<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>) throws {
    precondition(receive.count == send.count * size, "allGather: receive holds \(receive.count), needs \(send.count * size)")
    guard send.count <= Int(Int32.max) else { throw MPIError(call: "MPI_Allgather", code: 0, message: "\(send.count) elements exceed Int32") }
    try watched("MPI_Allgather(\(send.count) × \(T.self))") {
      MPI_Allgather(send.baseAddress, Int32(send.count), T.mpiType, receive.baseAddress, Int32(send.count), T.mpiType, comm)
    }
  }

  public func allGather<T: MPIScalar>(_ send: [T]) throws -> [T] {
    var out = [T](unsafeUninitializedCapacity: send.count * size) { _, n in n = send.count * size }
    try send.withUnsafeBufferPointer { s in try out.withUnsafeMutableBufferPointer { try allGather(s, into: $0) } }
    return out
  }

  /// Every rank's `send` (lengths may differ), concatenated in rank order, with each rank's count.
  public func allGatherVarying<T: MPIScalar>(_ send: [T]) throws -> (values: [T], counts: [Int]) {
    let counts = try allGather([Int64(send.count)]).map { Int($0) }
    let total = counts.reduce(0, +)
    guard total <= Int(Int32.max) else { throw MPIError(call: "MPI_Allgatherv", code: 0, message: "\(total) elements exceed Int32") }
    var displacements = [Int32](repeating: 0, count: size)
    for r in 1..<max(size, 1) where r < size { displacements[r] = displacements[r - 1] + Int32(counts[r - 1]) }
    let counts32 = counts.map { Int32($0) }
    var out = [T](unsafeUninitializedCapacity: total) { _, n in n = total }
    try send.withUnsafeBufferPointer { s in
      try out.withUnsafeMutableBufferPointer { o in
        try watched("MPI_Allgatherv(\(total) × \(T.self))") {
          MPI_Allgatherv(s.baseAddress, Int32(send.count), T.mpiType, o.baseAddress, counts32, displacements, T.mpiType, comm)
        }
      }
    }
    return (out, counts)
  }

  /// Runs one MPI collective under the watchdog and checks its return code.
  private func watched(_ call: @autoclosure () -> String, _ body: () -> Int32) throws {
    try watchdog.during(call()) { try MPIError.check(body(), call()) }
  }

  /// `--collective-timeout`: a collective that takes longer aborts the job naming the ranks that did not arrive
  /// (see `CollectiveWatchdog`); 0 turns it off.
  public func setCollectiveTimeout(_ seconds: Double) { watchdog.start(timeout: seconds) }

  /// Ends the whole job: prints `message` on stderr and asks MPI to kill every rank.
  public func abort(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("rank \(rank): \(message)\n".utf8))
    MPI_Abort(comm, code)
    exit(code)
  }

  /// Splits a count into pieces that fit MPI's Int32 counts.
  static func chunks(_ n: Int) -> [(Int, Int32)] {
    let step = Int(Int32.max)
    return stride(from: 0, to: max(n, 1), by: step).map { ($0, Int32(min(step, n - $0))) }
  }
}
