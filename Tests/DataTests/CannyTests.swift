import XCTest
@testable import Data

/// `Canny` against the numpy port of ECGAN's `scripts/canny.m` (scripts/canny_reference.py, outputs committed in
/// Resources/canny-*.png), and each step on inputs small enough to work out by hand.
final class CannyTests: XCTestCase {
  private func plane(_ rows: [[Double]]) -> Canny.Plane {
    Canny.Plane(width: rows[0].count, height: rows.count, values: rows.flatMap { $0 })
  }

  // MARK: Against the numpy port

  /// Exact equality, pixel for pixel. Both sides compute in Double with the same operations in the same order
  /// (IEEE arithmetic, no fused multiply-add), so every intermediate is bit-identical except `atan2`, which comes
  /// from the C library and may differ in its last bit between libms. That could move a pixel only if its angle
  /// lay within ~1e-13° of a quantisation boundary 22.5° + 45°k; the script asserts that every pixel of these
  /// inputs is at least 1e-9° away (the closest is 7e-4°, in the photo), so no pixel is allowed to differ.
  func testEdgesEqualTheNumpyPortOfCannyM() throws {
    let cases = [(packageRoot() + "/data/fashion-shoes/trainA/train_00006.png", "canny-shoe.png"),
                 (Resources.path("canny-input-photo.png"), "canny-photo.png"),
                 (Resources.path("canny-input-synthetic.png"), "canny-synthetic.png")]
    for (input, output) in cases {
      let raster = try ImageFile.read(input)
      let image = Image(raster, channels: raster.colorChannels == 1 ? 1 : 3)
      let edges = Canny.edges(of: image)
      let expected = try ImageFile.load(Resources.path(output), channels: 1)
      XCTAssertEqual(edges.sizeDescription, expected.sizeDescription, input)
      let differing = zip(edges.pixels, expected.pixels).filter { $0 != $1 }.count
      XCTAssertEqual(differing, 0, "\(input): \(differing) pixels differ from \(output)")
      XCTAssertTrue(edges.pixels.allSatisfy { $0 == 0 || $0 == 255 })
      XCTAssertGreaterThan(edges.pixels.filter { $0 == 255 }.count, 50, "\(input) has edges to compare")
    }
  }

  // MARK: The steps

