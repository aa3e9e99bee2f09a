import CMPI
import Foundation

/// Ends a job whose collective does not complete within `--collective-timeout` seconds (a rank stopped, hung in a
/// kernel, or on a dead node), instead of every other rank spinning in MPI forever, and names the rank(s) that did
/// not arrive.
///
/// Every collective of `Communicator` runs inside `during(_:)`, which records it with its sequence number. A thread
/// checks twice a second: when a collective has waited too long, this rank asks every other rank, over a duplicate
/// of the world communicator, where it is; each rank's watchdog thread answers such questions whenever it checks
/// (a stopped or hung process does not). The ranks that answer "in the same collective" arrived; the others are
/// named (no answer, computing, or in another collective), and the job is aborted with that message.
final class CollectiveWatchdog: @unchecked Sendable {
  private let comm: MPI_Comm
  private let rank: Int, size: Int
  private let lock = NSLock()
  /// Seconds a collective may take; 0 turns the watchdog off.
  private var timeout: Double = 0
  /// Collectives entered so far, and the one under way (name, sequence number, start).
  private var entered: Int64 = 0
  private typealias Collective = (name: String, sequence: Int64, since: ContinuousClock.Instant)
  private var current: Collective?
  private var thread: Thread?
  /// Held while the watchdog thread makes MPI calls; `stop()` takes it so that none runs after MPI_Finalize.
  private let checking = NSLock()
  private var stopped = false

  private static let question: Int32 = 7101, answer: Int32 = 7102

  init(world: MPI_Comm, rank: Int, size: Int) throws {
    var dup = cmpi_comm_null()
    try MPIError.check(MPI_Comm_dup(world, &dup), "MPI_Comm_dup(watchdog)")
    comm = dup!
    self.rank = rank
    self.size = size
  }

  /// Sets the timeout and starts the watchdog thread (once; later calls only change the timeout).
  func start(timeout seconds: Double) {
    lock.withLock { timeout = seconds }
    guard size > 1, thread == nil else { return }
    let t = Thread { [self] in
      while true {
        Thread.sleep(forTimeInterval: 0.5)
        checking.lock()
        defer { checking.unlock() }
        if stopped { return }
        check()
      }
    }
    t.name = "i2i-collective-watchdog"
    thread = t
    t.start()
  }

  /// No MPI call from the watchdog thread after this returns (call before MPI_Finalize).
  func stop() {
    checking.lock()
    stopped = true
    checking.unlock()
  }

  /// Runs one collective under watch.
  func during<R>(_ name: @autoclosure () -> String, _ call: () throws -> R) rethrows -> R {
    lock.withLock {
      entered += 1
      if timeout > 0 { current = (name(), entered, .now) }
    }
    defer { lock.withLock { current = nil } }
    return try call()
  }

  private func check() {
    answerQuestions()
    let (late, limit) = lock.withLock { () -> (Collective?, Double) in
      guard let c = current, timeout > 0, c.since.duration(to: .now) > .seconds(timeout) else { return (nil, timeout) }
      return (c, timeout)
    }
    guard let late else { return }
    let absent = ranksNotIn(sequence: late.sequence)
    let who = absent.isEmpty ? "every rank answered from it, so the network itself stalls"
      : absent.map { "rank \($0.rank) \($0.state)" }.joined(separator: ", ")
    let message = "collective #\(late.sequence) (\(late.name)) did not complete within --collective-timeout "
      + "\(Int(limit)) s: \(who); aborting the job"
    FileHandle.standardError.write(Data("rank \(rank): i2i: error: \(message)\n".utf8))
    MPI_Abort(cmpi_comm_world(), 1)
    _exit(1)  // not exit(): its atexit handler would wait for `checking`, which this thread holds
  }

  /// Answers every pending question with [in a collective ? 1 : 0, its sequence number]; returns who asked about
  /// which collective (a rank that asks about collective k is itself waiting in it).
  @discardableResult
  private func answerQuestions() -> [(rank: Int, sequence: Int64)] {
    var flag: Int32 = 0
    var status = MPI_Status()
    var asked: [(rank: Int, sequence: Int64)] = []
    while MPI_Iprobe(cmpi_any_source(), CollectiveWatchdog.question, comm, &flag, &status) == MPI_SUCCESS && flag != 0 {
      var sequence: Int64 = 0
      MPI_Recv(&sequence, 1, cmpi_int64(), status.MPI_SOURCE, CollectiveWatchdog.question, comm, cmpi_status_ignore())
      var reply: [Int64] = lock.withLock { [current == nil ? 0 : 1, current?.sequence ?? entered] }
      MPI_Send(&reply, 2, cmpi_int64(), status.MPI_SOURCE, CollectiveWatchdog.answer, comm)
      asked.append((Int(status.MPI_SOURCE), sequence))
    }
    return asked
  }

  /// Asks every other rank where it is and waits up to 3 s for the answers.
  private func ranksNotIn(sequence: Int64) -> [(rank: Int, state: String)] {
    var asked = Int64(sequence)
    var requests = [MPI_Request?](repeating: cmpi_request_null(), count: size)
    for r in 0..<size where r != rank {
      MPI_Isend(&asked, 1, cmpi_int64(), Int32(r), CollectiveWatchdog.question, comm, &requests[r])
    }
    var replies: [Int: [Int64]] = [:]
    let deadline = ContinuousClock.now + .seconds(3)
    while replies.count < size - 1 && ContinuousClock.now < deadline {
      // The others ask too; one that asks about this collective waits in it (it may abort before it answers).
      for question in answerQuestions() where question.sequence == sequence && replies[question.rank] == nil {
        replies[question.rank] = [1, sequence]
      }
      var flag: Int32 = 0
      var status = MPI_Status()
      if MPI_Iprobe(cmpi_any_source(), CollectiveWatchdog.answer, comm, &flag, &status) == MPI_SUCCESS && flag != 0 {
        var reply: [Int64] = [0, 0]
        MPI_Recv(&reply, 2, cmpi_int64(), status.MPI_SOURCE, CollectiveWatchdog.answer, comm, cmpi_status_ignore())
        replies[Int(status.MPI_SOURCE)] = reply
      } else {
        Thread.sleep(forTimeInterval: 0.01)
      }
    }
    return (0..<size).filter { $0 != rank }.compactMap { r in
      guard let reply = replies[r] else { return (r, "did not answer (stopped, hung, or its node is gone)") }
      if reply[0] == 1 && reply[1] == sequence { return nil }
      return reply[0] == 1 ? (r, "waits in collective #\(reply[1]) instead")
        : (r, "has not reached it (computing, after collective #\(reply[1]))")
    }
  }
}
