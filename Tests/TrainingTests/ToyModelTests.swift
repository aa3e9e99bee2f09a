import Data
import Foundation
import Models
import NN
import Replicas
import Tensors
import TestSupport
import XCTest
@testable import Training

// The seam between the trainer and a model, proved from outside `Sources`: a toy model declared here (its
// descriptor, options and one-network step), trained through `Trainer` on a `label_folders` data set that yields a
// label-map field, with two training stages.

/// The toy's options: a 1×1 conv from the one-hot label map to the image.
struct ToyOptions: ModelOptions {
  var classes = 3
  var channels = 1
  var lr: Float = 0.05
  /// Epochs of the first stage ("warmup"); the rest are stage "main".
  var warmupEpochs = 1
  var seed: UInt64 = 0

  enum CodingKeys: String, CodingKey { case classes, channels, lr, warmupEpochs = "toyWarmupEpochs" }

  static let optionHelp = [OptionHelp("classes", "Classes of the label map."), OptionHelp("channels", "Image channels."),
                           OptionHelp("lr", "SGD's learning rate."),
                           OptionHelp("warmupEpochs", flag: "toy-warmup-epochs", "Epochs of the first stage.")]
  func validate() throws { if classes < 1 { throw OptionError("--classes", "must be at least 1, got \(classes)") } }
}

enum ToyDescriptor: ModelDescriptor {
  static let names = ["toy"]
  static let summary = "A 1×1 conv from a label map to an image, in two stages."
  static func defaults(for name: String) -> ToyOptions { ToyOptions() }
  static func schedule(for name: String) -> ScheduleDefaults { ScheduleDefaults(nEpochs: 1, nEpochsDecay: 1) }
  static func fields(_ o: ToyOptions) -> [BatchField] {
    [BatchField("label", .labelMap(classes: o.classes, dontCare: 255)), BatchField("image", .image(channels: o.channels))]
  }
  static let dataPolicy = DataPolicy(dropLast: true, loadsAtCropSizeWhileDecaying: false)
  static let architectureKeys = ["classes", "channels"]
  static func make(_ options: ToyOptions, run: RunFacts) throws -> any TranslationModel {
    var o = options
    o.seed = run.seed
    return try ToyModel(o)
  }
  static func translator(_ o: ToyOptions, direction: Direction, run: RunFacts) throws -> (any Translator)? { nil }
}

/// One conv, L1 to the image; each stage has its own SGD optimiser (named after the stage), so a stage change
/// shows in the optimiser list, the checkpoint and the schedules.
final class ToyModel: TranslationModel {
  let options: ToyOptions
  let net: Conv2d
  private(set) var optimizer: (name: String, optimizer: any Optimizer)?
  private var group: GradientGroup?
  private(set) var stagesEntered: [String] = []

  init(_ o: ToyOptions) throws {
    try o.validate()
    options = o
    net = Conv2d(o.classes, o.channels, kernel: 1)
    Networks.initialize(net, name: "toy", .normal, gain: 0.5, seed: o.seed)
  }

  var networks: [(name: String, module: Module)] { [("toy", net)] }
  var optimizers: [(name: String, optimizer: any Optimizer)] { optimizer.map { [$0] } ?? [] }

  func stage(forEpoch epoch: Int) -> String { epoch <= options.warmupEpochs ? "warmup" : "main" }

  func beginStage(_ stage: String) throws {
    guard ["warmup", "main"].contains(stage) else { throw OptionError("stage", "toy has no stage '\(stage)'") }
    // The main stage steps at a tenth of the rate: a different optimiser, not a different schedule.
    optimizer = (stage, SGD(net.parameters(), lr: stage == "warmup" ? options.lr : options.lr / 10))
    stagesEntered.append(stage)
  }

  func prepare(context: ReplicaContext) throws { group = try context.register(group: "toy", networks: networks) }

  func extraState() -> [(name: String, tensor: Tensor)] { [] }
  func loadExtraState(_ state: [String: Tensor]) throws {}
  func visuals() -> [(name: String, image: Tensor)] { [] }
  func translate(_ x: Tensor, direction: Direction) -> Tensor { noGrad { net(x) } }

  /// (N, 1, H, W) class ids → (N, classes, H, W) one-hot; the don't-care id is all zeros.
  func oneHot(_ label: Tensor) -> Tensor {
    let (n, h, w) = (label.shape[0], label.shape[2], label.shape[3])
    var out = [Float](repeating: 0, count: n * options.classes * h * w)
    for (i, id) in label.scalars.enumerated() where Int(id) < options.classes {
      out[(i / (h * w) * options.classes + Int(id)) * h * w + i % (h * w)] = 1
    }
    return Tensor(out, [n, options.classes, h, w])
  }

  func trainStep(_ batch: TrainingBatch, step: Int, context: ReplicaContext) throws -> [(name: String, value: Double)] {
    guard let group, let optimizer else { preconditionFailure("toy: beginStage and prepare first") }
    group.zeroGradients()
    let loss = l1Loss(net(oneHot(try batch.field("label"))), try batch.field("image"))
    try context.backward(loss, synchronizing: [group])
    optimizer.optimizer.step()
    return [("L1", Double(loss.item))]
  }
}

final class ToyModelTests: XCTestCase {
  var root: URL!
  let catalog = ModelCatalog([ToyDescriptor.self])