  func testGrayIsMatlabsRgb2grayRoundedHalfAwayFromZero() {
    let gray = Image(width: 3, height: 1, channels: 1, pixels: [0, 7, 255])
    XCTAssertEqual(Canny.gray(gray).values, [0, 7, 255])
    // 255·0.298936… = 76.23, 255·0.587043… = 149.70, 255·0.114020… = 29.08, white 254.99999999999974.
    // (0, 0, 250) = 28.505: 29 here, where PIL's convert("L") gives 28.
    let rgb = Image(width: 5, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 250])
    XCTAssertEqual(Canny.gray(rgb).values, [76, 150, 29, 255, 29])
    XCTAssertEqual(Image(RasterImage(width: 1, height: 1, channels: 3, bitDepth: 8, samples: [0, 0, 250]), channels: 1).pixels, [28])
  }

  func testGaussianIsConv2SameWithTheRoundedWeightsAndZeroPadding() {
    // An impulse gives back the kernel; each weight is (1/159)·k, which for 12 is not 12/159.
    var impulse = [Double](repeating: 0, count: 25)
    impulse[12] = 1
    let response = Canny.gaussian(Canny.Plane(width: 5, height: 5, values: impulse))
    let integers: [Double] = [2, 4, 5, 4, 2, 4, 9, 12, 9, 4, 5, 12, 15, 12, 5, 4, 9, 12, 9, 4, 2, 4, 5, 4, 2]
    XCTAssertEqual(response.values, integers.map { (1 / 159) * $0 })
    XCTAssertEqual(response[x: 2, y: 1], (1 / 159) * 12)
    XCTAssertNotEqual(response[x: 2, y: 1], 12 / 159)
    // A constant 3×3 image: each pixel sums only the taps that land inside, so the corner sees the kernel's block
    // 2 4 5 / 4 9 12 / 5 12 15 (68): outside is 0, not a replicated border.
    let smoothed = Canny.gaussian(plane([[1, 1, 1], [1, 1, 1], [1, 1, 1]]))
    XCTAssertEqual(smoothed[x: 0, y: 0], 68 / 159, accuracy: 1e-15)
    XCTAssertEqual(smoothed[x: 1, y: 0], 82 / 159, accuracy: 1e-15)  // 4 5 4 / 9 12 9 / 12 15 12
    XCTAssertEqual(smoothed[x: 1, y: 1], 99 / 159, accuracy: 1e-15)  // 9 12 9 / 12 15 12 / 9 12 9
  }

  func testSobelConvolvesSoXIsLeftMinusRightAndYIsBelowMinusAbove() {
    let columns = plane((0..<4).map { _ in [0, 1, 2, 3, 4] })  // value = column
    let rows = plane((0..<4).map { y in [Double](repeating: Double(y), count: 5) })  // value = row
    let g1 = Canny.sobel(columns), g2 = Canny.sobel(rows)
    for y in 1..<3 {
      for x in 1..<4 {
        XCTAssertEqual(g1.x[x: x, y: y], -8)  // (left − right)·(1 + 2 + 1) = −2·4
        XCTAssertEqual(g1.y[x: x, y: y], 0)
        XCTAssertEqual(g2.x[x: x, y: y], 0)
        XCTAssertEqual(g2.y[x: x, y: y], 8)  // (below − above)·4
      }
    }
    // Zero padding: at the left border the missing column counts as 0.
    XCTAssertEqual(g1.x[x: 0, y: 1], -4)  // (0 − 1)·4
  }

  func testDirectionQuantisesTheAngleAsCannyMDoes() {
    let cases: [(x: Double, y: Double, degrees: Int)] = [
      (1, 0, 0), (1, 1, 45), (0, 1, 90), (-1, 1, 135), (-1, 0, 0), (-1, -1, 45), (0, -1, 90), (1, -1, 135),
      (0, 0, 0), (-1, -0.0, 0), (1, -1e-300, 0),  // −180° → 180°; 360° − tiny rounds to 360, still bucket 0
    ]
    for c in cases { XCTAssertEqual(Canny.direction(x: c.x, y: c.y).rawValue, c.degrees, "(\(c.x), \(c.y))") }
    XCTAssertEqual(Canny.angle(x: 0, y: -1), 270)
    for (degrees, bucket) in [(22.4, 0), (22.6, 45), (67.4, 45), (67.6, 90), (112.4, 90), (112.6, 135), (157.4, 135),
                              (157.6, 0), (202.6, 45), (247.6, 90), (292.6, 135), (337.4, 135), (337.6, 0)] {
      let r = degrees * Double.pi / 180
      XCTAssertEqual(Canny.direction(x: cos(r), y: sin(r)).rawValue, bucket, "\(degrees)°")
    }
  }

  func testNonMaximumSuppressionKeepsTiesAndClearsTheOuterRing() {
    let magnitude = plane([[5, 5, 5, 5], [1, 2, 2, 1], [0, 0, 0, 0]])
    let across = Canny.nms(magnitude, [Canny.Direction](repeating: .degrees0, count: 12))
    XCTAssertEqual(across.values, [0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0], "2 ≥ 2: both of a tie stay")
    let vertical = Canny.nms(magnitude, [Canny.Direction](repeating: .degrees90, count: 12))
    XCTAssertEqual(vertical.values, [Double](repeating: 0, count: 12), "5 above beats 2")
    // 45° compares (i+1, j−1) and (i−1, j+1); 135° compares (i+1, j+1) and (i−1, j−1).
    let diagonal = plane([[0, 0, 3], [0, 2, 0], [1, 0, 0]])
    XCTAssertEqual(Canny.nms(diagonal, [Canny.Direction](repeating: .degrees45, count: 9))[x: 1, y: 1], 0)
    XCTAssertEqual(Canny.nms(diagonal, [Canny.Direction](repeating: .degrees135, count: 9))[x: 1, y: 1], 2)
  }

  func testThresholdsAreFractionsOfTheSuppressedMaximum() {
    let t = Canny.thresholds(plane([[0, 200], [40, 3]]))
    XCTAssertEqual(t.low, 15)
    XCTAssertEqual(t.high, 35)
  }

  func testHysteresisIsOnePassOverStrongNeighboursOnly() {
    // low 10, high 20. Strong: > 20. Weak: 10...20, kept only next to a strong pixel (8 neighbours).
    let suppressed = plane([
      [15, 0, 0, 0, 25],   // (0,0) weak, next only to the weak (1,1): dropped, nothing propagates; (4,0) strong
      [0, 15, 0, 0, 0],    // (1,1) weak, diagonal to the strong (2,2): kept
      [0, 0, 30, 20, 10],  // 20 = high is weak, next to 30: kept; 10 = low is weak, next only to weak: dropped
      [0, 0, 0, 10, 0],    // 10 = low, diagonal to 30: kept
      [0, 0, 0, 0, 9.99],  // below low: dropped
    ])
    let result = Canny.hysteresis(suppressed, low: 10, high: 20)
    XCTAssertEqual(result.pixels, [0, 0, 0, 0, 255,
                                   0, 255, 0, 0, 0,
                                   0, 0, 255, 255, 0,
                                   0, 0, 0, 255, 0,
                                   0, 0, 0, 0, 0])
  }

  func testImagesWithoutGradientHaveNoEdges() {
    // canny.m itself stops with an index error on these: its thresholds are 0 and the border pixels reach the
    // neighbour test.
    for image in [Image(width: 6, height: 5, channels: 1, pixels: [UInt8](repeating: 90, count: 30)),
                  Image(width: 2, height: 2, channels: 3, pixels: [10, 200, 30, 0, 0, 0, 255, 255, 255, 1, 2, 3]),
                  Image(width: 1, height: 1, channels: 1, pixels: [7])] {
      let edges = Canny.edges(of: image)
      XCTAssertEqual(edges.sizeDescription, image.sizeDescription)
      XCTAssertEqual(edges.channels, 1)
      XCTAssertTrue(edges.pixels.allSatisfy { $0 == 0 })
    }
  }
}
