import XCTest
import Replicas
import Models
import NN
import Tensors
import TestSupport

/// EnCo end to end on tiny networks and 32×32 random images through a single-process context.
final class EnCoTests: XCTestCase {
  func tiny(_ change: (inout EnCoOptions) -> Void = { _ in }) -> EnCoOptions {
    var o = EnCoOptions()
    (o.ngf, o.ndf, o.numPatches, o.seed, o.flipEquivariance) = (4, 4, 8, 7, false)
    o.loss = .nce  // the tests below that need negatives; byol is covered where named
    change(&o)
    return o
  }

  func batch(_ step: Int, images: Int = 2) -> TrainingBatch {
    var rng = RandomStream(seed: 98, key: [UInt64(step)])
    return TrainingBatch(a: Tensor.uniform([images, 3, 32, 32], low: -1, high: 1, &rng),
                         b: Tensor.uniform([images, 3, 32, 32], low: -1, high: 1, &rng))
  }

  /// A model after dataDependentInitialize and prepare on the first batch.
  func ready(_ options: EnCoOptions, context: ReplicaContext = LocalReplicaContext()) throws -> EnCo {
    let model = try EnCo(options)
    try model.dataDependentInitialize(batch(0), context: context)
    try model.prepare(context: context)
    return model
  }

  func train(_ options: EnCoOptions, steps: Int = 2) throws -> (EnCo, [[(name: String, value: Double)]]) {
    let context = LocalReplicaContext()
    let model = try ready(options, context: context)
    return (model, try (0..<steps).map { try model.trainStep(batch($0), step: $0, context: context) })
  }

  func state(_ model: EnCo) -> [(name: String, tensor: Tensor)] {
    model.networks.flatMap { net in net.module.stateDict().map { ("\(net.name).\($0.name)", $0.tensor.copy()) } }
  }

  func testTwoStepsGiveFiniteLossesAndMoveEveryParameter() throws {
    let before = state(try ready(tiny()))
    let (model, losses) = try train(tiny())
    for step in losses {
      XCTAssertEqual(step.map(\.name), ["G_GAN", "D_real", "D_fake", "G", "NCE", "NCE_Y"])
      for (name, value) in step { XCTAssertTrue(value.isFinite && value > 0, "\(name) = \(value)") }
    }
    let after = state(model)
    XCTAssertEqual(before.map(\.name), after.map(\.name))
    XCTAssertFalse(after.contains { $0.name.hasPrefix("F.prj_") }, "nce: no prediction heads (the v1 code)")
    XCTAssertTrue(after.contains { $0.name == "F.mlp_2.3.weight" })
    let cancelled = cancelledBiasNames(model.networks)
    for (b, a) in zip(before, after) where !a.name.hasSuffix(".filt") {
      if cancelled.contains(a.name) { XCTAssertEqual(b.tensor.scalars, a.tensor.scalars, "\(a.name) moved"); continue }
      XCTAssertNotEqual(b.tensor.scalars, a.tensor.scalars, "\(a.name) did not change")
    }
    XCTAssertEqual(model.f.projectors[0].stateDict().first { $0.name == "1.num_batches_tracked" }?.tensor.item, 4,
                   "each step runs the projector's batch norm once on the queries and once on the keys")
    XCTAssertTrue(model.d.parameters().allSatisfy(\.requiresGrad), "D left frozen")
    XCTAssertEqual(model.networks.map(\.name), ["G", "D", "F"])
    XCTAssertEqual(model.optimizers.map(\.name), ["G", "D", "F"])
    XCTAssertEqual(model.visuals().map(\.name), ["real_A", "fake_B", "real_B", "idt_B", "cam_fake", "cam_real"])
    XCTAssertTrue(model.visuals().allSatisfy { !$0.image.requiresGrad })
    XCTAssertEqual(model.visuals().map { $0.image.shape[1] }, [3, 3, 3, 3, 1, 1])
    XCTAssertEqual(model.visuals().last!.image.shape, [2, 1, 32, 32])
    XCTAssertEqual(model.trainingStatistics().map(\.name), ["negatives_per_query"])
    XCTAssertEqual(model.trainingStatistics()[0].value, 7)  // 8 patches of the same image, less the positive
    XCTAssertTrue(EnCoDescriptor.dataPolicy.loadsAtCropSizeWhileDecaying && EnCoDescriptor.dataPolicy.dropLast)
    XCTAssertTrue(model.extraState().isEmpty)
  }

