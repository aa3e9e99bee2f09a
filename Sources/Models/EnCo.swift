import Replicas
import NN
import Tensors

/// EnCo (Cai, Zhu, Miao, Fu, Yao; arXiv 2211.10867; spec §4): CUT's generator G: A → B and discriminator D, with
/// content kept by matching G's own decoder features to its encoder features at mirrored layers, (3, 28), (7, 24)
/// and (13, 18), all read from the one G pass that makes the output, at patches where D finds the output most fake:
///
///   ids_p = DAG(D(G(A)), H_p × W_p)                                      per image (`DAGSampler`)
///   q_p = l2(prj_p(mlp_p(dec_p[ids_p]))),   k_p = l2(mlp_p(enc_p[ids_p]))  (k: no gradient; `EnCoHeads`)
///       (nce: q_p = l2(mlp_p(dec_p[ids_p])), no prediction head, as in the v1 code)
///   content = λ_NCE · Σ_p ℓ(q_p, k_p) / d
///       nce  (v1): ℓ = PatchNCE (positive: the encoder patch at the same place), d = 2·pairs (the v1 code divides
///                  by its number of layers)
///       byol (official code): ℓ = mean(2 − 2·cos), d = pairs
///   identity on (epoch ≤ stopIdtEpochs): L_G = λ_GAN·GAN(D(G(A)), 1) + ½·(content + λ_IDT·|G(B) − B|₁)
///                                        (λ_IDT·(total − epoch)/total with `decayIdt`)
///   identity off:                        L_G = λ_GAN·GAN(D(G(A)), 1) + content   (no ½: the reference's choice)
///   L_D = ½·[GAN(D(G(A)), 0) + GAN(D(B), 1)]                            (no image pool)
///
/// D is updated first; G and F share one backward, D re-scored after its update (that map is also DAG's
/// attention). Optimisers and replica groups "G", "D", "F" with lr_G, lr_D, lr_F.
public final class EnCo: TranslationModel {
  public let options: EnCoOptions
  /// G, D, F, their optimisers and replica groups, and the D and joint G/F updates (shared with CUT).
  let core: OneSidedGAN<EnCoHeads>
  /// (N, inputNC, H, W) → (N, outputNC, H, W), antialiased unless `noAntialias` / `noAntialiasUp`.
  public var g: ResnetGenerator { core.g }
  /// (N, outputNC, H, W) → scores (N, 1, H', W').
  public var d: NLayerDiscriminator { core.d }
  /// Projection and prediction heads; empty until `dataDependentInitialize`.
  public var f: EnCoHeads { core.f }
  /// The current epoch, as `beginEpoch` numbers it.
  public private(set) var epoch = 1
  var gan: GANLoss { core.gan }
  let nce: PatchNCELoss
  let sampler: DAGSampler
  private var lastVisuals: [(name: String, image: Tensor)] = []
  private var lastStatistics: [(name: String, value: Double)] = []

  /// Builds G and D initialised from `options.seed` (the same on every rank) and their optimisers.
  public init(_ options: EnCoOptions) throws {
    try options.validate()
    let o = options
    self.options = options
    core = OneSidedGAN(o.network, model: "EnCo", f: EnCoHeads(width: o.netFNC, norm: o.prjNorm), lrG: o.lrG, lrD: o.lrD,
                       betas: (o.beta1, o.beta2))
    nce = PatchNCELoss(temperature: o.nceT, negatives: o.negatives)
    sampler = DAGSampler(numPatches: o.numPatches, oversampleRatio: o.oversampleRatio, randomRatio: o.randomRatio)
  }

  public var networks: [(name: String, module: Module)] { core.networks }

  public var optimizers: [(name: String, optimizer: any Optimizer)] { core.optimizers }

  public func beginEpoch(_ epoch: Int, context: ReplicaContext) throws { self.epoch = epoch }

  /// Whether this epoch runs the identity branch (B through G and its L1 loss).
  public var identityIsActive: Bool { options.nceIdt && epoch <= options.lastIdentityEpoch }

