import Foundation

/// The members of a zip archive (a Python wheel is one), read from its central directory; a member's bytes come out
/// stored as they are, or deflated through zlib by way of `Gzip.wrap` (its CRC-32 and size become the gzip trailer,
/// so zlib checks them). Zip64, encryption and methods other than stored (0) and deflate (8) are refused.
///
/// End-of-central-directory record (the last 22 bytes plus up to 64 KiB of comment): signature 50 4b 05 06, entry
/// count at 10, directory offset at 16. Each directory entry (50 4b 01 02): method at 10, CRC-32 at 16, compressed
/// and uncompressed size at 20 and 24, name, extra and comment lengths at 28, 30, 32, local header offset at 42,
/// the name at 46. A local header (50 4b 03 04) has its own name and extra lengths at 26 and 28; data follows at 30.
public struct ZipArchive {
  public struct Entry: Equatable, Sendable {
    public let name: String
    let method: Int
    let crc32: UInt32
    let compressedSize: Int
    let size: Int
    let localHeader: Int
  }

  public let path: String
  public let entries: [Entry]
  private let bytes: [UInt8]

  public init(contentsOf path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DataError.badImage(path: path, reason: "cannot read file")
    }
    try self.init(bytes: [UInt8](data), name: path)
  }

  /// Parses the central directory of the archive in `bytes`; errors name `name`.
  public init(bytes: [UInt8], name: String) throws {
    func fail(_ reason: String) -> DataError { .badImage(path: name, reason: "not a readable zip archive: \(reason)") }
    let lowest = max(0, bytes.count - 22 - 0xFFFF)
    guard bytes.count >= 22,
          let end = stride(from: bytes.count - 22, through: lowest, by: -1).first(where: { Self.signature(bytes, $0, 0x0605_4B50) })
    else { throw fail("no end-of-central-directory record") }
    let count = Int(Self.le(bytes, end + 10, 2)), directory = Int(Self.le(bytes, end + 16, 4))
    guard count != 0xFFFF, directory != 0xFFFF_FFFF else { throw fail("zip64 archives are not supported") }
    var entries: [Entry] = [], at = directory
    for _ in 0..<count {
      guard at + 46 <= bytes.count, Self.signature(bytes, at, 0x0201_4B50) else { throw fail("damaged central directory") }
      let nameLength = Int(Self.le(bytes, at + 28, 2))
      let skip = nameLength + Int(Self.le(bytes, at + 30, 2)) + Int(Self.le(bytes, at + 32, 2))
      guard at + 46 + skip <= bytes.count else { throw fail("damaged central directory") }
      entries.append(Entry(name: String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self),
                           method: Int(Self.le(bytes, at + 10, 2)), crc32: UInt32(Self.le(bytes, at + 16, 4)),
                           compressedSize: Int(Self.le(bytes, at + 20, 4)), size: Int(Self.le(bytes, at + 24, 4)),
                           localHeader: Int(Self.le(bytes, at + 42, 4))))
      at += 46 + skip
    }
    self.path = name
    self.entries = entries
    self.bytes = bytes
  }

  /// The entry called `name` (its full path inside the archive), or nil.
  public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

  /// The uncompressed bytes of `entry`.
  public func contents(of entry: Entry) throws -> [UInt8] {
    let name = path + ":" + entry.name
    let at = entry.localHeader
    guard at + 30 <= bytes.count, Self.signature(bytes, at, 0x0403_4B50) else {
      throw DataError.badImage(path: name, reason: "damaged zip: no local header at \(at)")
    }
    guard Self.le(bytes, at + 6, 2) & 1 == 0 else { throw DataError.badImage(path: name, reason: "encrypted zip member") }
    let start = at + 30 + Int(Self.le(bytes, at + 26, 2)) + Int(Self.le(bytes, at + 28, 2))
    guard start + entry.compressedSize <= bytes.count else {
      throw DataError.badImage(path: name, reason: "truncated zip: member needs \(entry.compressedSize) bytes at \(start), the file has \(bytes.count)")
    }
    let data = Array(bytes[start..<(start + entry.compressedSize)])
    switch entry.method {
    case 0: return data
    case 8: return try Gzip.decompress(Gzip.wrap(deflated: data, crc32: entry.crc32, size: entry.size), name: name)
    default: throw DataError.badImage(path: name, reason: "zip compression method \(entry.method) is not supported (stored or deflate)")
    }
  }

  static func signature(_ b: [UInt8], _ at: Int, _ value: UInt32) -> Bool { at + 4 <= b.count && le(b, at, 4) == value }

  /// The little-endian unsigned integer of `count` bytes at `at`.
  static func le(_ b: [UInt8], _ at: Int, _ count: Int) -> UInt32 {
    (0..<count).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * $1) }
  }
}
