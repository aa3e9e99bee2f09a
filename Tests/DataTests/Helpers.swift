import Foundation
import XCTest
@_exported import TestSupport
@testable import Data

/// Reference files made by Resources/make-resources.py (Pillow 12.3, libjpeg-turbo's cjpeg/djpeg).
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
