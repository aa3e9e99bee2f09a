import Foundation
import XCTest
@_exported import TestSupport
@testable import Data

/// Reference files made by Resources/make-resources.py (Pillow 12.3, libjpeg-turbo's cjpeg/djpeg); canny-*.png by
/// scripts/canny_reference.py (numpy).
enum Resources {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources").path
  static func path(_ name: String) -> String { directory + "/" + name }
}

/// A deterministic test picture: channel k of pixel (x, y) = (x·a + y·b + k·c + seed) mod 256.
func testImage(width: Int, height: Int, channels: Int, seed: Int = 0) -> Image {
  var pixels: [UInt8] = []
  for y in 0..<height { for x in 0..<width { for k in 0..<channels {
    pixels.append(UInt8((x * 37 + y * 91 + k * 53 + seed * 17 + (x * y) % 7) % 256))
  } } }
  return Image(width: width, height: height, channels: channels, pixels: pixels)
}

/// Writes `image` as a PNG at `folder/name`, creating the folder.
@discardableResult
func writeImage(_ image: Image, _ folder: String, _ name: String) throws -> String {
  try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  let path = folder + "/" + name
  try ImageFile.writePNG(image, to: path)
  return path
}

/// Asserts that `body` throws a `DataError` whose message names `path` (and contains `fragment` if given).
func assertNamedError(_ path: String, containing fragment: String? = nil, file: StaticString = #filePath,
                      line: UInt = #line, _ body: () throws -> Void) {
  do {
    try body()
    XCTFail("no error for \(path)", file: file, line: line)
  } catch let error as DataError {
    XCTAssertTrue(error.description.contains(path), "error does not name \(path): \(error)", file: file, line: line)
    if let fragment {
      XCTAssertTrue(error.description.contains(fragment), "error lacks '\(fragment)': \(error)", file: file, line: line)
    }
  } catch {
    XCTFail("not a DataError: \(error)", file: file, line: line)
  }
}

/// A PNG built byte by byte, without libpng, as an oracle independent of the decoder: colour type 0 (gray of
/// `bitDepth` 8 or 16) or, with `palette` (RGB entries), colour type 3 with 8-bit indices; one stored (uncompressed)
/// deflate block per 65535 bytes; with `gamma`, a gAMA chunk (gamma · 100000) before the data.
func handMadePNG(width: Int, height: Int, samples: [Int], bitDepth: Int = 8, palette: [[UInt8]]? = nil,
                 gamma: Int? = nil) -> [UInt8] {
  precondition(samples.count == width * height)
  func be32(_ v: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
  func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in body {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return be32(data.count) + body + be32(Int(~crc))
  }
  var raw: [UInt8] = []
  for y in 0..<height {
    raw.append(0)  // filter: none
    for x in 0..<width {
      let v = samples[y * width + x]
      raw += bitDepth == 16 ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v)]
    }
  }
  var zlib: [UInt8] = [0x78, 0x01]
  var a: UInt32 = 1, b: UInt32 = 0
  for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
  var start = 0
  repeat {
    let n = min(65535, raw.count - start)
    zlib += [start + n == raw.count ? 1 : 0, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
    zlib += raw[start..<(start + n)]
    start += n
  } while start < raw.count
  zlib += be32(Int(b << 16 | a))
  var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
  png += chunk("IHDR", be32(width) + be32(height) + [UInt8(bitDepth), palette == nil ? 0 : 3, 0, 0, 0])
  if let gamma { png += chunk("gAMA", be32(gamma)) }
  if let palette { png += chunk("PLTE", palette.flatMap { $0 }) }
  png += chunk("IDAT", zlib)
  png += chunk("IEND", [])
  return png
}

/// Writes `bytes` at `folder/name`, creating the folder.
@discardableResult
func writeBytes(_ bytes: [UInt8], _ folder: String, _ name: String) throws -> String {
  try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  let path = folder + "/" + name
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  return path
}

/// Writes `bytes` at `path`, gzip-compressed with the system's gzip, as the Debian and nilearn files are made (the
/// file becomes `path.gz`).
func writeGzip(_ bytes: [UInt8], _ path: String) throws {
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  let gzip = Process()
  gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
  gzip.arguments = ["-n", "-f", path]
  try gzip.run()
  gzip.waitUntilExit()
  XCTAssertEqual(gzip.terminationStatus, 0)
}
