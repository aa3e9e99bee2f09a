import XCTest
import Replicas
import Models
import NN
import Tensors
import TestSupport

/// CycleGAN end to end on tiny networks and 32×32 random images through a single-process context.
final class CycleGANTests: XCTestCase {
  func tinyOptions(seed: UInt64 = 7) -> CycleGANOptions {
    var o = CycleGANOptions()
    (o.ngf, o.ndf, o.netG, o.seed) = (4, 4, .resnet6Blocks, seed)
    return o
  }

  /// Two steps on fixed random images; returns the model and each step's losses.
  func train(_ options: CycleGANOptions, steps: Int = 2) throws -> (CycleGAN, [[(name: String, value: Double)]]) {
    let model = try CycleGAN(options)
    let context = LocalReplicaContext()
    try model.prepare(context: context)
    var rng = RandomStream(seed: 99)
    var losses: [[(name: String, value: Double)]] = []
    for step in 0..<steps {
      let a = Tensor.uniform([1, 3, 32, 32], low: -1, high: 1, &rng)
      let b = Tensor.uniform([1, 3, 32, 32], low: -1, high: 1, &rng)
      losses.append(try model.trainStep(TrainingBatch(a: a, b: b), step: step, context: context))
    }
    return (model, losses)
  }

  func parameters(_ model: CycleGAN) -> [(name: String, tensor: Tensor)] {
    model.networks.flatMap { net in net.module.namedParameters().map { ("\(net.name).\($0.name)", $0.tensor.copy()) } }
  }

  func testTwoStepsGiveFiniteLossesAndMoveEveryParameter() throws {
    let before = parameters(try CycleGAN(tinyOptions()))
    let (model, losses) = try train(tinyOptions())
    for step in losses {
      XCTAssertEqual(step.map(\.name), ["D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"])
      for (name, value) in step { XCTAssertTrue(value.isFinite && value > 0, "\(name) = \(value)") }
    }
    let after = parameters(model)
    let cancelled = cancelledBiasNames(model.networks)
    XCTAssertEqual(cancelled.count, 2 * 17 + 2 * 3, "per generator: c7s1, 2 down, 6 blocks × 2, 2 up; per PatchGAN 3")
    assertEveryParameterMoved(before: before, after: after, except: cancelled)
    for (name, net) in model.networks {
      XCTAssertTrue(net.parameters().allSatisfy(\.requiresGrad), "\(name) left frozen")
    }
    XCTAssertEqual(model.visuals().map(\.name), ["real_A", "fake_B", "rec_A", "idt_B", "real_B", "fake_A", "rec_B", "idt_A"])
    XCTAssertTrue(model.visuals().allSatisfy { $0.image.shape == [1, 3, 32, 32] && !$0.image.requiresGrad })
  }

  func testCycleAndIdentityLossesCarryTheirWeights() throws {
    var o = tinyOptions()
    (o.lambdaA, o.lambdaB, o.lambdaIdentity) = (10, 10, 0.5)
    let (model, losses) = try train(o, steps: 1)
    let v = Dictionary(uniqueKeysWithValues: model.visuals().map { ($0.name, $0.image) })
    let l = Dictionary(uniqueKeysWithValues: losses[0].map { ($0.name, $0.value) })
    XCTAssertEqual(l["cycle_A"]!, 10 * Double(l1Loss(v["rec_A"]!, v["real_A"]!).item), accuracy: 1e-5)
    XCTAssertEqual(l["cycle_B"]!, 10 * Double(l1Loss(v["rec_B"]!, v["real_B"]!).item), accuracy: 1e-5)
    XCTAssertEqual(l["idt_A"]!, 5 * Double(l1Loss(v["idt_A"]!, v["real_B"]!).item), accuracy: 1e-5)
    XCTAssertEqual(l["idt_B"]!, 5 * Double(l1Loss(v["idt_B"]!, v["real_A"]!).item), accuracy: 1e-5)
  }

