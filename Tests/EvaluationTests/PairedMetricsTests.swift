import XCTest
import Data
import Evaluation
import TestSupport

/// `i2i eval paired` against scikit-image (`scripts/paired_metrics_reference.py`: `structural_similarity` with
/// gaussian_weights, σ 1.5, population covariance, data_range 255; `peak_signal_noise_ratio`), on committed images.
/// Both compute in float64 from the same 8-bit values, summing in other orders (scikit-image filters the whole image
/// with reflection and crops; this filters the valid part): the differences are rounding of sums of ≤ 121·4096
/// terms, ~1e-12 relative, so 1e-9 is a bound with room, not a fit.
final class PairedMetricsTests: XCTestCase {
  func load(_ path: String, channels: Int) throws -> Image {
    try ImageFile.load(packageRoot() + "/" + path, channels: channels)
  }

  func testGraySlicesMatchScikitImage() throws {
    let x = try load("data/brain/test_img/axial_032.png", channels: 1), y = try load("data/brain/test_img/axial_036.png", channels: 1)
    let s = PairedMetrics.scores(x, y)
    XCTAssertEqual(s.l1, 0.0205824908, accuracy: 1e-9)
    XCTAssertEqual(s.psnr, 23.6439290773, accuracy: 1e-8)
    XCTAssertEqual(s.ssim, 0.8794663141, accuracy: 1e-9)
  }

  /// RGB: SSIM per channel, averaged (scikit-image's channel_axis); the photo against its mirror image.
  func testRGBMatchesScikitImage() throws {
    let x = try load("Tests/DataTests/Resources/canny-input-photo.png", channels: 3)
    var mirrored = x.pixels
    for row in 0..<x.height {
      for col in 0..<x.width {
        for c in 0..<3 { mirrored[(row * x.width + col) * 3 + c] = x.pixels[(row * x.width + x.width - 1 - col) * 3 + c] }
      }
    }
    let s = PairedMetrics.scores(x, Image(width: x.width, height: x.height, channels: 3, pixels: mirrored))
    XCTAssertEqual(s.l1, 0.1532760587, accuracy: 1e-9)
    XCTAssertEqual(s.psnr, 14.1512793050, accuracy: 1e-8)
    XCTAssertEqual(s.ssim, 0.1636232406, accuracy: 1e-9)
  }

  func testIdenticalImagesAndFolderErrors() throws {
    let x = try load("data/brain/test_img/axial_032.png", channels: 1)
    let s = PairedMetrics.scores(x, x)
    XCTAssertEqual(s.l1, 0)
    XCTAssertEqual(s.psnr, .infinity)
    XCTAssertEqual(s.ssim, 1, accuracy: 1e-12)
    let dir = try temporaryFolder(self)
    try ImageFile.writePNG(x, to: dir + "/not_in_reference.png")
    XCTAssertThrowsError(try PairedMetrics.folders(dir, reference: packageRoot() + "/data/brain/test_img")) { error in
      XCTAssertTrue("\(error)".contains("not_in_reference.png"), "\(error)")
    }
    // Against itself, a folder scores perfectly; --all-outputs' _edge and _image1 files are not translations.
    let copy = try temporaryFolder(self)
    try ImageFile.writePNG(x, to: copy + "/axial_032.png")
    try ImageFile.writePNG(x, to: copy + "/axial_032_edge.png")
    let (folder, n) = try PairedMetrics.folders(copy, reference: packageRoot() + "/data/brain/test_img")
    XCTAssertEqual(n, 1)
    XCTAssertEqual(folder.ssim, 1, accuracy: 1e-12)
  }
}
