import XCTest
import Replicas
import Models
import NN
import Tensors
import TestSupport

/// CUT and FastCUT end to end on tiny networks and 32×32 random images through a single-process context.
final class CUTTests: XCTestCase {
  func tiny(_ base: CUTOptions = CUTOptions(), seed: UInt64 = 7) -> CUTOptions {
    var o = base
    (o.ngf, o.ndf, o.netG, o.numPatches, o.seed) = (4, 4, .resnet6Blocks, 16, seed)
    return o
  }

  func batch(_ step: Int, images: Int = 2) -> TrainingBatch {
    var rng = RandomStream(seed: 99, key: [UInt64(step)])
    return TrainingBatch(a: Tensor.uniform([images, 3, 32, 32], low: -1, high: 1, &rng),
                         b: Tensor.uniform([images, 3, 32, 32], low: -1, high: 1, &rng))
  }

  /// A model after dataDependentInitialize and prepare on the first batch.
  func ready(_ options: CUTOptions, context: ReplicaContext = LocalReplicaContext()) throws -> CUT {
    let model = try CUT(options)
    try model.dataDependentInitialize(batch(0), context: context)
    try model.prepare(context: context)
    return model
  }

  func train(_ options: CUTOptions, steps: Int = 2, first: Int = 0) throws -> (CUT, [[(name: String, value: Double)]]) {
    let context = LocalReplicaContext()
    let model = try ready(options, context: context)
    let losses = try (first..<first + steps).map { try model.trainStep(batch($0), step: $0, context: context) }
    return (model, losses)
  }

  func parameters(_ model: CUT) -> [(name: String, tensor: Tensor)] {
    model.networks.flatMap { net in net.module.namedParameters().map { ("\(net.name).\($0.name)", $0.tensor.copy()) } }
  }

  func testTwoStepsGiveFiniteLossesAndMoveEveryParameter() throws {
    let before = parameters(try ready(tiny()))
    let (model, losses) = try train(tiny())
    for step in losses {
      XCTAssertEqual(step.map(\.name), ["G_GAN", "D_real", "D_fake", "G", "NCE", "NCE_Y"])
      for (name, value) in step { XCTAssertTrue(value.isFinite && value > 0, "\(name) = \(value)") }
    }
    let after = parameters(model)
    XCTAssertTrue(after.contains { $0.name == "F.mlp_4.2.weight" })
    assertEveryParameterMoved(before: before, after: after, except: cancelledBiasNames(model.networks))
    XCTAssertTrue(model.d.parameters().allSatisfy(\.requiresGrad), "D left frozen")
    XCTAssertEqual(model.networks.map(\.name), ["G", "D", "F"])
    XCTAssertEqual(model.optimizers.map(\.name), ["G", "D", "F"])
    XCTAssertEqual(model.visuals().map(\.name), ["real_A", "fake_B", "real_B", "idt_B"])
    XCTAssertTrue(model.visuals().allSatisfy { $0.image.shape == [2, 3, 32, 32] && !$0.image.requiresGrad })
    XCTAssertEqual(model.trainingStatistics().map(\.name), ["negatives_per_query"])
    XCTAssertEqual(model.trainingStatistics()[0].value, 15)  // 16 patches of the same image, less the positive
    XCTAssertTrue(CUTDescriptor.dataPolicy.loadsAtCropSizeWhileDecaying && CUTDescriptor.dataPolicy.dropLast)
    XCTAssertTrue(model.extraState().isEmpty)
  }

  /// NCE(source, target) from the given networks, written out from the public pieces.
  func expectedNCE(_ g: ResnetGenerator, _ f: PatchSampleF, _ o: CUTOptions, source: Tensor, target: Tensor,
                   flipped: Bool, term: UInt64, step: Int) throws -> Double {
    try noGrad {
      var q = g.encode(target, layers: o.nceLayers)
      if flipped { q = q.map { $0.flip(axis: 3) } }
      let k = g.encode(source, layers: o.nceLayers)
      let ids = PatchSampleF.patchIds(for: k, numPatches: o.numPatches, seed: o.seed,
                                      key: [ModelRandomPurpose.patchSample.rawValue, UInt64(step), term])
      let (fq, fk) = (f(q, patchIds: ids), f(k, patchIds: ids))
      let loss = PatchNCELoss(temperature: o.nceT, negatives: o.negatives)
      var total = 0.0
      for l in ids.indices {
        total += Double(try loss(query: fq[l], key: fk[l], images: source.shape[0], context: LocalReplicaContext()).item)
      }
      return Double(o.lambdaNCE) * total / Double(ids.count)
    }
  }