  /// Builds F's heads from the channels of G's paired features on the batch's first A image, initialised from the
  /// seed (so every rank builds the same F), and F's Adam. Nothing to build when λ_NCE = 0.
  public func dataDependentInitialize(_ batch: TrainingBatch, context: ReplicaContext) throws {
    guard !f.isBuilt, options.lambdaNCE > 0 else { return }
    let a = try batch.field("A")
    let features = noGrad { g(a.narrow(axis: 0, start: 0, length: 1), features: options.nceLayers).features }
    let pairs = options.layerPairs
    for (p, pair) in pairs.enumerated() {
      let (k, q) = (features[p].shape, features[features.count - 1 - p].shape)
      guard k.dropFirst() == q.dropFirst() else {
        throw OptionError("--nce-layers", "layers \(pair.encoder) and \(pair.decoder) are paired but give "
                              + "features of shapes \(Array(k.dropFirst())) and \(Array(q.dropFirst()))")
      }
    }
    f.build(channels: features.prefix(pairs.count).map { $0.shape[1] }, predictor: options.usesPredictor,
            options.initType, gain: options.initGain, seed: options.seed)
    core.attachF(lr: options.lrF)
  }

  public func prepare(context: ReplicaContext) throws { try core.prepare(context: context) }

  /// Spec §4.7: one G pass on A (and B while the identity branch is on) that also returns the paired features; the
  /// D update on the detached fakes; then the G and F update through the updated, frozen D.
  public func trainStep(_ batch: TrainingBatch, step: Int,
                        context: ReplicaContext) throws -> [(name: String, value: Double)] {
    _ = core.preparedGroups(context)
    precondition(options.lambdaNCE == 0 || f.isBuilt, "EnCo: call dataDependentInitialize before trainStep")
    var realA = try batch.field("A"), realB = try batch.field("B")  // (n, inputNC, H, W), (n, outputNC, H, W)
    let n = realA.shape[0]
    if options.flipEquivariance {
      realA = mirrorBatch(realA, domain: 0, step: step)
      realB = mirrorBatch(realB, domain: 1, step: step)
    }

    let identity = identityIsActive
    let (fake, features) = g(identity ? Tensor.concat([realA, realB], axis: 0) : realA, features: options.nceLayers)
    let fakeB = fake.narrow(axis: 0, start: 0, length: n)
    let idtB = identity ? fake.narrow(axis: 0, start: n, length: n) : nil
    let ownFeatures = identity ? features.map { $0.narrow(axis: 0, start: 0, length: n) } : features

    let dStep = try core.updateDiscriminator(realB: realB, fakeB: fakeB.detached(), context: context)
    let gStep = try updateGeneratorAndF(realB: realB, fakeB: fakeB, idtB: idtB, features: ownFeatures, step: step,
                                        context: context)

    lastVisuals = [("real_A", realA), ("fake_B", fakeB.detached()), ("real_B", realB)]
    if let idtB { lastVisuals.append(("idt_B", idtB.detached())) }
    let (h, w) = (realB.shape[2], realB.shape[3])
    lastVisuals += [("cam_fake", noGrad { resizeBilinear(dStep.scoresFake, height: h, width: w) }),
                    ("cam_real", noGrad { resizeBilinear(dStep.scoresReal, height: h, width: w) })]
    lastStatistics = gStep.negativesPerQuery.map { [("negatives_per_query", $0)] } ?? []
    let name = options.loss == .nce ? "NCE" : "BYOL"
    var losses: [(name: String, value: Double)] = [("G_GAN", gStep.gan), ("D_real", dStep.real),
                                                   ("D_fake", dStep.fake), ("G", gStep.total), (name, gStep.content)]
    if options.nceIdt { losses.append((name + "_Y", gStep.identity)) }
    return losses
  }

  /// The whole batch of one domain mirrored (width axis) with probability ½, as the official `set_input` flips
  /// real_A and, by another coin, real_B. The coin is keyed by (step, domain) only, so every rank flips its part of
  /// the global batch together, as one process holding the global batch would.
  func mirrorBatch(_ x: Tensor, domain: UInt64, step: Int) -> Tensor {
    if let replayedDraws { return replayedDraws.flipped(step, Int(domain)) ? x.flip(axis: 3) : x }
    var rng = RandomStream(seed: options.seed, key: [ModelRandomPurpose.imageFlip.rawValue, UInt64(step), domain])
    return rng.nextFloat() < 0.5 ? x.flip(axis: 3) : x
  }

  /// Another implementation's random draws to replay instead of the keyed streams (the step-parity tests against
  /// the official code): the DAG positions of (step, pair), one list per image, and the flip coin of (step, domain).
  public var replayedDraws: (patchIds: (_ step: Int, _ pair: Int) -> [[Int]], flipped: (_ step: Int, _ domain: Int) -> Bool)?

