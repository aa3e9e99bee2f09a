import XCTest
@testable import Data
import Tensors

/// The augmentation against the reference `get_transform` rules, on small images.
final class TransformTests: XCTestCase {
  func testResizeSizesPerPreprocessMode() {
    func size(_ p: Preprocess, _ w: Int, _ h: Int) -> [Int] {
      let s = TransformOptions(preprocess: p, loadSize: 286, cropSize: 256).resizedSize(width: w, height: h)
      return [s.width, s.height]
    }
    XCTAssertEqual(size(.resizeAndCrop, 400, 300), [286, 286])
    XCTAssertEqual(size(.resizeAndCrop, 32, 32), [286, 286])
    // scale_width: (load, int(max(load·h/w, crop))); unchanged when already load wide and tall enough.
    XCTAssertEqual(size(.scaleWidth, 400, 300), [286, 256])  // 214.5 < 256
    XCTAssertEqual(size(.scaleWidth, 200, 500), [286, 715])
    XCTAssertEqual(size(.scaleWidth, 300, 301), [286, 286])  // 286.95… truncates
    XCTAssertEqual(size(.scaleWidthAndCrop, 286, 300), [286, 300])
    XCTAssertEqual(size(.scaleWidthAndCrop, 286, 200), [286, 256])
    XCTAssertEqual(size(.crop, 123, 45), [123, 45])
    XCTAssertEqual(size(.none, 123, 45), [123, 45])
  }

  /// Python's int(round(s / 4) * 4): round half to even (258 → 256, 262 → 264, 10 → 8).
  func testMultipleOf4Rule() {
    let cases = [(256, 256), (257, 256), (258, 256), (259, 260), (262, 264), (6, 8), (10, 8), (14, 16), (2, 4), (1, 4)]
    for (size, expected) in cases { XCTAssertEqual(TransformOptions.multipleOf4(size), expected, "\(size)") }
    let options = TransformOptions(preprocess: .none, flip: false)
    var random = RandomStream(seed: 1)
    let out = try! options.augment(testImage(width: 10, height: 6, channels: 3), path: "x", random: &random)
    XCTAssertEqual([out.width, out.height], [8, 8])
    XCTAssertEqual(out, testImage(width: 10, height: 6, channels: 3).resized(width: 8, height: 8))
  }

  /// Crop corners are uniform over every position that fits, the window holds the source pixels, and the flip
  /// (p = ½) mirrors it.
  func testRandomCropAndFlip() throws {
    let image = testImage(width: 9, height: 7, channels: 3)
    let options = TransformOptions(preprocess: .crop, loadSize: 9, cropSize: 4, flip: true)
    var corners = Set<[Int]>(), flips = 0
    let trials = 600
    for position in 0..<trials {
      var random = SampleSlot(epoch: 0, position: position, index: 0).random(seed: 5, .augmentA)
      let p = try options.drawParameters(width: 9, height: 7, path: "x", random: &random)
      corners.insert([p.cropX, p.cropY])
      if p.flip { flips += 1 }
      let out = try options.apply(image, p, path: "x")
      var window = image.cropped(x: p.cropX, y: p.cropY, width: 4, height: 4)
      if p.flip { window = window.flippedHorizontally() }
      XCTAssertEqual(out, window)
    }
    XCTAssertEqual(corners.count, 6 * 4, "every corner in 0...5 × 0...3 is drawn")
    XCTAssertTrue(corners.allSatisfy { (0...5).contains($0[0]) && (0...3).contains($0[1]) })
    XCTAssertEqual(Double(flips) / Double(trials), 0.5, accuracy: 0.08)
    // --no-flip never flips; a crop equal to the image is the image.
    var random = RandomStream(seed: 2)
    let noFlip = TransformOptions(preprocess: .crop, cropSize: 8, flip: false)
    for _ in 0..<20 { XCTAssertEqual(try noFlip.augment(testImage(width: 8, height: 8, channels: 1), path: "x", random: &random),
                                     testImage(width: 8, height: 8, channels: 1)) }
  }

  func testFlipMirrorsColumns() {
    let image = Image(width: 3, height: 2, channels: 1, pixels: [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(image.flippedHorizontally().pixels, [3, 2, 1, 6, 5, 4])
    let rgb = Image(width: 2, height: 1, channels: 3, pixels: [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(rgb.flippedHorizontally().pixels, [4, 5, 6, 1, 2, 3])
  }

  /// resize_and_crop = PIL resize to load × load, then the crop window.
  func testResizeAndCropOrder() throws {
    let image = testImage(width: 13, height: 11, channels: 3)
    let options = TransformOptions(preprocess: .resizeAndCrop, loadSize: 20, cropSize: 16, flip: false)
    let p = TransformParameters(cropX: 3, cropY: 1, flip: false)
    XCTAssertEqual(try options.apply(image, p, path: "x"),
                   image.resized(width: 20, height: 20).cropped(x: 3, y: 1, width: 16, height: 16))
  }

  func testImageSmallerThanCropIsANamedError() {
    let options = TransformOptions(preprocess: .crop, cropSize: 8)
    var random = RandomStream(seed: 1)
    assertNamedError("small.png", containing: "smaller than the 8x8 crop") {
      _ = try options.augment(testImage(width: 10, height: 7, channels: 1), path: "small.png", random: &random)
    }
  }

  /// Label maps resize with nearest: no new ids appear.
  func testLabelMapsKeepTheirIds() throws {
    let ids: [UInt8] = (0..<(9 * 7)).map { UInt8([0, 3, 7][$0 % 3]) }
    let labels = Image(width: 9, height: 7, channels: 1, pixels: ids)
    let options = TransformOptions(preprocess: .resizeAndCrop, loadSize: 23, cropSize: 20)
    var random = RandomStream(seed: 3)
    let out = try options.augment(labels, filter: .nearest, path: "labels.png", random: &random)
    XCTAssertEqual(Set(out.pixels), [0, 3, 7])
    XCTAssertEqual(out.tensor(labels: true).scalars.max(), 7)
  }
}