  /// The step-0 losses rebuilt from the initial networks and the public pieces: D's losses on the initial G and D;
  /// G_GAN and DAG's attention from the D after its update; content and identity terms as the summary writes them.
  func expectedFirstStep(_ o: EnCoOptions) throws -> (losses: [String: Double], expected: [String: Double]) {
    let initial = try ready(o)
    let (model, losses) = try train(o, steps: 1)
    let (realA, realB) = (try batch(0).field("A"), try batch(0).field("B"))
    let gan = GANLoss(mode: .lsgan), context = LocalReplicaContext()
    return try noGrad {
      let (fake, all) = initial.g(Tensor.concat([realA, realB], axis: 0), features: o.nceLayers)
      let fakeB = fake.narrow(axis: 0, start: 0, length: 2), idtB = fake.narrow(axis: 0, start: 2, length: 2)
      let features = all.map { $0.narrow(axis: 0, start: 0, length: 2) }
      let scores = model.d(fakeB)
      let pairs = o.nceLayers.count / 2
      let decoder = Array(features.suffix(pairs).reversed()), encoder = Array(features.prefix(pairs))
      let sampler = DAGSampler(numPatches: o.numPatches, oversampleRatio: o.oversampleRatio, randomRatio: o.randomRatio)
      let ids = decoder.enumerated().map { p, q in
        sampler.patchIds(scores: scores, height: q.shape[2], width: q.shape[3], seed: o.seed,
                         key: [ModelRandomPurpose.dagSample.rawValue, 0, UInt64(p)], firstImage: 0)
      }
      let q = try initial.f(decoder, patchIds: ids, predict: o.usesPredictor, context: context)
      let k = try initial.f(encoder, patchIds: ids, predict: false, context: context)
      var sum = 0.0
      for p in 0..<pairs {
        switch o.loss {
        case .nce:
          sum += Double(try PatchNCELoss(temperature: o.nceT, negatives: o.negatives)(
            query: q[p], key: k[p], images: 2, context: context).item) / Double(2 * pairs)
        case .byol:
          sum += Double(byolLoss(query: q[p], key: k[p]).item) / Double(pairs)
        }
      }
      let content = Double(o.lambdaNCE) * sum, identity = Double(o.lambdaIDT * l1Loss(idtB, realB).item)
      let ganG = Double(gan(scores, targetIsReal: true).item)
      let expected = ["D_fake": Double(gan(initial.d(fakeB), targetIsReal: false).item),
                      "D_real": Double(gan(initial.d(realB), targetIsReal: true).item),
                      "G_GAN": ganG, "content": content, "identity": identity,
                      "G": ganG + 0.5 * (content + identity)]
      return (Dictionary(uniqueKeysWithValues: losses[0].map { ($0.name, $0.value) }), expected)
    }
  }

  func testFirstStepLossesFollowTheReference() throws {
    for loss in [EnCoLossKind.nce, .byol] {
      let (l, e) = try expectedFirstStep(tiny { $0.loss = loss })
      let name = loss == .nce ? "NCE" : "BYOL"
      for (key, expected) in [("D_fake", "D_fake"), ("D_real", "D_real"), ("G_GAN", "G_GAN"), (name, "content"),
                              (name + "_Y", "identity"), ("G", "G")] {
        XCTAssertEqual(l[key]!, e[expected]!, accuracy: 1e-5 * max(1, abs(e[expected]!)), "\(loss): \(key)")
      }
    }
  }

