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
}
