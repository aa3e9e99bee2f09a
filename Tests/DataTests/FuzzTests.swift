import Foundation
import XCTest
@testable import Data

/// Damaged files of every kind give `DataError.badImage` naming the file: never a crash, a hang, or silent garbage
/// where the format can tell.
final class FuzzTests: XCTestCase {
  private func bytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: Resources.path(name))))
  }

  private func write(_ bytes: [UInt8], _ path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }

  /// Decodes `bytes` stored as `path`; returns false when it threw a named error, fails on any other outcome.
  private func decodes(_ bytes: [UInt8], as path: String) throws -> Bool {
    try write(bytes, path)
    do {
      let image = try ImageFile.read(path)
      XCTAssertTrue(image.width > 0 && image.height > 0)
      return true
    } catch let error as DataError {
      XCTAssertTrue(error.description.hasPrefix(path + ":"), "\(error)")
      return false
    }
  }

  func testZeroLengthFiles() throws {
    let folder = try temporaryFolder(self)
    for name in ["empty.png", "empty.jpg", "empty.JPEG", "empty.ppm"] {
      let path = folder + "/" + name
      try write([], path)
      assertNamedError(path, containing: "empty file") { _ = try ImageFile.read(path) }
    }
  }

  func testEveryTruncationIsAnError() throws {
    let folder = try temporaryFolder(self)
    let ours = try PNG.encode(testImage(width: 9, height: 6, channels: 3).raster)
    for (name, data) in [("ours.png", ours), ("pil.png", try bytes("resize-input-gray.png")),
                         ("tiny.jpg", try bytes("tiny-rgb.jpg")), ("progressive.jpg", try bytes("tiny-progressive.jpg"))] {
      let path = folder + "/" + name
      XCTAssertTrue(try decodes(data, as: path), "intact \(name) must decode")
      for length in 1..<data.count {
        XCTAssertFalse(try decodes(Array(data.prefix(length)), as: path), "\(name) truncated to \(length) bytes decoded")
      }
    }
  }

  func testBitFlips() throws {
    let folder = try temporaryFolder(self)
    // PNG: every chunk is CRC-checked; a flip in a critical chunk (IHDR, IDAT, IEND) or the signature is an error.
    let png = try PNG.encode(testImage(width: 9, height: 6, channels: 1).raster)
    let critical = criticalByteRanges(png)
    for i in 0..<png.count {
      for bit in [0, 5] {
        var damaged = png
        damaged[i] ^= UInt8(1 << bit)
        let ok = try decodes(damaged, as: folder + "/flip.png")
        if critical.contains(where: { $0.contains(i) }) { XCTAssertFalse(ok, "PNG flip at byte \(i) bit \(bit) decoded") }
      }
    }
    // JPEG has no checksums: a flip may decode to other pixels, but never crashes, and a broken marker is an error.
    let jpeg = try bytes("tiny-rgb.jpg")
    var errors = 0
    for i in 0..<jpeg.count {
      var damaged = jpeg
      damaged[i] ^= UInt8(1 << (i % 8))
      if try !decodes(damaged, as: folder + "/flip.jpg") { errors += 1 }
    }
    XCTAssertGreaterThan(errors, 10)
    var noStart = jpeg
    noStart[1] ^= 0x01
    XCTAssertFalse(try decodes(noStart, as: folder + "/flip.jpg"))
  }

  func testWrongExtension() throws {
    let folder = try temporaryFolder(self)
    let png = try PNG.encode(testImage(width: 4, height: 4, channels: 3).raster)
    let jpeg = try bytes("tiny-rgb.jpg")
    for (data, name, fragment) in [(png, "a.jpg", "contents are PNG, not JPEG"), (jpeg, "b.png", "contents are JPEG, not PNG"),
                                   (Array("hello, world\n".utf8), "c.png", "not a PNG file"),
                                   (Array("hello, world\n".utf8), "d.jpg", "not a JPEG"),
                                   (png, "e.txt", "unsupported image type"), (png, "f.bmp", "unsupported image type")] {
      let path = folder + "/" + name
      try write(data, path)
      assertNamedError(path, containing: fragment) { _ = try ImageFile.read(path) }
    }
  }

  func testMissingFilesFoldersAndFIFOsAreErrorsNotHangs() throws {
    let folder = try temporaryFolder(self)
    assertNamedError(folder + "/missing.png", containing: "cannot open") { _ = try ImageFile.read(folder + "/missing.png") }
    try FileManager.default.createDirectory(atPath: folder + "/dir.png", withIntermediateDirectories: false)
    assertNamedError(folder + "/dir.png", containing: "not a regular file") { _ = try ImageFile.read(folder + "/dir.png") }
    XCTAssertEqual(mkfifo(folder + "/pipe.png", 0o600), 0)
    assertNamedError(folder + "/pipe.png", containing: "not a regular file") { _ = try ImageFile.read(folder + "/pipe.png") }
  }

  /// Byte ranges (length, type, data and CRC) of the IHDR, IDAT and IEND chunks, plus the signature.
  private func criticalByteRanges(_ png: [UInt8]) -> [Range<Int>] {
    var ranges = [0..<8], offset = 8
    while offset + 8 <= png.count {
      let length = png[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
      let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
      if ["IHDR", "IDAT", "IEND"].contains(type) { ranges.append(offset..<(offset + 12 + length)) }
      offset += 12 + length
    }
    return ranges
  }
}
