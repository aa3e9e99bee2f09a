import Foundation
import XCTest
import Models
import NN
import Tensors
import TestSupport
import Training

/// `ModelCatalog.translator`: the generator of one direction alone, as `i2i translate` builds it.
final class TranslatorTests: XCTestCase {
  let cases: [(model: String, direction: Direction, generator: String)] = [
    ("cyclegan", .aToB, "G_A"), ("cyclegan", .bToA, "G_B"), ("cut", .aToB, "G"), ("fastcut", .aToB, "G"),
    ("enco", .aToB, "G"),
  ]

  func options(_ model: String, seed: UInt64) throws -> TrainingOptions {
    var o = try TrainingOptions(model: model)
    (o.ngf, o.ndf, o.netG, o.seed) = (2, 2, "resnet_6blocks", seed)
    return o
  }

  /// Loaded with the training model's generator weights (through a safetensors file, as `i2i translate` loads
  /// them), the translator gives the model's `translate(x, direction:)` bit for bit on a batch of 2.
  func testTranslatorGivesTheTrainingModelsOutputBitForBit() throws {
    let folder = try temporaryFolder(self)
    var rng = RandomStream(seed: 7)
    let x = Tensor.uniform([2, 3, 16, 16], low: -1, high: 1, &rng)  // (N, C, H, W)
    for (model, direction, generator) in cases {
      let trained = try ModelCatalog.make(try options(model, seed: 1))
      let translator = try XCTUnwrap(try ModelCatalog.translator(try options(model, seed: 2), direction: direction))
      let expected = trained.translate(x, direction: direction)
      XCTAssertNotEqual(translator.translate(TranslationInput(image: x)).scalars, expected.scalars,
                        "\(model) \(direction): another seed gives other weights before loading")
      let file = URL(fileURLWithPath: folder).appendingPathComponent("\(model)-net_\(generator).safetensors")
      try XCTUnwrap(trained.networks.first { $0.name == generator }?.module).save(to: file)
      try XCTUnwrap(translator.networks.first?.module).load(from: file)
      let y = translator.translate(TranslationInput(image: x))
      XCTAssertEqual(y.shape, [2, 3, 16, 16])
      XCTAssertEqual(y.scalars, expected.scalars, "\(model) \(direction)")
      XCTAssertFalse(y.requiresGrad)
    }
  }

  /// The translator holds the generator of its direction and nothing else: its parameters are that generator's
  /// (same names and shapes as in the training model), and no discriminator, F or optimiser is among its parts.
  func testTranslatorBuildsOnlyTheGenerator() throws {
    for (model, direction, generator) in cases {
      let o = try options(model, seed: 0)
      let translator = try XCTUnwrap(try ModelCatalog.translator(o, direction: direction))
      XCTAssertEqual(translator.networks.map(\.name), [generator], "\(model) \(direction)")
      let trained = try ModelCatalog.make(o)
      let reference = try XCTUnwrap(trained.networks.first { $0.name == generator }?.module)
      let parameters = translator.networks.flatMap { $0.module.namedParameters() }
      XCTAssertEqual(parameters.map(\.name), reference.namedParameters().map(\.name), "\(model) \(direction)")
      XCTAssertEqual(parameters.map(\.tensor.shape), reference.namedParameters().map(\.tensor.shape))
      for part in Mirror(reflecting: translator).children {
        XCTAssertFalse(part.value is NLayerDiscriminator || part.value is PatchSampleF || part.value is EnCoHeads
                         || part.value is any Optimizer || part.value is ImagePool,
                       "\(model): \(part.label ?? "?") is \(type(of: part.value))")
      }
    }
  }

  /// A one-sided model has no BtoA generator; the decay-phase rule is read off the model kind, unbuilt.
  func testDirectionsAndDecayRuleWithoutTheModel() throws {
    XCTAssertNil(try ModelCatalog.translator(try options("cut", seed: 0), direction: .bToA))
    XCTAssertNil(try ModelCatalog.translator(try options("enco", seed: 0), direction: .bToA))
    func rule(_ model: String) throws -> Bool { try ModelCatalog.modelType(model).loadsAtCropSizeWhileDecaying }
    XCTAssertEqual(try ["cyclegan", "cut", "fastcut", "enco"].map(rule), [false, true, true, true])
    for model in ["cyclegan", "cut", "enco"] {
      XCTAssertEqual(try ModelCatalog.make(try options(model, seed: 0)).loadsAtCropSizeWhileDecaying, try rule(model))
    }
    XCTAssertThrowsError(try ModelCatalog.modelType("pix2pix")) { XCTAssertTrue("\($0)".contains("--model"), "\($0)") }
  }
}
