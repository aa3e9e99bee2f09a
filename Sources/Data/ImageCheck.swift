import Foundation

extension ImageFile {
  /// A quick check of a file that training will read, without decoding it: a regular non-empty file whose contents
  /// are the format its extension names and that ends as that format ends (PNG: an intact IEND chunk; JPEG: the
  /// end-of-image marker; PGM/PPM: only the header's magic). Throws `DataError.badImage`
  /// naming the file. It reads the first and last 64 bytes, or the whole file where a PNG has data after IEND.
  public static func check(_ path: String) throws {
    let ext = (path as NSString).pathExtension
    guard let format = format(ofExtension: ext) else {
      throw DataError.badImage(path: path, reason: "unsupported image type '.\(ext)' "
                                 + "(readable: \(extensions.joined(separator: ", ")))")
    }
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw DataError.badImage(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
    }
    guard info.st_mode & S_IFMT == S_IFREG else { throw DataError.badImage(path: path, reason: "not a regular file") }
    guard info.st_size > 0 else { throw DataError.badImage(path: path, reason: "empty file") }
    let (head, tail) = try ends(of: path, size: Int(info.st_size))
    guard let actual = sniff(head) else {
      throw DataError.badImage(path: path, reason: "not a \(format.rawValue) file (unrecognised contents)")
    }
    guard actual == format else {
      throw DataError.badImage(path: path,
                               reason: "file contents are \(actual.rawValue), not \(format.rawValue) (wrong extension)")
    }
    switch format {
    case .png:
      let iend: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
      let intact = try tail.suffix(12).elementsEqual(iend) || PNG.hasEndChunk(contents(of: path))
      if !intact {
        throw DataError.badImage(path: path, reason: "truncated or damaged PNG (no intact IEND chunk)")
      }
    case .jpeg:
      guard (0..<max(tail.count - 1, 0)).contains(where: { tail[$0] == 0xFF && tail[$0 + 1] == 0xD9 }) else {
        throw DataError.badImage(path: path, reason: "truncated JPEG (no end-of-image marker)")
      }
    case .pnm:
      break
    }
  }

  /// The first and the last (up to) 64 bytes of a file of `size` bytes.
  private static func ends(of path: String, size: Int) throws -> (head: [UInt8], tail: [UInt8]) {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw DataError.badImage(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
    }
    defer { try? handle.close() }
    do {
      let head = [UInt8](try handle.read(upToCount: 64) ?? Data())
      try handle.seek(toOffset: UInt64(max(size - 64, 0)))
      let tail = [UInt8](try handle.readToEnd() ?? Data())
      return (head, tail)
    } catch {
      throw DataError.badImage(path: path, reason: "cannot read: \(error.localizedDescription)")
    }
  }
}
