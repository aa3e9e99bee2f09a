import CImageShim
import Foundation

/// gzip decompression through the C shim (`i2i_gunzip_file`, zlib's `gzread`): a file on disk, or bytes held in
/// memory (written to a temporary file first, since the shim reads from a path). zlib checks the CRC-32 and length
/// in the gzip trailer, so a damaged or cut stream is an error, not short data.
enum Gzip {
  /// The decompressed contents of the gzip file at `path`.
  static func decompress(file path: String) throws -> [UInt8] {
    var pointer: UnsafeMutablePointer<UInt8>? = nil
    var size = 0
    var message = [CChar](repeating: 0, count: 256)
    guard i2i_gunzip_file(path, &pointer, &size, &message, message.count) == 0, let pointer else {
      let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      throw DataError.badImage(path: path, reason: text)
    }
    defer { i2i_free(pointer) }
    return Array(UnsafeBufferPointer(start: pointer, count: size))
  }

  /// The decompressed `bytes` of a gzip stream; errors name `name`.
  static func decompress(_ bytes: [UInt8], name: String) throws -> [UInt8] {
    guard bytes.count >= 18, bytes[0] == 0x1F, bytes[1] == 0x8B else {
      throw DataError.badImage(path: name, reason: "not gzip data (\(bytes.count) bytes, no 1f 8b magic)")
    }
    let path = NSTemporaryDirectory() + "i2i-gunzip-" + UUID().uuidString + ".gz"
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
      throw DataError.badImage(path: name, reason: "cannot write the temporary file \(path)")
    }
    defer { try? FileManager.default.removeItem(atPath: path) }
    do { return try decompress(file: path) } catch DataError.badImage(_, let reason) {
      throw DataError.badImage(path: name, reason: reason)
    }
  }

  /// A one-member gzip stream around a raw deflate stream whose CRC-32 and uncompressed size are known (a zip
  /// member's): the 10-byte header (no name, no time), the deflate data, then CRC-32 and size mod 2³², little-endian.
  static func wrap(deflated: [UInt8], crc32: UInt32, size: Int) -> [UInt8] {
    let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
    func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    return header + deflated + le32(crc32) + le32(UInt32(truncatingIfNeeded: size))
  }
}