  /// Step 0: the D losses and both NCE terms are those of the initial G, D and F; G_GAN is judged by the D after its
  /// update; G = G_GAN + ½(NCE + NCE_Y).
  func testFirstStepLossesFollowTheReferenceOrder() throws {
    let o = tiny()
    let initial = try ready(o)
    let (model, losses) = try train(o, steps: 1)
    let l = Dictionary(uniqueKeysWithValues: losses[0].map { ($0.name, $0.value) })
    let (realA, realB) = (try batch(0).field("A"), try batch(0).field("B"))
    let gan = GANLoss(mode: .lsgan)
    let fake = noGrad { initial.g(Tensor.concat([realA, realB], axis: 0)) }
    let fakeB = fake.narrow(axis: 0, start: 0, length: 2), idtB = fake.narrow(axis: 0, start: 2, length: 2)
    XCTAssertEqual(l["D_fake"]!, Double(noGrad { gan(initial.d(fakeB), targetIsReal: false).item }), accuracy: 1e-6)
    XCTAssertEqual(l["D_real"]!, Double(noGrad { gan(initial.d(realB), targetIsReal: true).item }), accuracy: 1e-6)
    XCTAssertEqual(l["G_GAN"]!, Double(noGrad { gan(model.d(fakeB), targetIsReal: true).item }), accuracy: 1e-6)
    XCTAssertNotEqual(l["G_GAN"]!, Double(noGrad { gan(initial.d(fakeB), targetIsReal: true).item }))
    let nceX = try expectedNCE(initial.g, initial.f, o, source: realA, target: fakeB, flipped: false, term: 0, step: 0)
    let nceY = try expectedNCE(initial.g, initial.f, o, source: realB, target: idtB, flipped: false, term: 1, step: 0)
    XCTAssertEqual(l["NCE"]!, nceX, accuracy: 1e-5)
    XCTAssertEqual(l["NCE_Y"]!, nceY, accuracy: 1e-5)
    XCTAssertEqual(l["G"]!, l["G_GAN"]! + 0.5 * (nceX + nceY), accuracy: 1e-5)
  }

  /// FastCUT: no identity term, λ_NCE = 10, and on the steps whose coin flips, G sees the mirrored batch and its
  /// features are mirrored back before meeting the source's.
  func testFastCUTFlipsWholeBatchesAndMirrorsFeaturesBack() throws {
    let o = tiny(.fastCUT)
    var seen: Set<Bool> = []
    for step in 0..<6 {
      let initial = try ready(o)
      let context = LocalReplicaContext()
      let model = try ready(o, context: context)
      let losses = try model.trainStep(batch(step), step: step, context: context)
      XCTAssertEqual(losses.map(\.name), ["G_GAN", "D_real", "D_fake", "G", "NCE"])
      let realA = try batch(step).field("A")
      let shown = model.visuals().first { $0.name == "fake_B" }!.image.scalars
      let plain = noGrad { initial.g(realA) }, mirrored = noGrad { initial.g(realA.flip(axis: 3)) }
      let flipped = shown == mirrored.scalars
      XCTAssertTrue(flipped || shown == plain.scalars, "step \(step): fake_B is neither G(A) nor G(flip A)")
      seen.insert(flipped)
      let nce = try expectedNCE(initial.g, initial.f, o, source: realA, target: flipped ? mirrored : plain,
                                flipped: flipped, term: 0, step: step)
      XCTAssertEqual(losses[3].value, losses[0].value + nce, accuracy: 1e-4)
      XCTAssertEqual(losses[4].value, nce, accuracy: 1e-4, "step \(step)")
    }
    XCTAssertEqual(seen, [false, true], "six steps should see both sides of the coin")
  }

  /// On one process the global batch is the local one: `global` gives exactly what `batch` gives, and both differ
  /// from per-image negatives.
  func testGlobalNegativesEqualBatchNegativesOnALocalContext() throws {
    func run(_ negatives: NegativeSource) throws -> (CUT, [Double]) {
      var o = tiny()
      o.negatives = negatives
      let (model, losses) = try train(o)
      return (model, losses.joined().map(\.value))
    }
    let (batchModel, batchLosses) = try run(.batch)
    let (globalModel, globalLosses) = try run(.global)
    XCTAssertEqual(globalLosses, batchLosses)
    for (p, q) in zip(parameters(globalModel), parameters(batchModel)) {
      XCTAssertEqual(p.tensor.scalars, q.tensor.scalars, p.name)
    }
    XCTAssertEqual(globalModel.trainingStatistics()[0].value, 31)  // 2 images × 16 patches, less the positive
    XCTAssertNotEqual(try run(.image).1, batchLosses)
  }

