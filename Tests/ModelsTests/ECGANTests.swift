import XCTest
import Replicas
import Models
import NN
import Tensors
import TestSupport

/// ECGAN's label input, its step against a hand-written oracle of the official objective, and its descriptor.
final class ECGANTests: XCTestCase {
  /// Tiny networks: 3 classes, 16×16 maps (the generator starts at 8×8 with one up block).
  func tiny(_ optimizer: OptimizerKind = .adam) -> ECGANOptions {
    var o = ECGANOptions()
    (o.labelNC, o.ngf, o.upBlocks, o.spadeHidden, o.headChannels) = (3, 4, 1, 8, [4, 4, 4])
    (o.ndf, o.nLayersD, o.numD, o.optimizer, o.seed) = (4, 2, 2, optimizer, 5)
    return o
  }

  func batch(_ step: Int, images: Int = 2, classes: Int = 3) -> TrainingBatch {
    var rng = RandomStream(seed: 41, key: [UInt64(step)])
    let ids = (0..<images * 16 * 16).map { _ in Float(Int(rng.nextFloat() * Float(classes)) % classes) }
    let edges = (0..<images * 16 * 16).map { _ in rng.nextFloat() < 0.2 ? Float(1) : 0 }
    return TrainingBatch(["label": Tensor(ids, [images, 1, 16, 16]),
                          "image": Tensor.uniform([images, 3, 16, 16], low: -1, high: 1, &rng),
                          "edge": Tensor(edges, [images, 1, 16, 16])])
  }

  func ready(_ o: ECGANOptions, context: ReplicaContext) throws -> ECGAN {
    let model = try ECGAN(o)
    try model.prepare(context: context)
    return model
  }

  // MARK: label input

  func testOneHotPutsDontCareAfterTheClassesAndNamesABadID() throws {
    let label = Tensor([0, 2, 255, 3], [1, 1, 2, 2])
    let oneHot = try SemanticLabels.oneHot(label, labelNC: 3, dontCare: true)
    XCTAssertEqual(oneHot.shape, [1, 4, 2, 2])
    // Channel c holds 1 where the id is c; 255 and the shifted unknown (3 = labelNC) both land in channel 3.
    XCTAssertEqual(oneHot.scalars, [1, 0, 0, 0, /**/ 0, 0, 0, 0, /**/ 0, 1, 0, 0, /**/ 0, 0, 1, 1])
    XCTAssertThrowsError(try SemanticLabels.oneHot(label, labelNC: 3, dontCare: false)) { error in
      XCTAssertTrue("\(error)".contains("--contain-dontcare-label"), "\(error)")
    }
  }

  func testInstanceEdgesMarkBothPixelsOfEveryDifferingFourNeighbourPair() {
    // 3×3 map with a 1-pixel instance in the middle-right column's top: (0, 2).
    let t = Tensor([5, 5, 7, 5, 5, 5, 5, 5, 5], [1, 1, 3, 3])
    // (0,2) differs from (0,1) and (1,2): those three pixels are edges, as in the reference's get_edges.
    XCTAssertEqual(SemanticLabels.instanceEdges(t).scalars, [0, 1, 1, 0, 0, 1, 0, 0, 0])
  }

  func testLabelColoursAreTheReferenceColormap() {
    // labelcolormap(N)[i] from the bits of i + 1: 1 → R bit 7; 2 → G; 3 → R, G; 8 (i = 7) → R bit 6.
    XCTAssertEqual(SemanticLabels.colorize(Tensor([0, 1, 2, 7, 255], [1, 1, 1, 5]), labelNC: 8).scalars.map { Int(($0 + 1) * 127.5 + 0.5) },
                   [128, 0, 128, 64, 0, /**/ 0, 128, 128, 0, 0, /**/ 0, 0, 0, 0, 0])
  }

  // MARK: the step

  /// One step through the model against the same step written out from the reference's compute_generator_loss /
  /// compute_discriminator_loss with the networks of a second model built from the same seed: the updated G and D
  /// are the same tensors. Plain SGD makes an update lr·g, so the comparison reads the gradients, and TTUR's lr/2
  /// for G and 2·lr for D. Both sides run the same operations in the same order on the same values (the same
  /// kernels, the same power iterations of every spectral norm), so the results are bit-identical.
  func testStepIsTheOfficialObjectiveWithTTUR() throws {
    var o = tiny(.sgd)
    o.lambdaCL = 0  // the official objective has no contrastive term
    try assertStepMatchesOracle(o)
  }

