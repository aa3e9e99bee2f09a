import Replicas
import Foundation
import XCTest
@testable import Training

/// The loop on one process with a tiny CycleGAN on 4 + 4 embedded images: outputs, schedule and resume refusal.
final class TrainerTests: XCTestCase {
  var root: URL!
  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("i2i-trainer-\(UUID().uuidString)")
    let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../data/fashion-shoes")
    for domain in ["trainA", "trainB"] {
      let folder = root.appendingPathComponent("data/\(domain)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      let names = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent(domain).path).sorted().prefix(4)
      for n in names {
        try FileManager.default.copyItem(at: data.appendingPathComponent("\(domain)/\(n)"), to: folder.appendingPathComponent(n))
      }
    }
  }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

  func options() throws -> TrainingOptions {
    var o = try TrainingOptions(model: "cyclegan")
    o.dataroot = root.appendingPathComponent("data").path
    o.checkpointsDir = root.appendingPathComponent("ck").path
    o.name = "tiny"
    try o.setModelArguments(["--input-nc", "1", "--output-nc", "1", "--ngf", "4", "--ndf", "4", "--netG", "resnet_6blocks"])
    (o.loadSize, o.cropSize, o.batchSize, o.nEpochs, o.nEpochsDecay, o.saveEpochFreq) = (32, 32, 2, 1, 1, 1)
    return o
  }

  func testTwoEpochsWriteCheckpointsLogsAndSamplePages() throws {
    let trainer = try Trainer(options: try options(), context: LocalReplicaContext(), say: { _ in })
    try trainer.run()
    XCTAssertEqual(trainer.step, 4, "2 epochs × 4 images / batch 2")
    let run = root.appendingPathComponent("ck/tiny")
    for file in ["train_opt.json", "train_opt.txt", "loss_log.txt", "loss_log.jsonl", "latest", "web/index.html",
                 "web/images/epoch001_grid.png", "web/images/epoch002_fake_B.png", "step-00000004/net_G_A.safetensors"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), file)
    }
    let state = try CheckpointStore.verify(run.appendingPathComponent("step-00000004"))
    XCTAssertEqual(state.cursorEpoch, 2)
    XCTAssertEqual(state.worldSize, 1)
    let html = try String(contentsOf: run.appendingPathComponent("web/index.html"), encoding: .utf8)
    XCTAssertTrue(html.contains("<svg") && html.contains("epoch002_grid.png"))
  }

  func testLinearScheduleDecaysPerEpochAsTheReference() throws {
    var o = try options()
    (o.nEpochs, o.nEpochsDecay) = (2, 3)
    let policy = try o.learningRatePolicy()
    let rates = (0..<5).map { policy.learningRate(base: 1, step: $0) }
    XCTAssertEqual(rates, [1, 1, 0.75, 0.5, 0.25], "1 − max(0, k + 1 − 2)/4")
  }

  func testAnExistingRunIsNotOverwrittenWithoutResume() throws {
    var o = try options()
    o.maxSteps = 1
    try Trainer(options: o, context: LocalReplicaContext(), say: { _ in }).run()
    XCTAssertThrowsError(try Trainer(options: o, context: LocalReplicaContext(), say: { _ in }).run()) { error in
      XCTAssertTrue("\(error)".contains("--resume auto"), "\(error)")
    }
  }

  func testACropTooSmallForTheDiscriminatorIsAnError() throws {
    var o = try options()
    o.cropSize = 16
    XCTAssertThrowsError(try Trainer(options: o, context: LocalReplicaContext())) { error in
      XCTAssertTrue("\(error)".contains("--crop-size"), "\(error)")
    }
  }

  func testFlagNamesFollowTheReference() throws {
    let o = try options()
    XCTAssertEqual(o.flagName("nEpochsDecay"), "n-epochs-decay")
    XCTAssertEqual(o.flagName("lambdaA"), "lambda-A")
    XCTAssertEqual(o.flagName("inputNC"), "input-nc")
    XCTAssertEqual(o.flagName("netG"), "netG")
  }
}
