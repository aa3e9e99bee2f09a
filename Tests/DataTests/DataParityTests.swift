import Foundation
import Tensors
import TestSupport
import XCTest
@testable import Data

/// The data side against the official code's (taesungp/contrastive-unpaired-translation, b3ac297), value by value
/// for given random draws: the fixture is made by scripts/make_data_parity.py from the official get_transform and
/// UnalignedDataset. The image pool's returns are checked in ModelsTests, the decay-phase rule in TrainingTests.
final class DataParityTests: XCTestCase {
  /// Every resize / crop / multiple-of-4 / flip / normalise case gives the official tensor. Both sides resize in
  /// 8 bits with PIL's bicubic filter, so the pixels are equal and only the normalisation's float rounding can
  /// differ (≤ 1 ulp of 1, 1.2e-7); one pixel level apart would be 2/255 ≈ 7.8e-3.
  func testTransformsMatchTheOfficialPipeline() throws {
    let fixture = try Fixture("data_parity")
    struct Case: Decodable {
      let image: String, channels: Int, preprocess: String
      let load_size: Int, crop_size: Int, crop_x: Int, crop_y: Int, flip: Bool
    }
    let cases = try JSONDecoder().decode([Case].self, from: Data(fixture.metadata["cases"]!.utf8))
    XCTAssertEqual(cases.count, 10)
    for (k, c) in cases.enumerated() {
      let path = packageRoot() + "/" + c.image
      let options = TransformOptions(preprocess: Preprocess(rawValue: c.preprocess)!, loadSize: c.load_size,
                                     cropSize: c.crop_size, flip: true)
      let image = try options.apply(try ImageFile.load(path, channels: c.channels),
                                    TransformParameters(cropX: c.crop_x, cropY: c.crop_y, flip: c.flip), path: path)
      let expected = fixture["transform.\(k)"]
      let got = image.tensor()
      XCTAssertEqual(got.shape, expected.shape, "case \(k) \(c.preprocess)")
      guard got.shape == expected.shape else { continue }
      let worst = (0..<got.count).map { abs(got.storage.base[$0] - expected.storage.base[$0]) }.max()!
      XCTAssertLessThanOrEqual(worst, 1e-6, "case \(k): \(c.preprocess) load \(c.load_size) crop \(c.crop_size)")
    }
  }

  /// Unaligned pairing: length max(|A|, |B|), A by index mod |A|, serial B by index mod |B|, and a random B drawn
  /// over the same inclusive range as the official randint(0, |B| − 1).
  func testUnalignedPairingMatchesTheOfficialDataset() throws {
    let fixture = try Fixture("data_parity")
    let set = UnalignedDataset(pathsA: (0..<5).map { "a\($0)" }, pathsB: (0..<3).map { "b\($0)" }, serialBatches: true)
    XCTAssertEqual(set.count, 5)
    let serial = fixture["pairing.serial"]
    for i in 0..<10 {
      XCTAssertEqual(Float(i % set.pathsA.count), serial.storage.base[2 * i], "A of item \(i)")
      XCTAssertEqual(Float(set.partner(SampleSlot(epoch: 0, position: i, index: i), seed: 1)), serial.storage.base[2 * i + 1],
                     "B of item \(i)")
    }
    let bounds = fixture["pairing.random_bounds"]
    let random = UnalignedDataset(pathsA: set.pathsA, pathsB: set.pathsB, serialBatches: false)
    let drawn = Set((0..<300).map { random.partner(SampleSlot(epoch: 0, position: $0, index: $0 % 5), seed: 1) })
    XCTAssertEqual(drawn, Set(Int(bounds.storage.base[0])...Int(bounds.storage.base[1])))
  }
}
