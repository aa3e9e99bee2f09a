import XCTest
import Models
import Training

/// `--model cut|fastcut` builds CUT with the per-model defaults of TrainingOptions(model:), and option errors name
/// the option.
final class ModelCatalogTests: XCTestCase {
  func options(_ model: String, _ change: (inout TrainingOptions) -> Void = { _ in }) throws -> TrainingOptions {
    var o = try TrainingOptions(model: model)
    (o.ngf, o.ndf, o.netG) = (2, 2, "resnet_6blocks")
    change(&o)
    return o
  }

  func testCUTAndFastCUTGetTheirReferenceDefaults() throws {
    let cut = try XCTUnwrap(try ModelCatalog.make(try options("cut")) as? CUT)
    XCTAssertEqual(cut.options.lambdaNCE, 1)
    XCTAssertTrue(cut.options.nceIdt)
    XCTAssertFalse(cut.options.flipEquivariance)
    XCTAssertEqual(cut.options.initType, .xavier)
    XCTAssertEqual(cut.options.nceLayers, [0, 4, 8, 12, 16])
    XCTAssertEqual(cut.options.negatives, .image)
    XCTAssertFalse(cut.d.namedBuffers().isEmpty, "antialiased by default")
    let fast = try XCTUnwrap(try ModelCatalog.make(try options("fastcut")) as? CUT)
    XCTAssertEqual(fast.options.lambdaNCE, 10)
    XCTAssertFalse(fast.options.nceIdt)
    XCTAssertTrue(fast.options.flipEquivariance)
    let plain = try XCTUnwrap(try ModelCatalog.make(try options("cut") {
      ($0.noAntialias, $0.noAntialiasUp, $0.negatives, $0.nceLayers) = (true, true, "global", "0,4,8")
    }) as? CUT)
    XCTAssertTrue(plain.g.namedBuffers().isEmpty && plain.d.namedBuffers().isEmpty)
    XCTAssertEqual(plain.options.negatives, .global)
    XCTAssertEqual(plain.options.nceLayers, [0, 4, 8])
  }

  func testBadCUTOptionsNameTheOption() throws {
    func message(_ change: (inout TrainingOptions) -> Void) throws -> String {
      do { _ = try ModelCatalog.make(try options("cut", change)); return "accepted" } catch { return "\(error)" }
    }
    XCTAssertTrue(try message { $0.nceLayers = "0,4,99" }.hasPrefix("--nce-layers: index 99"))
    XCTAssertTrue(try message { $0.nceLayers = "0;4" }.hasPrefix("--nce-layers"))
    XCTAssertTrue(try message { $0.negatives = "world" }.contains("--negatives"))
    XCTAssertTrue(try message { $0.netF = "reshape" }.contains("--netF"))
  }

  /// `--model enco` gets the README's settings (spec §4.8) and maps EnCo's own options.
  func testEnCoGetsItsReferenceDefaults() throws {
    let o = try options("enco")
    XCTAssertEqual(o.warmupEpochs, 20)
    let enco = try XCTUnwrap(try ModelCatalog.make(o) as? EnCo)
    XCTAssertEqual(enco.options.lambdaNCE, 2)
    XCTAssertEqual(enco.options.lambdaIDT, 10)
    XCTAssertEqual(enco.options.nceLayers, [3, 7, 13, 18, 24, 28])
    XCTAssertEqual(enco.options.stopIdtEpochs, 100, "the reference's −1 means n_epochs")
    XCTAssertEqual([enco.options.lrG, enco.options.lrD, enco.options.lrF], [5e-5, 2e-4, 5e-5])
    XCTAssertEqual(enco.options.loss, .byol, "the official code's loss")
    XCTAssertEqual(enco.options.prjNorm, .batch)
    XCTAssertTrue(enco.options.flipEquivariance)
    XCTAssertEqual(enco.options.initType, .xavier)
    let changed = try XCTUnwrap(try ModelCatalog.make(try options("enco") {
      ($0.encoLoss, $0.prjNorm, $0.stopIdtEpochs, $0.negatives, $0.noPredictor) = ("nce", "LN", 0, "image", true)
      ($0.oversampleRatio, $0.randomRatio, $0.numPatches) = (2, 0.25, 64)
    }) as? EnCo)
    XCTAssertEqual(changed.options.loss, .nce)
    XCTAssertEqual(changed.options.prjNorm, .layer)
    XCTAssertEqual(changed.options.stopIdtEpochs, 0, "0: no identity epochs (epochs count from 1)")
    XCTAssertTrue(changed.options.noPredictor)
    XCTAssertEqual([changed.options.oversampleRatio, changed.options.numPatches], [2, 64])
    XCTAssertEqual(changed.options.randomRatio, 0.25)
  }

  func testBadEnCoOptionsNameTheOption() throws {
    func message(_ change: (inout TrainingOptions) -> Void) throws -> String {
      do { _ = try ModelCatalog.make(try options("enco", change)); return "accepted" } catch { return "\(error)" }
    }
    XCTAssertTrue(try message { $0.encoLoss = "mse" }.contains("--enco-loss"))
    XCTAssertTrue(try message { $0.prjNorm = "GN" }.contains("--prj-norm"))
    XCTAssertTrue(try message { $0.netF = "mlp_sample" }.hasPrefix("--netF"))
    XCTAssertTrue(try message { $0.nceLayers = "3,7,28" }.hasPrefix("--nce-layers"))
  }
}
