import Foundation
import XCTest
@testable import Data

/// CRC-32 (IEEE, reflected, as zip and gzip use it), bit by bit.
func crc32(_ bytes: [UInt8]) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  return ~crc
}

/// A raw deflate stream of `bytes`, made by the system's gzip (`gzip -n`: a 10-byte header, the stream, 8 bytes of
/// trailer), so the reader is checked against an independent compressor.
func deflated(_ bytes: [UInt8], folder: String) throws -> [UInt8] {
  let path = folder + "/deflate-" + UUID().uuidString
  try writeGzip(bytes, path)
  let gz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
  return Array(gz[10..<(gz.count - 8)])
}

/// A zip archive built byte by byte: each member's local header and data, the central directory, the end record.
/// `method` 0 stores, 8 deflates (the member's data must then be a raw deflate stream of `content`).
func handMadeZip(_ members: [(name: String, content: [UInt8], method: Int, data: [UInt8])], comment: String = "") -> [UInt8] {
  func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
  var out: [UInt8] = [], directory: [UInt8] = []
  for m in members {
    let name = Array(m.name.utf8), crc = Int(crc32(m.content))
    let common = le(20, 2) + le(0, 2) + le(m.method, 2) + le(0, 4) + le(crc, 4) + le(m.data.count, 4) + le(m.content.count, 4)
      + le(name.count, 2)
    directory += le(0x0201_4B50, 4) + le(20, 2) + common + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4)
      + le(out.count, 4) + name
    out += le(0x0403_4B50, 4) + common + le(0, 2) + name + m.data
  }
  let commentBytes = Array(comment.utf8)
  return out + directory + le(0x0605_4B50, 4) + le(0, 4) + le(members.count, 2) + le(members.count, 2)
    + le(directory.count, 4) + le(out.count, 4) + le(commentBytes.count, 2) + commentBytes
}

final class ZipArchiveTests: XCTestCase {
  func testStoredAndDeflatedMembers() throws {
    let folder = try temporaryFolder(self)
    let text = Array(String(repeating: "the template is symmetric. ", count: 40).utf8), small: [UInt8] = [1, 2, 3]
    let zip = handMadeZip([("a/stored.bin", small, 0, small), ("a/b/text.txt", text, 8, try deflated(text, folder: folder))],
                          comment: "a comment")
    let archive = try ZipArchive(bytes: zip, name: "w.whl")
    XCTAssertEqual(archive.entries.map(\.name), ["a/stored.bin", "a/b/text.txt"])
    XCTAssertEqual(try archive.contents(of: XCTUnwrap(archive.entry("a/stored.bin"))), small)
    XCTAssertEqual(try archive.contents(of: XCTUnwrap(archive.entry("a/b/text.txt"))), text)
    XCTAssertNil(archive.entry("text.txt"))
  }

  func testDamageIsAnErrorOfTheMember() throws {
    let folder = try temporaryFolder(self)
    let text = Array(String(repeating: "abc", count: 100).utf8)
    var zip = handMadeZip([("t.txt", text, 8, try deflated(text, folder: folder))])
    zip[31 + 5] ^= 0xFF  // a byte of the deflate stream, past the 30-byte local header and the 5-byte name
    let archive = try ZipArchive(bytes: zip, name: "w.whl")
    assertNamedError("w.whl:t.txt") { _ = try archive.contents(of: archive.entries[0]) }
    assertNamedError("x.zip", containing: "no end-of-central-directory") { _ = try ZipArchive(bytes: Array(zip.prefix(40)), name: "x.zip") }
  }
}