  /// With λ_CL > 0 the pixel contrast of the projection head C on G's last features joins L_G after the official
  /// terms, and C is stepped with G at G's learning rate: the oracle adds the same term computed by the loss itself.
  func testContrastiveTermJoinsTheGeneratorLossAndTrainsTheHead() throws {
    var o = tiny(.sgd)
    (o.lambdaCL, o.pixelsPerClass, o.pixelWidth, o.negatives) = (0.5, 4, 8, .batch)
    try assertStepMatchesOracle(o)
    let context = LocalReplicaContext()
    let model = try ready(o, context: context)
    let losses = try model.trainStep(batch(0), step: 0, context: context)
    XCTAssertEqual(losses.map(\.name), ["GAN", "GAN_Feat", "CL", "D_Fake", "D_real"])
    XCTAssertEqual(model.networks.map(\.name), ["G", "D", "C"])
    // 2 images × 3 classes × ≤ 4 pixels: every anchor meets the other classes' picks of the batch.
    let negatives = try XCTUnwrap(model.trainingStatistics().first { $0.name == "negatives_per_query" }?.value)
    XCTAssertTrue(negatives > 0 && negatives <= 16, "\(negatives)")
  }

  private func assertStepMatchesOracle(_ o: ECGANOptions, file: StaticString = #filePath, line: UInt = #line) throws {
    let context = LocalReplicaContext()
    let model = try ready(o, context: context)
    let oracle = try ECGAN(o)
    let b = batch(0)
    _ = try model.trainStep(b, step: 0, context: context)

    let (g, d) = (oracle.g, oracle.d)
    let seg = try SemanticLabels.oneHot(b.fields["label"]!, labelNC: 3, dontCare: false)
    let image = b.fields["image"]!, e = b.fields["edge"]! * 2 - 1
    let edge = Tensor.concat([e, e, e], axis: 1)
    func discriminate(_ fake: Tensor, _ real: Tensor) -> (fake: [[Tensor]], real: [[Tensor]]) {
      let out = d(Tensor.concat([Tensor.concat([seg, fake], axis: 1), Tensor.concat([seg, real], axis: 1)], axis: 0))
      return (out.map { $0.map { $0.narrow(axis: 0, start: 0, length: 2) } }, out.map { $0.map { $0.narrow(axis: 0, start: 2, length: 2) } })
    }
    func sgd(_ net: Module, lr: Float) {
      SGD(net.parameters(), lr: lr).step()
      net.zeroGrad()
    }
    // G step (compute_generator_loss): D on I′, I″, I′_e in that order; GAN = hinge(I′) + hinge(I′_e) + 2·hinge(I″);
    // GAN_Feat = Σ_D Σ_layers (fm(I′) + 2·fm(I″) + fm(I′_e))·λ_feat/num_D from 0; the loss sum(G_losses.values()).
    let out = try g(seg, context: context)
    let p1 = discriminate(out.image, image), p2 = discriminate(out.refinedImage, image), pe = discriminate(out.edge, edge)
    func hingeG(_ p: [[Tensor]]) -> Tensor { p.map { -$0.last!.mean() }.reduce(Tensor(scalar: 0), +) / 2 }
    let gan = hingeG(p1.fake) + hingeG(pe.fake) + hingeG(p2.fake) * 2
    var featureMatching = Tensor(scalar: 0)
    for i in 0..<2 {
      for j in 0..<(p1.fake[i].count - 1) {
        let term = l1Loss(p1.fake[i][j], p1.real[i][j].detached()) + l1Loss(p2.fake[i][j], p2.real[i][j].detached()) * 2
          + l1Loss(pe.fake[i][j], pe.real[i][j].detached())
        featureMatching = featureMatching + term * (10 / 2)
      }
    }
    var lossG = gan + featureMatching
    if let contrast = oracle.contrast, let head = oracle.head {
      lossG = lossG + (try contrast(embeddings: head(out.features), labels: b.fields["label"]!, firstGlobalImage: 0, step: 0,
                                    context: context)).loss * o.lambdaCL
    }
    try lossG.backward()
    sgd(g, lr: o.lr / 2)
    if let head = oracle.head { sgd(head, lr: o.lr / 2) }
    d.zeroGrad()
    // D step on the updated G's fakes.
    let again = try noGrad { try g(seg, context: context) }
    func hingeD(_ p: [[Tensor]], real: Bool) -> Tensor {
      p.map { relu(real ? 1 - $0.last! : $0.last! + 1).mean() }.reduce(Tensor(scalar: 0), +) / 2
    }
    let q1 = discriminate(again.image, image), q2 = discriminate(again.refinedImage, image), qe = discriminate(again.edge, edge)
    let dFake = hingeD(q1.fake, real: false) + hingeD(qe.fake, real: false) + hingeD(q2.fake, real: false) * 2
    let dReal = hingeD(q1.real, real: true) + hingeD(qe.real, real: true) + hingeD(q2.real, real: true) * 2
    let lossD = dFake + dReal
    try lossD.backward()
    sgd(d, lr: o.lr * 2)

    for ((name, net), (_, reference)) in zip(model.networks, oracle.networks) {
      let expected = Dictionary(uniqueKeysWithValues: reference.namedParameters().map { ($0.name, $0.tensor.scalars) })
      for (key, t) in net.namedParameters() { XCTAssertEqual(t.scalars, expected[key], "\(name).\(key)", file: file, line: line) }
    }
  }

