import Foundation
import XCTest
import Models
import NN
import Tensors
import TestSupport
import Training

/// `TrainingOptions.makeTranslator`: the generator of one direction alone, as `i2i translate` builds it.
final class TranslatorTests: XCTestCase {
  let cases: [(model: String, direction: Direction, generator: String)] = [
    ("cyclegan", .aToB, "G_A"), ("cyclegan", .bToA, "G_B"), ("cut", .aToB, "G"), ("fastcut", .aToB, "G"),
    ("enco", .aToB, "G"),
  ]

  func options(_ model: String, seed: UInt64) throws -> TrainingOptions {
    var o = try TrainingOptions(model: model)
    try o.setModelArguments(["--ngf", "2", "--ndf", "2", "--netG", "resnet_6blocks"])
    o.seed = seed
    return o
  }

  /// Loaded with the training model's generator weights (through a safetensors file, as `i2i translate` loads
  /// them), the translator gives the model's `translate(x, direction:)` bit for bit on a batch of 2.
  func testTranslatorGivesTheTrainingModelsOutputBitForBit() throws {
    let folder = try temporaryFolder(self)
    var rng = RandomStream(seed: 7)
    let x = Tensor.uniform([2, 3, 16, 16], low: -1, high: 1, &rng)  // (N, C, H, W)
    for (model, direction, generator) in cases {
      let trained = try (try options(model, seed: 1)).makeModel()
      let translator = try XCTUnwrap(try (try options(model, seed: 2)).makeTranslator(direction: direction))
      let expected = trained.translate(x, direction: direction)
      XCTAssertNotEqual(try translator.translate(TranslationInput(image: x)).scalars, expected.scalars,
                        "\(model) \(direction): another seed gives other weights before loading")
      let file = URL(fileURLWithPath: folder).appendingPathComponent("\(model)-net_\(generator).safetensors")
      try XCTUnwrap(trained.networks.first { $0.name == generator }?.module).save(to: file)
      try XCTUnwrap(translator.networks.first?.module).load(from: file)
      let y = try translator.translate(TranslationInput(image: x))
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
      let translator = try XCTUnwrap(try o.makeTranslator(direction: direction))
      XCTAssertEqual(translator.networks.map(\.name), [generator], "\(model) \(direction)")
      let trained = try o.makeModel()
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

  /// A one-sided model has no BtoA generator; the data policy is read off the descriptor, no model built.
  func testDirectionsAndDecayRuleWithoutTheModel() throws {
    XCTAssertNil(try (try options("cut", seed: 0)).makeTranslator(direction: .bToA))
    XCTAssertNil(try (try options("enco", seed: 0)).makeTranslator(direction: .bToA))
    func policy(_ model: String) throws -> DataPolicy { try ModelCatalog.standard.descriptor(named: model).dataPolicy }
    XCTAssertEqual(try ["cyclegan", "cut", "fastcut", "enco"].map { try policy($0).loadsAtCropSizeWhileDecaying },
                   [false, true, true, true])
    XCTAssertEqual(try ["cyclegan", "cut", "fastcut", "enco"].map { try policy($0).dropLast }, [false, true, true, true])
    XCTAssertThrowsError(try ModelCatalog.standard.descriptor(named: "pix2pix")) {
      XCTAssertTrue("\($0)".contains("--model") && "\($0)".contains("cyclegan, cut, fastcut, enco"), "\($0)")
    }
  }
}