  /// Step 0's losses are those of the initial networks: the D losses use fakes made before the G update, judged by
  /// the D weights before their own update (and the filling pools return the fakes themselves).
  func testFirstStepLossesAreThoseOfTheInitialNetworks() throws {
    let initial = try CycleGAN(tinyOptions())
    let (model, losses) = try train(tinyOptions(), steps: 1)
    let v = Dictionary(uniqueKeysWithValues: model.visuals().map { ($0.name, $0.image) })
    let (realA, realB) = (v["real_A"]!, v["real_B"]!)
    let gan = GANLoss(mode: .lsgan)
    let expected: [String: Float] = noGrad {
      let fakeB = initial.gA(realA), fakeA = initial.gB(realB)
      return [
        "D_A": 0.5 * (gan(initial.dA(realB), targetIsReal: true).item + gan(initial.dA(fakeB), targetIsReal: false).item),
        "G_A": gan(initial.dA(fakeB), targetIsReal: true).item,
        "cycle_A": 10 * l1Loss(initial.gB(fakeB), realA).item,
        "idt_A": 5 * l1Loss(initial.gA(realB), realB).item,
        "D_B": 0.5 * (gan(initial.dB(realA), targetIsReal: true).item + gan(initial.dB(fakeA), targetIsReal: false).item),
        "G_B": gan(initial.dB(fakeA), targetIsReal: true).item,
        "cycle_B": 10 * l1Loss(initial.gA(fakeA), realB).item,
        "idt_B": 5 * l1Loss(initial.gB(realA), realA).item,
      ]
    }
    for (name, value) in losses[0] { XCTAssertEqual(value, Double(expected[name]!), accuracy: 1e-5, name) }
  }

  func testNoIdentityLossWhenLambdaIdentityIsZero() throws {
    var o = tinyOptions()
    o.lambdaIdentity = 0
    let (model, losses) = try train(o, steps: 1)
    XCTAssertEqual(losses[0].map(\.name), ["D_A", "G_A", "cycle_A", "D_B", "G_B", "cycle_B"])
    XCTAssertEqual(model.visuals().map(\.name), ["real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B"])
  }

  /// Batch norm, the vanilla GAN loss, dropout, xavier init and a 2-layer PatchGAN train too, repeatably.
  func testOtherOptionsTrainRepeatably() throws {
    var o = tinyOptions()
    (o.norm, o.ganMode, o.noDropout, o.initType, o.netD, o.nLayersD) = (.batch, .vanilla, false, .xavier, .nLayers, 2)
    let (model, first) = try train(o)
    let (_, second) = try train(o)
    XCTAssertTrue(first.joined().allSatisfy { $0.value.isFinite })
    XCTAssertEqual(first.joined().map(\.value), second.joined().map(\.value))
    XCTAssertEqual(model.gA.namedModules().filter { $0.module is Dropout }.count, 6)
    XCTAssertNotNil(model.dA.module(at: "model.3") as? BatchNorm2d)
  }

  func testTwoRunsWithTheSameSeedAreBitIdentical() throws {
    let (m1, l1) = try train(tinyOptions(seed: 5))
    let (m2, l2) = try train(tinyOptions(seed: 5))
    XCTAssertEqual(l1.flatMap { $0.map(\.value) }, l2.flatMap { $0.map(\.value) })
    for (p, q) in zip(parameters(m1), parameters(m2)) {
      XCTAssertEqual(p.tensor.scalars.map(\.bitPattern), q.tensor.scalars.map(\.bitPattern), p.name)
    }
    let (m3, _) = try train(tinyOptions(seed: 6), steps: 0)
    XCTAssertNotEqual(parameters(m1)[0].tensor.scalars, parameters(m3)[0].tensor.scalars)
  }

  func testExtraStateHoldsThePoolsAndRoundTrips() throws {
    let (model, _) = try train(tinyOptions())
    let state = model.extraState()
    XCTAssertEqual(state.map(\.name), ["fake_A_pool.count", "fake_A_pool.images", "fake_B_pool.count", "fake_B_pool.images"])
    XCTAssertEqual(state[1].tensor.shape, [2, 3, 32, 32])
    let fresh = try CycleGAN(tinyOptions())
    try fresh.loadExtraState(Dictionary(uniqueKeysWithValues: state.map { ($0.name, $0.tensor) }))
    XCTAssertEqual(fresh.fakeBPool.images.map(\.scalars), model.fakeBPool.images.map(\.scalars))
    XCTAssertThrowsError(try fresh.loadExtraState(["pool.count": Tensor(scalar: 0)]))
  }

  func testTranslateAndOptionChecks() throws {
    let model = try CycleGAN(tinyOptions())
    let x = Tensor(zeros: [2, 3, 16, 16])
    XCTAssertEqual(model.translate(x, direction: .aToB).shape, [2, 3, 16, 16])
    XCTAssertFalse(model.translate(x, direction: .bToA).requiresGrad)
    XCTAssertEqual(model.networks.map(\.name), ["G_A", "G_B", "D_A", "D_B"])
    var o = tinyOptions()
    o.outputNC = 1
    XCTAssertThrowsError(try CycleGAN(o)) { XCTAssertTrue("\($0)".hasPrefix("--lambda-identity"), "\($0)") }
    o.lambdaIdentity = 0
    let gray = try CycleGAN(o)
    XCTAssertEqual(gray.translate(x, direction: .aToB).shape, [2, 1, 16, 16])
  }
}
