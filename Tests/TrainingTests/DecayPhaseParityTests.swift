import Foundation
import TestSupport
import XCTest
@testable import Training

/// The decay-phase rule against the official unaligned dataset (scripts/make_data_parity.py): with n_epochs 3,
/// load 36 and crop 32, epochs 1–3 load at 36 and epochs 4–6 at 32 (`current_epoch > n_epochs`). CycleGAN's
/// original repository has no such rule, so without it every epoch loads at 36.
final class DecayPhaseParityTests: XCTestCase {
  func testLoadSizePerEpochMatchesTheOfficialDataset() throws {
    let expected = try Fixture("data_parity")["decay.load_size"]
    var o = try TrainingOptions(model: "cut")
    o.dataroot = packageRoot() + "/data/fashion-shoes"
    (o.loadSize, o.cropSize, o.nEpochs, o.nEpochsDecay) = (36, 32, 3, 3)
    let withRule = try TrainingData(o)  // CUT's data policy
    o.noScaleAugInDecay = false
    let withoutRule = try TrainingData(o)
    o.noScaleAugInDecay = nil
    for epochIndex in 0..<6 {
      XCTAssertEqual(Float(try withRule.transform(epochIndex: epochIndex).loadSize), expected.storage.base[epochIndex],
                     "epoch \(epochIndex + 1)")
      XCTAssertEqual(try withoutRule.transform(epochIndex: epochIndex).loadSize, 36)
    }
    // Resuming with --epoch-count 4 starts in the decay phase, as the reference's epoch numbering does.
    o.epochCount = 4
    XCTAssertEqual(try TrainingData(o).transform(epochIndex: 0).loadSize, 32)
  }
}
