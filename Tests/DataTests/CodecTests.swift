import Foundation
import XCTest
@testable import Data
import Tensors

final class CodecTests: XCTestCase {
  /// Every colour type at 8 and 16 bits comes back exactly; 16-bit partial alpha within libpng's premultiply rounding.
  func testPNGRoundTripsEveryDepthAndColourType() throws {
    let (w, h) = (7, 5)
    for depth in [8, 16] {
      for channels in 1...4 {
        let maxValue = (1 << depth) - 1
        var samples: [UInt16] = []
        for i in 0..<(w * h * channels) {
          let isAlpha = (channels == 2 || channels == 4) && i % channels == channels - 1
          // Opaque alpha on even pixels, partial (≥ half) on odd ones.
          let pixel = i / channels
          let value = isAlpha ? (pixel % 2 == 0 ? maxValue : maxValue / 2 + (pixel * 977) % (maxValue / 2))
                              : (i * 2_654_435 + 12345) % (maxValue + 1)
          samples.append(UInt16(value))
        }
        let raster = RasterImage(width: w, height: h, channels: channels, bitDepth: depth, samples: samples)
        let decoded = try PNG.decode(try PNG.encode(raster), name: "round-trip")
        XCTAssertEqual(decoded.width, w)
        XCTAssertEqual(decoded.height, h)
        XCTAssertEqual(decoded.channels, channels, "depth \(depth)")
        XCTAssertEqual(decoded.bitDepth, depth)
        for i in 0..<samples.count {
          let isAlpha = raster.hasAlpha && i % channels == channels - 1
          let alpha = raster.hasAlpha ? Int(samples[i - i % channels + channels - 1]) : maxValue
          // 16-bit colour under partial alpha passes through premultiplied form: error ≤ 65535/alpha + 1.
          let tolerance = depth == 16 && !isAlpha && alpha < maxValue ? maxValue / alpha + 1 : 0
          XCTAssertLessThanOrEqual(abs(Int(decoded.samples[i]) - Int(samples[i])), tolerance,
                                   "depth \(depth) channels \(channels) sample \(i)")
        }
      }
    }
  }

  func testSixteenBitPNGWithoutGammaReadsUnchanged() throws {
    let raster = try ImageFile.read(Resources.path("gray16-pil.png"))
    let raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Resources.path("gray16-pil.raw"))))
    let expected = (0..<(raw.count / 2)).map { UInt16(raw[2 * $0]) << 8 | UInt16(raw[2 * $0 + 1]) }
    XCTAssertEqual(raster.bitDepth, 16)
    XCTAssertEqual(raster.channels, 1)
    XCTAssertEqual(raster.samples, expected)
  }

  func testPaletteImageIsExpandedAsPILDoes() throws {
    let palette = try ImageFile.load(Resources.path("palette-pil.png"), channels: 3)
    let reference = try ImageFile.load(Resources.path("palette-pil-as-rgb.png"), channels: 3)
    XCTAssertEqual(palette, reference)
  }

  func testGrayAndRGBConversionsFollowPIL() throws {
    let rgb = try ImageFile.load(Resources.path("resize-input-rgb.png"), channels: 3)
    let luma = try ImageFile.load(Resources.path("resize-input-rgb.png"), channels: 1)
    XCTAssertEqual(luma, try ImageFile.load(Resources.path("convert-rgb-to-l.png"), channels: 1))
    // Gray → RGB replicates; RGB → L of a replicated gray is the identity.
    let gray = try ImageFile.load(Resources.path("resize-input-gray.png"), channels: 1)
    let replicated = gray.converted(channels: 3)
    XCTAssertEqual(replicated.pixels[30], gray.pixels[10])
    XCTAssertEqual(replicated.pixels[31], gray.pixels[10])
    XCTAssertEqual(replicated.converted(channels: 1), gray)
    XCTAssertEqual(rgb.channels, 3)
    // Alpha is dropped, 16 bits round to 8.
    let rgba = RasterImage(width: 1, height: 1, channels: 4, bitDepth: 16, samples: [65535, 257 * 100 + 128, 0, 7])
    XCTAssertEqual(Image(rgba, channels: 3).pixels, [255, 100, 0])
  }

  /// The decode matches djpeg's (same library, default settings), for baseline, progressive and gray.
  func testJPEGDecodeMatchesReferenceDecode() throws {
    for (jpeg, reference) in [("tiny-rgb.jpg", "tiny-rgb.ppm"), ("tiny-progressive.jpg", "tiny-progressive.ppm"),
                              ("tiny-gray.jpg", "tiny-gray.pgm")] {
      let decoded = try ImageFile.read(Resources.path(jpeg))
      let expected = try ImageFile.read(Resources.path(reference))
      XCTAssertEqual(decoded, expected, jpeg)
      XCTAssertEqual(decoded.width, 23)
      XCTAssertEqual(decoded.height, 19)
    }
  }

  func testTensorConversionIsToTensorThenNormalize() throws {
    let image = Image(width: 2, height: 1, channels: 3, pixels: [0, 128, 255, 10, 20, 30])
    let t = image.tensor()
    XCTAssertEqual(t.shape, [3, 1, 2])
    // Planar (C, H, W): channel 0 holds pixels 0 and 10.
    XCTAssertEqual(t.scalars[0], -1)
    XCTAssertEqual(t.scalars[1], (Float(10) / 255 - 0.5) / 0.5)
    XCTAssertEqual(t.scalars[2], (Float(128) / 255 - 0.5) / 0.5)
    XCTAssertEqual(t.scalars[5], (Float(30) / 255 - 0.5) / 0.5)
    XCTAssertEqual(image.tensor(labels: true).scalars, [0, 10, 128, 20, 255, 30])
    // tensor2im: clamp, ⌊(x + 1)/2 · 255⌋.
    let saved = Image(tensor: Tensor([-1, 1, 0, 2, -3, .nan], [1, 1, 2, 3]))
    XCTAssertEqual(saved.channels, 1)
    XCTAssertEqual(saved.pixels, [0, 255, 127, 255, 0, 0])
  }
}