  func testTwoAdamStepsGiveFiniteLossesMoveEveryParameterAndLeaveDTrainable() throws {
    let context = LocalReplicaContext()
    let model = try ready(tiny(), context: context)
    let before = model.networks.flatMap { net in net.module.namedParameters().map { ("\(net.name).\($0.name)", $0.tensor.copy()) } }
    for step in 0..<2 {
      let losses = try model.trainStep(batch(step), step: step, context: context)
      XCTAssertEqual(losses.map(\.name), ["GAN", "GAN_Feat", "CL", "D_Fake", "D_real"])
      for (name, value) in losses { XCTAssertTrue(value.isFinite, "\(name) = \(value)") }
    }
    let after = model.networks.flatMap { net in net.module.namedParameters().map { ("\(net.name).\($0.name)", $0.tensor.copy()) } }
    // fc1 is built and never used (the reference's too): it gets no gradient. The bias of each score map's conv
    // gets exactly 0 while every score is inside (−1, 1), as at initialisation: the hinge's fake and real terms
    // then pull it by +1 and −1 per element, with the same weights (1, 1, 2) on both sides.
    let scoreBiases = (0..<2).map { "D.discriminator_\($0).model2.0.bias" }
    assertEveryParameterMoved(before: before, after: after,
                              except: cancelledBiasNames(model.networks).union(["G.fc1.weight", "G.fc1.bias"] + scoreBiases))
    XCTAssertTrue(model.d.parameters().allSatisfy(\.requiresGrad), "D left frozen")
    XCTAssertEqual(model.visuals().map(\.name), ["input_label", "synthesized_edge", "synthesized_image",
                                                 "synthesized_image2", "real_edge", "real_image"])
    XCTAssertTrue(model.visuals().allSatisfy { $0.image.shape == [2, 3, 16, 16] && !$0.image.requiresGrad })
  }

  func testMissingFieldsAndInstanceMapsAreNamed() throws {
    let context = LocalReplicaContext()
    var o = tiny()
    o.noInstance = false
    let model = try ready(o, context: context)
    XCTAssertThrowsError(try model.trainStep(batch(0), step: 0, context: context)) { error in
      XCTAssertTrue("\(error)".contains("'instance'"), "\(error)")
    }
    var b = batch(0)
    b.fields["instance"] = b.fields["label"]
    XCTAssertEqual(try model.semantics(b).shape, [2, 4, 16, 16])  // 3 classes, no don't-care, the instance edges
  }

  // MARK: descriptor and inference

