import Foundation

/// An exclusive lock on a run directory (`<run>/.lock`, `flock`), held by rank 0 for the whole run, so that two
/// runs with the same `--name` cannot write the same checkpoints and logs. The file records the holder's pid and
/// host, for the message the second run prints. The kernel drops the lock when the process ends, however it ends.
final class RunLock {
  private let descriptor: Int32

  struct Held: Error, CustomStringConvertible {
    let directory: URL
    let holder: String
    var description: String {
      "--name: \(directory.path) is in use by another run (\(holder)); wait for it to finish, or choose another --name"
    }
  }

  init(_ directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(".lock").path
    descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw TrainingError("cannot open the run lock \(path): \(String(cString: strerror(errno)))")
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
      close(descriptor)
      throw Held(directory: directory, holder: holder.isEmpty ? "holder unknown" : holder)
    }
    var host = [CChar](repeating: 0, count: 256)
    gethostname(&host, host.count)
    let text = "pid \(getpid()) on \(String(cString: host)) since \(ISO8601DateFormatter().string(from: Date()))\n"
    ftruncate(descriptor, 0)
    _ = text.withCString { write(descriptor, $0, strlen($0)) }
  }

  deinit { close(descriptor) }  // releases the flock
}
