import Foundation
import XCTest
import Models
import NN
import Training

/// `--model NAME` with the model's own options: each name gets its reference defaults and schedule from its
/// descriptor, the model's arguments reach the model it builds, option errors name the option, and
/// `train_opt.json` reads back as the same options.
final class ModelCatalogTests: XCTestCase {
  func options(_ model: String, _ arguments: [String] = []) throws -> TrainingOptions {
    var o = try TrainingOptions(model: model)
    // ECGAN has no --netG: its generator is the SPADE one.
    let small = ["--ngf", "2", "--ndf", "2"] + (model == "ecgan" ? [] : ["--netG", "resnet_6blocks"])
    try o.setModelArguments(small + arguments)
    return o
  }

  /// Each model decays its lr as its repository does: CycleGAN/CUT's linear rule, SPADE/ECGAN's after-epoch drop.
  func testTheLearningRatePolicyIsTheModelsUnlessGiven() throws {
    var ecgan = try TrainingOptions(model: "ecgan")
    ecgan.nEpochsDecay = 10
    XCTAssertEqual(try ecgan.learningRatePolicy(), .linearAfterEpoch(nEpochs: 50, nEpochsDecay: 10, epochCount: 1))
    XCTAssertEqual(try TrainingOptions(model: "cyclegan").learningRatePolicy(),
                   .linear(nEpochs: 100, nEpochsDecay: 100, epochCount: 1, warmupEpochs: 0))
    ecgan.lrPolicy = "linear"
    XCTAssertEqual(try ecgan.learningRatePolicy(), .linear(nEpochs: 50, nEpochsDecay: 10, epochCount: 1, warmupEpochs: 0))
  }

  func testCUTAndFastCUTGetTheirReferenceDefaults() throws {
    let cutOptions = try options("cut")
    XCTAssertEqual([cutOptions.nEpochs, cutOptions.nEpochsDecay], [200, 200])
    let cut = try XCTUnwrap(try cutOptions.makeModel() as? CUT)
    XCTAssertEqual(cut.options.lambdaNCE, 1)
    XCTAssertTrue(cut.options.nceIdt)
    XCTAssertFalse(cut.options.flipEquivariance)
    XCTAssertEqual(cut.options.initType, .xavier)
    XCTAssertEqual(cut.options.nceLayers, [0, 4, 8, 12, 16])
    XCTAssertEqual(cut.options.negatives, .image)
    XCTAssertFalse(cut.d.namedBuffers().isEmpty, "antialiased by default")
    let fastOptions = try options("fastcut")
    XCTAssertEqual([fastOptions.nEpochs, fastOptions.nEpochsDecay], [150, 50])
    let fast = try XCTUnwrap(try fastOptions.makeModel() as? CUT)
    XCTAssertEqual(fast.options.lambdaNCE, 10)
    XCTAssertFalse(fast.options.nceIdt)
    XCTAssertTrue(fast.options.flipEquivariance)
    let plain = try XCTUnwrap(try options("cut", ["--no-antialias", "--no-antialias-up", "--negatives", "global",
                                                  "--nce-layers", "0,4,8"]).makeModel() as? CUT)
    XCTAssertTrue(plain.g.namedBuffers().isEmpty && plain.d.namedBuffers().isEmpty)
    XCTAssertEqual(plain.options.negatives, .global)
    XCTAssertEqual(plain.options.nceLayers, [0, 4, 8])
  }

  func message(_ model: String, _ arguments: [String]) -> String {
    do { _ = try options(model, arguments).makeModel(); return "accepted" } catch { return "\(error)" }
  }

  func testBadCUTOptionsNameTheOption() {
    XCTAssertTrue(message("cut", ["--nce-layers", "0,4,99"]).hasPrefix("--nce-layers: index 99"))
    XCTAssertTrue(message("cut", ["--nce-layers", "0;4"]).hasPrefix("--nce-layers"))
    XCTAssertTrue(message("cut", ["--negatives", "world"]).contains("--negatives"))
    XCTAssertTrue(message("cut", ["--netF", "reshape"]).contains("--netF"))
    XCTAssertTrue(message("cut", ["--lambda-A", "10"]).contains("--lambda-A: is not an option of cut"))
  }

