import Foundation

/// A thread that runs blocking collectives in submission order while the caller's thread computes
/// (Horovod's design). Open MPI 4.1 has no asynchronous progress, so a blocking call on a thread of its own is how
/// communication overlaps backward.
final class CommunicationThread: @unchecked Sendable {
  private let condition = NSCondition()
  private var queue: [() throws -> Void] = []
  private var submitted = 0
  private var completed = 0
  private var failure: Error?
  private var stopped = false
  private var thread: Thread!

  /// The thread keeps this object alive until `stop()`.
  init(name: String) {
    thread = Thread { self.loop() }
    thread.name = name
    thread.start()
  }

  /// Runs `job` on the communication thread after every job submitted before it.
  func submit(_ job: @escaping () throws -> Void) {
    condition.lock()
    queue.append(job)
    submitted += 1
    condition.signal()
    condition.unlock()
  }

  /// Runs `job` on the calling thread when nothing is queued or running (the order of collectives is the same
  /// either way, and a blocking call skips two thread hand-offs); otherwise queues it and waits for it.
  func run<R>(_ job: @escaping () throws -> R) throws -> R {
    condition.lock()
    let idle = completed == submitted
    condition.unlock()
    if idle { return try job() }
    var result: R?
    submit { result = try job() }
    try waitForAll()
    return result!
  }

  /// Waits until every submitted job has run; rethrows the first failure.
  func waitForAll() throws {
    condition.lock()
    while completed < submitted && failure == nil { condition.wait() }
    let error = failure
    failure = nil
    condition.unlock()
    if let error { throw error }
  }

  /// Ends the thread once the queued jobs have run (the owner calls it from its deinit).
  func stop() {
    condition.lock()
    stopped = true
    condition.signal()
    condition.unlock()
  }

  private func loop() {
    while true {
      condition.lock()
      while queue.isEmpty && !stopped { condition.wait() }
      if queue.isEmpty { condition.unlock(); return }
      let job = queue.removeFirst()
      condition.unlock()
      var error: Error? = nil
      do { try job() } catch let e { error = e }
      condition.lock()
      completed += 1
      if let error, failure == nil { failure = error }
      condition.broadcast()
      condition.unlock()
    }
  }
}