  /// λ_IDT this epoch: constant, or with `decayIdt` λ_IDT·(total − epoch)/total as the official code decays it.
  public var identityWeight: Float {
    guard options.decayIdt else { return options.lambdaIDT }
    return options.lambdaIDT * Float(options.totalEpochs - epoch) / Float(max(options.totalEpochs, 1))
  }

  private struct GeneratorStep {
    var gan = 0.0, content = 0.0, identity = 0.0, total = 0.0
    var negativesPerQuery: Double?
  }

  /// L_G (see the type's summary) with D frozen; one backward; groups "G" and "F" averaged over ranks; G and F step.
  private func updateGeneratorAndF(realB: Tensor, fakeB: Tensor, idtB: Tensor?, features: [Tensor], step: Int,
                                   context: ReplicaContext) throws -> GeneratorStep {
    var result = GeneratorStep()
    try core.updateGeneratorAndF(fakeB: fakeB, context: context) { scores in
      let lossGAN = gan(scores, targetIsReal: true) * options.lambdaGAN
      var lossG = lossGAN
      if options.lambdaNCE > 0 {
        let content = try contentLoss(features, scores: scores.detached(), step: step, context: context)
        (result.content, result.negativesPerQuery) = (Double(content.loss.item), content.negativesPerQuery)
        if let idtB {
          let identity = l1Loss(idtB, realB) * identityWeight
          result.identity = Double(identity.item)
          lossG = lossG + (content.loss + identity) * 0.5
        } else {
          lossG = lossG + content.loss
        }
      }
      (result.gan, result.total) = (Double(lossGAN.item), Double(lossG.item))
      return lossG
    }
    return result
  }

  /// content of the type's summary. features: G's outputs at `nceLayers` for the n A images; scores: D's map on
  /// G(A), detached. DAG positions keyed by (seed, step, pair, global image index); the encoder branch runs
  /// without a graph (stop-gradient).
  private func contentLoss(_ features: [Tensor], scores: Tensor, step: Int,
                           context: ReplicaContext) throws -> (loss: Tensor, negativesPerQuery: Double) {
    let pairs = options.layerPairs.count, n = scores.shape[0]
    let encoder = features.prefix(pairs).map { $0.detached() }
    let decoder = Array(features.suffix(pairs).reversed())
    let ids = decoder.enumerated().map { p, q in
      replayedDraws?.patchIds(step, p)
        ?? sampler.patchIds(scores: scores, height: q.shape[2], width: q.shape[3], seed: options.seed,
                            key: [ModelRandomPurpose.dagSample.rawValue, UInt64(step), UInt64(p)],
                            firstImage: context.rank * n)
    }
    let queries = try f(decoder, patchIds: ids, predict: options.usesPredictor, context: context)
    let keys = try noGrad { try f(encoder, patchIds: ids, predict: false, context: context) }
    var total = Tensor(scalar: 0)
    var negatives = 0
    for p in 0..<pairs {
      switch options.loss {
      case .nce:
        total = total + (try nce(query: queries[p], key: keys[p], images: n, context: context, positions: ids[p]))
        negatives += nce.negativesPerQuery(images: n, patches: ids[p][0].count, worldSize: context.size)
      case .byol:
        total = total + byolLoss(query: queries[p], key: keys[p])
      }
    }
    let divisor = Float(options.loss == .nce ? 2 * pairs : pairs)
    return (total * (options.lambdaNCE / divisor), Double(negatives) / Double(pairs))
  }

  /// "negatives_per_query": the true negatives each query patch met in the last step (mean over pairs; 0 for byol).
  public func trainingStatistics() -> [(name: String, value: Double)] { lastStatistics }

  /// EnCo keeps no per-rank state (no image pool).
  public func extraState() -> [(name: String, tensor: Tensor)] { [] }

  public func loadExtraState(_ state: [String: Tensor]) throws {
    if !state.isEmpty { throw StateDictError.unexpectedKeys(state.keys.sorted()) }
  }

  public func visuals() -> [(name: String, image: Tensor)] { lastVisuals }

  /// G(x) without gradient; EnCo has one generator, trained in the direction the data set was read in.
  public func translate(_ x: Tensor, direction: Direction) -> Tensor { noGrad { g(x) } }
}

extension EnCo {
  /// Inference alone: G (no discriminator, no F, no optimiser), which translates AtoB only; nil for BtoA.
  public static func translator(_ o: EnCoOptions, direction: Direction) throws -> GeneratorTranslator? {
    try o.validate()
    return GeneratorTranslator.oneSided(o.network, direction: direction)
  }
}