  /// `--model enco` gets the README's settings (spec §4.8) and maps EnCo's own options.
  func testEnCoGetsItsReferenceDefaults() throws {
    var o = try options("enco")
    XCTAssertEqual(o.warmupEpochs, 20)
    o.nEpochs = 30
    let enco = try XCTUnwrap(try o.makeModel() as? EnCo)
    XCTAssertEqual(enco.options.lambdaNCE, 2)
    XCTAssertEqual(enco.options.lambdaIDT, 10)
    XCTAssertEqual(enco.options.nceLayers, [3, 7, 13, 15, 21, 25], "mirrored for resnet_6blocks")
    XCTAssertEqual(enco.options.lastIdentityEpoch, 30, "the reference's −1 means n_epochs")
    XCTAssertEqual(enco.options.totalEpochs, 130)
    XCTAssertEqual([enco.options.lrG, enco.options.lrD, enco.options.lrF], [5e-5, 2e-4, 5e-5])
    XCTAssertEqual(enco.options.loss, .byol, "the official code's loss")
    XCTAssertEqual(enco.options.prjNorm, .batch)
    XCTAssertTrue(enco.options.flipEquivariance)
    XCTAssertEqual(enco.options.initType, .xavier)
    let changed = try XCTUnwrap(try options("enco", ["--enco-loss", "nce", "--prj-norm", "LN", "--stop-idt-epochs", "0",
                                                     "--negatives", "image", "--no-predictor", "--oversample-ratio", "2",
                                                     "--random-ratio", "0.25", "--num-patches", "64"]).makeModel() as? EnCo)
    XCTAssertEqual(changed.options.loss, .nce)
    XCTAssertEqual(changed.options.prjNorm, .layer)
    XCTAssertEqual(changed.options.lastIdentityEpoch, 0, "0: no identity epochs (epochs count from 1)")
    XCTAssertTrue(changed.options.noPredictor)
    XCTAssertEqual([changed.options.oversampleRatio, changed.options.numPatches], [2, 64])
    XCTAssertEqual(changed.options.randomRatio, 0.25)
  }

  func testBadEnCoOptionsNameTheOption() {
    XCTAssertTrue(message("enco", ["--enco-loss", "mse"]).contains("--enco-loss"))
    XCTAssertTrue(message("enco", ["--prj-norm", "GN"]).contains("--prj-norm"))
    XCTAssertTrue(message("enco", ["--netF", "mlp_sample"]).hasPrefix("--netF"))
    XCTAssertTrue(message("enco", ["--nce-layers", "3,7,28"]).hasPrefix("--nce-layers"))
    XCTAssertTrue(message("enco", ["--lr", "1e-4"]).contains("--lr: is not an option of enco"))
  }

  /// `train_opt.json` is one flat object (the run's keys, `model`, the model's keys) and reads back as the same
  /// options; the strings of `state.json` show lists comma-separated, as the reference's `train_opt.txt` does.
  func testTrainOptJSONRoundTrip() throws {
    for model in ModelCatalog.standard.names {
      var o = try options(model)
      (o.batchSize, o.seed, o.name) = (3, 9, "round-trip")
      let data = try JSONEncoder().encode(o)
      let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
      XCTAssertEqual(object["model"] as? String, model)
      XCTAssertEqual(object["ngf"] as? Int, 2, model)
      XCTAssertEqual(object["batchSize"] as? Int, 3, model)
      let back = try JSONDecoder().decode(TrainingOptions.self, from: data)
      XCTAssertEqual(back.asStrings, o.asStrings, model)
      XCTAssertEqual(back.run, o.run, model)
    }
    XCTAssertEqual(try options("cut").asStrings["nceLayers"], "0,4,8,12,16")
    var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONEncoder().encode(try options("cut"))) as? [String: Any])
    object["ngf"] = "many"
    let bad = try JSONSerialization.data(withJSONObject: object)
    XCTAssertThrowsError(try JSONDecoder().decode(TrainingOptions.self, from: bad)) {
      XCTAssertTrue("\($0)".contains("--ngf"), "\($0)")
    }
  }

  /// Only the descriptor list names models: the trainer, data and command line ask the descriptor.
  func testFlagNamesComeFromTheDescriptor() throws {
    let cut = try options("cut"), cyclegan = try options("cyclegan")
    XCTAssertEqual(cut.flagName("lambdaNCE"), "lambda-NCE")
    XCTAssertEqual(cut.flagName("netFNC"), "netF-nc")
    XCTAssertEqual(cyclegan.flagName("lambdaA"), "lambda-A")
    XCTAssertEqual(cyclegan.flagName("inputNC"), "input-nc")
    XCTAssertEqual(cyclegan.flagName("nEpochsDecay"), "n-epochs-decay")
    XCTAssertEqual(TrainingOptions.flagName("encoLoss", model: "enco"), "enco-loss")
    XCTAssertEqual(TrainingOptions.flagName("batchSize", model: "pix2pix"), "batch-size")
  }
}