  func testTwoRunsWithTheSameSeedAreBitIdentical() throws {
    let (m1, l1) = try train(tiny(seed: 5))
    let (m2, l2) = try train(tiny(seed: 5))
    XCTAssertEqual(l1.flatMap { $0.map(\.value) }, l2.flatMap { $0.map(\.value) })
    for (p, q) in zip(parameters(m1), parameters(m2)) {
      XCTAssertEqual(p.tensor.scalars.map(\.bitPattern), q.tensor.scalars.map(\.bitPattern), p.name)
    }
    let f6 = try ready(tiny(seed: 6)).f.heads[0].parameters()[0], f5 = try ready(tiny(seed: 5)).f.heads[0].parameters()[0]
    XCTAssertNotEqual(f6.scalars, f5.scalars)
  }

  /// The reference networks at full size: keys and parameter counts of net_G, net_D and net_F (spec §3.3–3.5).
  func testFullSizeNetworksHaveTheReferenceKeysAndCounts() throws {
    let model = try CUT(CUTOptions())
    XCTAssertTrue(model.f.parameters().isEmpty)
    XCTAssertEqual(model.optimizers.map(\.name), ["G", "D"])
    try model.dataDependentInitialize(TrainingBatch(a: Tensor(zeros: [1, 3, 16, 16]), b: Tensor(zeros: [1, 3, 16, 16])),
                                      context: LocalReplicaContext())
    XCTAssertEqual(model.g.parameterCount, 11_378_179)
    XCTAssertEqual(model.d.parameterCount, 2_764_737)
    XCTAssertEqual(model.f.parameterCount, 560_384)
    XCTAssertEqual(model.f.heads.map { $0.parameters()[0].shape }, [[256, 3], [256, 128], [256, 256], [256, 256], [256, 256]])
    XCTAssertEqual(model.optimizers.map(\.name), ["G", "D", "F"])
    XCTAssertEqual(model.d.namedBuffers().map(\.name), ["model.2.filt", "model.6.filt", "model.10.filt"])
    XCTAssertEqual(model.g.namedBuffers().map(\.name), ["model.7.filt", "model.11.filt", "model.21.filt", "model.25.filt"])
    XCTAssertEqual(model.translate(Tensor(zeros: [1, 3, 16, 16]), direction: .aToB).shape, [1, 3, 16, 16])
  }

  func testOptionChecksNameTheOption() throws {
    func message(_ change: (inout CUTOptions) -> Void) -> String {
      var o = tiny()
      change(&o)
      do { _ = try CUT(o); return "accepted" } catch { return "\(error)" }
    }
    XCTAssertEqual(message { $0.nceLayers = [0, 4, 29] }, "--nce-layers: index 29 is not a layer of resnet_6blocks (0…28)")
    XCTAssertEqual(message { $0.nceLayers = [28] }, "accepted")
    XCTAssertTrue(message { $0.nceLayers = [4, 4] }.hasPrefix("--nce-layers"))
    XCTAssertTrue(message { $0.outputNC = 1 }.hasPrefix("--nce-idt"))
    XCTAssertTrue(message { $0.numPatches = 0 }.hasPrefix("--num-patches"))
    XCTAssertTrue(message { $0.nceT = 0 }.hasPrefix("--nce-T"))
    XCTAssertEqual(message { ($0.nceLayers, $0.noAntialias, $0.noAntialiasUp) = ([23], true, true) }, "accepted")
    XCTAssertEqual(try CUTOptions.parseLayers("0, 4,8"), [0, 4, 8])
    XCTAssertThrowsError(try CUTOptions.parseLayers("0,,8")) { XCTAssertTrue("\($0)".hasPrefix("--nce-layers")) }
    let fast = CUTOptions.fastCUT
    XCTAssertEqual([fast.lambdaNCE], [10])
    XCTAssertFalse(fast.nceIdt)
    XCTAssertTrue(fast.flipEquivariance)
  }
}
