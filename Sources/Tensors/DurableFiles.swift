import Foundation

/// Writes that survive a crash at any instant: data goes to a temporary name, is fsynced, renamed into place,
/// and the directory is fsynced, so a reader sees either the old file or the complete new one.
public enum DurableFiles {
  public struct Error: Swift.Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
  }

  /// Writes `data` to `url` and fsyncs it (no rename: for files inside a directory that is renamed as a whole).
  public static func writeSynced(_ data: Data, to url: URL) throws {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw Error(path: url.path, reason: "cannot create (\(String(cString: strerror(errno))))") }
    defer { close(fd) }
    try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      var written = 0
      while written < raw.count {
        let n = write(fd, raw.baseAddress! + written, raw.count - written)
        guard n > 0 else { throw Error(path: url.path, reason: "write failed (\(String(cString: strerror(errno))))") }
        written += n
      }
    }
    guard fsync(fd) == 0 else { throw Error(path: url.path, reason: "fsync failed (\(String(cString: strerror(errno))))") }
  }

  /// Replaces `url` atomically with `data`.
  public static func replace(_ url: URL, with data: Data) throws {
    let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    try writeSynced(data, to: tmp)
    try rename(tmp, to: url)
  }

  /// rename(2) then fsync of the destination's directory.
  public static func rename(_ from: URL, to: URL) throws {
    guard Foundation.rename(from.path, to.path) == 0 else {
      throw Error(path: to.path, reason: "rename from \(from.lastPathComponent) failed (\(String(cString: strerror(errno))))")
    }
    try syncDirectory(to.deletingLastPathComponent())
  }

  public static func syncDirectory(_ dir: URL) throws {
    let fd = open(dir.path, O_RDONLY | O_DIRECTORY)
    guard fd >= 0 else { throw Error(path: dir.path, reason: "cannot open directory to fsync") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw Error(path: dir.path, reason: "directory fsync failed") }
  }
}