  func testDescriptorFieldsOptionsAndSchedule() throws {
    var o = try XCTUnwrap(ECGANDescriptor.parseOptions(["--label-nc", "150", "--contain-dontcare-label", "--spade-norm", "syncbatch"],
                                                       name: "ecgan") as? ECGANOptions)
    XCTAssertEqual(o.semanticNC, 151)
    XCTAssertEqual(ECGANDescriptor.fields(o).map(\.description), ["'label' (label map (150 classes, don't-care 150))",
                                                                  "'image' (image (3 channels))", "'edge' (edge map)"])
    o.noInstance = false
    XCTAssertEqual(ECGANDescriptor.fields(o).last?.name, "instance")
    XCTAssertEqual(o.learningRates.g, 1e-4)
    XCTAssertEqual(o.learningRates.d, 4e-4)
    XCTAssertEqual(ECGANDescriptor.schedule(for: "ecgan").nEpochs, 50)
    XCTAssertEqual(ECGANDescriptor.schedule(for: "ecgan").lrPolicy, "spade")
    XCTAssertEqual(ECGANDescriptor.dataPolicy.datasetMode, "label_folders")
    XCTAssertThrowsError(try ECGANDescriptor.checkInputSize(ECGANOptions(), cropSize: 36, cropped: true)) { error in
      XCTAssertTrue("\(error)".contains("--crop-size"), "\(error)")
    }
    XCTAssertThrowsError(try ECGANDescriptor.parseOptions(["--spade-norm", "batch"], name: "ecgan").validate()) { error in
      XCTAssertTrue("\(error)".contains("--spade-norm"), "\(error)")
    }
    XCTAssertThrowsError(try ECGANDescriptor.parseOptions(["--head-channels", "4,4"], name: "ecgan").validate())
    // The reference's spellings.
    let reference = try XCTUnwrap(ECGANDescriptor.parseOptions(["--no_ganFeat_loss", "--lambda_vgg", "5", "--n_layers_D", "4",
                                                                "--no_TTUR", "--label_nc", "35"], name: "ecgan") as? ECGANOptions)
    XCTAssertTrue(reference.noGanFeatLoss && reference.noTTUR)
    XCTAssertEqual([reference.lambdaVGG, Float(reference.nLayersD), Float(reference.labelNC)], [5, 4, 35])
    XCTAssertThrowsError(try ECGAN({ var o = tiny(); o.vggWeights = "/nonexistent/vgg19.safetensors"; return o }())) { error in
      XCTAssertTrue("\(error)".contains("--vgg-weights") && "\(error)".contains("/nonexistent/vgg19.safetensors"), "\(error)")
    }
  }

  /// The translator is the generator alone in eval mode: after a step, a model's G (switched to eval) and a
  /// translator loaded with its weights make the same I″.
  func testTranslatorIsTheTrainedGeneratorInEvalMode() throws {
    let context = LocalReplicaContext()
    let model = try ready(tiny(), context: context)
    _ = try model.trainStep(batch(0), step: 0, context: context)
    let translator = try XCTUnwrap(ECGANDescriptor.translator(tiny(), direction: .aToB, run: RunFacts(seed: 5)) as? ECGANTranslator)
    XCTAssertNil(try ECGANDescriptor.translator(tiny(), direction: .bToA, run: RunFacts(seed: 5)))
    XCTAssertEqual(translator.networks.map(\.name), ["G"])
    try translator.generator.loadStateDict(Dictionary(uniqueKeysWithValues: model.g.stateDict().map { ($0.name, $0.tensor) }))
    model.g.eval()
    let label = batch(3).fields["label"]!
    XCTAssertEqual(try translator.translate(TranslationInput(label: label)).scalars,
                   model.translate(try SemanticLabels.oneHot(label, labelNC: 3, dontCare: false), direction: .aToB).scalars)
    XCTAssertThrowsError(try translator.translate(TranslationInput(image: batch(0).fields["image"])))
    XCTAssertEqual(try translator.outputs(TranslationInput(label: label)).map(\.name), ["", "image1", "edge"])
    XCTAssertEqual(translator.inputs.map(\.name), ["label"])
    // One up block: one ×2, so a 15-pixel side cannot be translated; the error says why.
    XCTAssertThrowsError(try translator.translate(TranslationInput(label: Tensor(zeros: [1, 1, 15, 16])))) { error in
      XCTAssertTrue("\(error)".contains("multiples of 2"), "\(error)")
    }
  }
}
