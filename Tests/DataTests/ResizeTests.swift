import XCTest
@testable import Data

/// `Image.resized` against Pillow 12.3's `Image.resize` (Resources/resize-*.png), byte for byte.
final class ResizeTests: XCTestCase {
  let sizes = [(29, 23), (5, 4), (3, 2), (20, 7), (13, 30), (37, 11), (1, 1)]

  func testBicubicAndNearestMatchPIL() throws {
    for (mode, channels) in [("gray", 1), ("rgb", 3)] {
      let input = try ImageFile.load(Resources.path("resize-input-\(mode).png"), channels: channels)
      for (w, h) in sizes {
        for (filter, name) in [(Resample.bicubic, "bicubic"), (.nearest, "nearest")] {
          let expected = try ImageFile.load(Resources.path("resize-\(mode)-\(name)-\(w)x\(h).png"), channels: channels)
          let actual = input.resized(width: w, height: h, filter: filter)
          XCTAssertEqual(actual.width, w)
          XCTAssertEqual(actual.height, h)
          let differing = zip(actual.pixels, expected.pixels).filter { $0 != $1 }.count
          XCTAssertEqual(differing, 0, "\(mode) \(name) \(w)x\(h): \(differing) bytes differ from PIL")
        }
      }
    }
  }

  func testSameSizeIsIdentityAndConstantImagesStayConstant() {
    let image = testImage(width: 6, height: 5, channels: 3)
    XCTAssertEqual(image.resized(width: 6, height: 5), image)
    let flat = Image(width: 5, height: 5, channels: 1, pixels: [UInt8](repeating: 200, count: 25))
    XCTAssertEqual(flat.resized(width: 17, height: 3).pixels, [UInt8](repeating: 200, count: 51))
  }
}