  /// 4 label maps (ids 0…2 and the don't-care 255) with images that depend on them, 8×8.
  override func setUpWithError() throws {
    root = URL(fileURLWithPath: try temporaryFolder(self))
    for folder in ["train_label", "train_img"] {
      try FileManager.default.createDirectory(at: root.appendingPathComponent("data/\(folder)"), withIntermediateDirectories: true)
    }
    for k in 0..<4 {
      let ids = (0..<64).map { i -> UInt8 in i % 11 == 0 ? 255 : UInt8((i / 8 + k) % 3) }
      let image = ids.map { $0 == 255 ? UInt8(0) : UInt8(40 + 80 * Int($0)) }
      try ImageFile.writePNG(Image(width: 8, height: 8, channels: 1, pixels: ids),
                             to: root.appendingPathComponent("data/train_label/\(k).png").path)
      try ImageFile.writePNG(Image(width: 8, height: 8, channels: 1, pixels: image),
                             to: root.appendingPathComponent("data/train_img/\(k).png").path)
    }
  }

  func options(name: String) throws -> TrainingOptions {
    var o = try TrainingOptions(model: "toy", catalog: catalog)
    o.dataroot = root.appendingPathComponent("data").path
    o.checkpointsDir = root.appendingPathComponent("ck").path
    (o.name, o.datasetMode, o.preprocess, o.batchSize, o.saveEverySteps, o.keep) = (name, "label_folders", "none", 2, 1, 20)
    return o
  }

  func weights(_ trainer: Trainer) -> [Float] { (trainer.model as! ToyModel).net.parameters().flatMap(\.scalars) }

  /// Two steps through `Trainer`: the model's fields come from the label_folders data set (a label map of class
  /// ids, not normalised, and an image), the step lowers the loss, and the checkpoint records the stage.
  func testTwoStepsOnALabelMapField() throws {
    var o = try options(name: "two")
    o.maxSteps = 2
    let trainer = try Trainer(options: o, context: LocalReplicaContext(), say: { _ in })
    let before = weights(trainer)
    try trainer.run()
    XCTAssertEqual(trainer.step, 2)
    XCTAssertNotEqual(weights(trainer), before)
    XCTAssertEqual(trainer.stage, "warmup")
    XCTAssertEqual((trainer.model as! ToyModel).optimizers.map(\.name), ["warmup"])
    let state = try JSONDecoder().decode(CheckpointState.self, from: Data(contentsOf: root.appendingPathComponent("ck/two/step-00000002/state.json")))
    XCTAssertEqual(state.stage, "warmup")
    XCTAssertEqual(state.model, "toy")
    let decoder = JSONDecoder()
    decoder.userInfo[TrainingOptions.catalogKey] = catalog
    let saved = try decoder.decode(TrainingOptions.self, from: Data(contentsOf: root.appendingPathComponent("ck/two/train_opt.json")))
    XCTAssertEqual(saved.asStrings, o.asStrings)
    XCTAssertEqual(saved.asStrings["toyWarmupEpochs"], "1")
  }

  /// 4 steps, 2 per epoch: epoch 1 in stage warmup, epoch 2 in stage main (another optimiser). Resuming after step
  /// 1 (inside warmup), after step 2 (the checkpoint at the stage boundary, written in warmup) and after step 3
  /// (inside main) ends with the uninterrupted run's weights, bit for bit.
  func testResumingInsideEitherStageEqualsTheUninterruptedRun() throws {
    let full = try Trainer(options: try options(name: "full"), context: LocalReplicaContext(), say: { _ in })
    try full.run()
    XCTAssertEqual(full.step, 4)
    XCTAssertEqual(full.stage, "main")
    XCTAssertEqual((full.model as! ToyModel).stagesEntered, ["warmup", "main"])
    for stop in 1...3 {
      var first = try options(name: "part\(stop)")
      first.maxSteps = stop
      try Trainer(options: first, context: LocalReplicaContext(), say: { _ in }).run()
      var rest = try options(name: "part\(stop)")
      rest.resume = "auto"
      let resumed = try Trainer(options: rest, context: LocalReplicaContext(), say: { _ in })
      try resumed.run()
      XCTAssertEqual(resumed.step, 4, "stopped at \(stop)")
      XCTAssertEqual(weights(resumed), weights(full), "stopped at \(stop)")
      // The checkpoint after step 2 was written at the end of epoch 1, in warmup: the resumed run enters warmup to
      // load its optimiser, then main, as the uninterrupted run did.
      XCTAssertEqual((resumed.model as! ToyModel).stagesEntered, stop <= 2 ? ["warmup", "main"] : ["main"], "stopped at \(stop)")
    }
  }

  /// The trainer matches the model's fields with the data set's: a layout that cannot produce a label map is an
  /// error naming the field and the layout; BtoA needs fields A and B.
  func testAFieldTheDataSetCannotProduceIsNamed() throws {
    var o = try options(name: "mismatch")
    o.datasetMode = "unaligned"
    XCTAssertThrowsError(try Trainer(options: o, context: LocalReplicaContext(), say: { _ in })) { error in
      XCTAssertTrue("\(error)".contains("label") && "\(error)".contains("unaligned"), "\(error)")
    }
    o.datasetMode = "label_folders"
    o.direction = "BtoA"
    XCTAssertThrowsError(try Trainer(options: o, context: LocalReplicaContext(), say: { _ in })) { error in
      XCTAssertTrue("\(error)".contains("--direction"), "\(error)")
    }
  }
}