  /// After `stopIdtEpochs` G sees A only, the identity term is 0 and the content weight is no longer halved.
  func testIdentityBranchStopsAfterItsEpoch() throws {
    let o = tiny { $0.stopIdtEpochs = 3 }
    let context = LocalReplicaContext()
    let model = try ready(o, context: context)
    try model.beginEpoch(3, context: LocalReplicaContext())
    XCTAssertTrue(model.identityIsActive)
    try model.beginEpoch(4, context: LocalReplicaContext())
    XCTAssertFalse(model.identityIsActive)
    let step = try model.trainStep(batch(0), step: 0, context: context)
    let l = Dictionary(uniqueKeysWithValues: step.map { ($0.name, $0.value) })
    XCTAssertEqual(l["NCE_Y"], 0)
    XCTAssertEqual(l["G"]!, l["G_GAN"]! + l["NCE"]!, accuracy: 1e-6)
    XCTAssertEqual(model.visuals().map(\.name), ["real_A", "fake_B", "real_B", "cam_fake", "cam_real"])
    var off = tiny()
    off.nceIdt = false
    let (plain, losses) = try train(off, steps: 1)
    XCTAssertEqual(losses[0].map(\.name), ["G_GAN", "D_real", "D_fake", "G", "NCE"])
    XCTAssertFalse(plain.identityIsActive)
  }

  /// `--flip-equivariance`: every A and every B image is shown as it is or mirrored, each by its own coin.
  /// The official `set_input`: the A batch and, by another coin, the B batch are mirrored whole, each with
  /// probability ½ per step.
  func testEachDomainsBatchIsMirroredWholeByItsOwnCoin() throws {
    let o = tiny { $0.flipEquivariance = true }
    let context = LocalReplicaContext()
    let model = try ready(o, context: context)
    var outcomes: Set<[Bool]> = []
    for step in 0..<8 {
      _ = try model.trainStep(batch(step), step: step, context: context)
      let shown = Dictionary(uniqueKeysWithValues: model.visuals().map { ($0.name, $0.image) })
      var coins: [Bool] = []
      for field in ["A", "B"] {
        let given = try batch(step).field(field), image = shown["real_" + field]!
        let mirrored = image.scalars == given.flip(axis: 3).scalars
        XCTAssertTrue(mirrored || image.scalars == given.scalars, "step \(step): real_\(field) is neither the batch nor its mirror")
        coins.append(mirrored)
      }
      outcomes.insert(coins)
    }
    XCTAssertGreaterThan(outcomes.count, 2, "A and B should be flipped by independent coins")
  }

  /// On one process the global batch is the local one: `global` negatives give exactly what `batch` gives.
  func testGlobalNegativesEqualBatchNegativesOnALocalContext() throws {
    func run(_ negatives: NegativeSource) throws -> (EnCo, [Double]) {
      let (model, losses) = try train(tiny { $0.negatives = negatives })
      return (model, losses.joined().map(\.value))
    }
    let (batchModel, batchLosses) = try run(.batch)
    let (globalModel, globalLosses) = try run(.global)
    XCTAssertEqual(globalLosses, batchLosses)
    for (p, q) in zip(state(globalModel), state(batchModel)) {
      XCTAssertEqual(p.tensor.scalars, q.tensor.scalars, p.name)
    }
    XCTAssertEqual(globalModel.trainingStatistics()[0].value, 15)  // 2 images × 8 patches, less the positive
    XCTAssertNotEqual(try run(.image).1, batchLosses)
  }

  /// `--decay-idt`: λ_IDT·(total − epoch)/total, as the official code decays it; constant otherwise.
  func testIdentityWeightDecaysWithTheEpochWhenAsked() throws {
    let model = try EnCo(tiny { ($0.decayIdt, $0.totalEpochs, $0.lambdaIDT) = (true, 200, 10) })
    try model.beginEpoch(50, context: LocalReplicaContext())
    XCTAssertEqual(model.identityWeight, 7.5, accuracy: 1e-6)
    let constant = try EnCo(tiny { $0.lambdaIDT = 10 })
    try constant.beginEpoch(50, context: LocalReplicaContext())
    XCTAssertEqual(constant.identityWeight, 10)
  }

  func testHeadVariantsTrain() throws {
    for change in [{ (o: inout EnCoOptions) in o.prjNorm = .layer }, { $0.prjNorm = .none },
                   { $0.noPredictor = true }, { $0.loss = .byol }] {
      let (model, losses) = try train(tiny(change), steps: 1)
      XCTAssertTrue(losses[0].allSatisfy { $0.value.isFinite }, "\(model.options.prjNorm) \(model.options.loss)")
      XCTAssertEqual(model.f.predictors.isEmpty, !model.options.usesPredictor)
      XCTAssertEqual(model.options.usesPredictor, model.options.loss == .byol && !model.options.noPredictor,
                     "nce has no prediction head (the v1 code), byol has one unless --no-predictor")
    }
    XCTAssertEqual(try train(tiny { $0.loss = .byol }, steps: 1).0.trainingStatistics()[0].value, 0)
  }

  func testTwoRunsWithTheSameSeedAreBitIdentical() throws {
    let (m1, l1) = try train(tiny())
    let (m2, l2) = try train(tiny())
    XCTAssertEqual(l1.flatMap { $0.map(\.value) }, l2.flatMap { $0.map(\.value) })
    for (p, q) in zip(state(m1), state(m2)) {
      XCTAssertEqual(p.tensor.scalars.map(\.bitPattern), q.tensor.scalars.map(\.bitPattern), p.name)
    }
  }

  /// The reference networks at full size (spec §4.2–4.4): G and D as CUT's, F with 312,832 + 3 × 66,048 parameters.
  func testFullSizeNetworksHaveTheReferenceCounts() throws {
    let model = try EnCo(EnCoOptions())
    XCTAssertEqual(model.optimizers.map(\.name), ["G", "D"])
    let zeros = Tensor(zeros: [1, 3, 16, 16])
    try model.dataDependentInitialize(TrainingBatch(a: zeros, b: zeros), context: LocalReplicaContext())
    XCTAssertEqual(model.g.parameterCount, 11_378_179)
    XCTAssertEqual(model.d.parameterCount, 2_764_737)
    XCTAssertEqual(model.f.parameterCount, 312_832 + 3 * 66_048)
    XCTAssertEqual(model.f.projectors.map { $0.parameters()[0].shape }, [[256, 64], [256, 128], [256, 256]])
    XCTAssertEqual(model.optimizers.map(\.name), ["G", "D", "F"])
    let optimizers = Dictionary(uniqueKeysWithValues: model.optimizers.map { ($0.name, $0.optimizer) })
    XCTAssertEqual(optimizers["F"]?.groups.map(\.lr), [5e-5])
    XCTAssertEqual(optimizers["D"]?.groups.map(\.lr), [2e-4])
    XCTAssertEqual(model.translate(zeros, direction: .aToB).shape, [1, 3, 16, 16])
  }

  func testOptionChecksNameTheOption() throws {
    func message(_ change: (inout EnCoOptions) -> Void) -> String {
      do { _ = try ready(tiny(change)); return "accepted" } catch { return "\(error)" }
    }
    XCTAssertTrue(message { $0.nceLayers = [3, 7, 28] }.hasPrefix("--nce-layers: EnCo pairs"))
    XCTAssertTrue(message { $0.nceLayers = [28, 3] }.hasPrefix("--nce-layers: the layers must increase"))
    XCTAssertTrue(message { $0.nceLayers = [3, 32] }.hasPrefix("--nce-layers: index 32"))
    XCTAssertEqual(message { $0.nceLayers = [3, 24] },
                   "--nce-layers: layers 3 and 24 are paired but give features of shapes [4, 32, 32] and [8, 16, 16]")
    XCTAssertEqual(message { $0.nceLayers = [7, 24] }, "accepted")
    XCTAssertTrue(message { ($0.loss, $0.negatives) = (.byol, .global) }.hasPrefix("--negatives"))
    XCTAssertTrue(message { $0.randomRatio = 2 }.hasPrefix("--random-ratio"))
    XCTAssertTrue(message { $0.outputNC = 1 }.hasPrefix("--nce-idt"))
    XCTAssertEqual(EnCoOptions().layerPairs.map { [$0.encoder, $0.decoder] }, [[3, 28], [7, 24], [13, 18]])
  }
}
