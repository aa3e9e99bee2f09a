import Replicas
import NN
import Tensors

/// CUT and FastCUT (Park, Efros, Zhang, Zhu, ECCV 2020; spec §3): one generator G: A → B judged by a PatchGAN D,
/// with content kept by PatchNCE between patches of the input and of the output, read from G's own encoder and
/// projected by F.
///
///   NCE(x, y) = (1/L) Σ_l λ_NCE · PatchNCE(F_l(E_l(y)), F_l(E_l(x)))     E_l: G's output at `nceLayers[l]`
///   CUT:     L_G = λ_GAN·GAN(D(G(A)), 1) + ½·[NCE(A, G(A)) + NCE(B, G(B))]
///   FastCUT: L_G = λ_GAN·GAN(D(G(A)), 1) + NCE(A, G(A))               (with flip-equivariance)
///   L_D = ½·[GAN(D(G(A)), 0) + GAN(D(B), 1)]                           (no image pool)
///
/// D is updated before G; G and F share one backward. Optimisers and replica groups: "G", "D", "F". F's heads are
/// built by `dataDependentInitialize` (their widths are the feature channels), as the reference builds them on
/// the first batch.
public final class CUT: TranslationModel {
  public let options: CUTOptions
  /// G, D, F, their optimisers and replica groups, and the D and joint G/F updates (shared with EnCo).
  let core: OneSidedGAN<PatchSampleF>
  /// (N, inputNC, H, W) → (N, outputNC, H, W); antialiased unless `noAntialias` / `noAntialiasUp`.
  public var g: ResnetGenerator { core.g }
  /// (N, outputNC, H, W) → scores (N, 1, H', W').
  public var d: NLayerDiscriminator { core.d }
  /// Patch sampler and projection heads; empty until `dataDependentInitialize`.
  public var f: PatchSampleF { core.f }
  var gan: GANLoss { core.gan }
  let nce: PatchNCELoss
  private var lastVisuals: [(name: String, image: Tensor)] = []
  private var lastStatistics: [(name: String, value: Double)] = []

  /// Builds G and D initialised from `options.seed` (the same on every rank) and their optimisers.
  public init(_ options: CUTOptions) throws {
    try options.validate()
    let o = options
    self.options = options
    core = OneSidedGAN(o.network, model: "CUT", f: PatchSampleF(o.netF, width: o.netFNC), lrG: o.lr, lrD: o.lr,
                       betas: (o.beta1, o.beta2))
    nce = PatchNCELoss(temperature: o.nceT, negatives: o.negatives)
  }

  public var networks: [(name: String, module: Module)] { core.networks }

  public var optimizers: [(name: String, optimizer: any Optimizer)] { core.optimizers }

  /// Builds F's heads from the channels of G's features at `nceLayers` on the batch's first A image, initialised
  /// from the seed (so every rank builds the same F), and F's Adam. Nothing to build when λ_NCE = 0.
  public func dataDependentInitialize(_ batch: TrainingBatch, context: ReplicaContext) throws {
    guard !f.isBuilt, options.lambdaNCE > 0 else { return }
    let a = try batch.field("A")
    let features = noGrad { g.encode(a.narrow(axis: 0, start: 0, length: 1), layers: options.nceLayers) }
    f.build(channels: features.map { $0.shape[1] }, options.initType, gain: options.initGain, seed: options.seed)
    core.attachF(lr: options.lr)
  }

  public func prepare(context: ReplicaContext) throws { try core.prepare(context: context) }

  /// Spec §3.8: one G pass on A (and B for the identity term), optionally mirrored; the D update on the detached
  /// fakes; then the G and F update through the updated, frozen D.
  public func trainStep(_ batch: TrainingBatch, step: Int,
                        context: ReplicaContext) throws -> [(name: String, value: Double)] {
    _ = core.preparedGroups(context)
    precondition(options.lambdaNCE == 0 || f.isBuilt, "CUT: call dataDependentInitialize before trainStep")
    let realA = try batch.field("A"), realB = try batch.field("B")  // (N, inputNC, H, W), (N, outputNC, H, W)
    let n = realA.shape[0]
    var real = options.nceIdt ? Tensor.concat([realA, realB], axis: 0) : realA
    let flipped = options.flipEquivariance && (replayedDraws?.flipped(step) ?? flipCoin(step: step))
    if flipped { real = real.flip(axis: 3) }
    let (fake, realFeatures) = generate(real, keepingFeatures: options.lambdaNCE > 0 && !flipped)
    let fakeB = fake.narrow(axis: 0, start: 0, length: n)
    let idtB = options.nceIdt ? fake.narrow(axis: 0, start: n, length: n) : nil

    let dStep = try core.updateDiscriminator(realB: realB, fakeB: fakeB.detached(), context: context)
    let (dReal, dFake) = (dStep.real, dStep.fake)
    let gStep = try updateGeneratorAndF(realA: realA, realB: realB, fakeB: fakeB, idtB: idtB, flipped: flipped,
                                        realFeatures: realFeatures, step: step, context: context)

    lastVisuals = [("real_A", realA), ("fake_B", fakeB.detached()), ("real_B", realB)]
    if let idtB { lastVisuals.append(("idt_B", idtB.detached())) }
    lastStatistics = gStep.negativesPerQuery.map { [("negatives_per_query", $0)] } ?? []
    var losses: [(name: String, value: Double)] = [("G_GAN", gStep.gan), ("D_real", dReal), ("D_fake", dFake),
                                                   ("G", gStep.total), ("NCE", gStep.nceX)]
    if let y = gStep.nceY { losses.append(("NCE_Y", y)) }
    return losses
  }

  /// G(real), and when `keepingFeatures` (and G has no dropout, whose masks would differ from a separate pass) its
  /// detached encoder features at `nceLayers` from the same pass: the PatchNCE keys, which the reference computes
  /// with a second encoder pass over the same images and unchanged weights (spec §3.8). A mirrored batch's features
  /// are not those of the unmirrored source, so then the keys get their own pass.
  private func generate(_ real: Tensor, keepingFeatures: Bool) -> (fake: Tensor, features: [Tensor]?) {
    guard keepingFeatures && options.noDropout else { return (g(real), nil) }
    let (fake, features) = g(real, features: options.nceLayers)
    return (fake, features.map { $0.detached() })
  }

  /// Another implementation's random draws to replay instead of the keyed streams (the step-parity tests against
  /// the official code): the patch positions of (step, term), one list per NCE layer, and the flip coin of a step.
  public var replayedDraws: (patchIds: (_ step: Int, _ term: UInt64) -> [[Int]], flipped: (_ step: Int) -> Bool)?

  /// The coin of flip-equivariance, keyed by the step only: the whole global batch is mirrored, or none of it.
  func flipCoin(step: Int) -> Bool {
    var rng = RandomStream(seed: options.seed, key: [ModelRandomPurpose.flipEquivariance.rawValue, UInt64(step)])
    return rng.nextFloat() < 0.5
  }

  private struct GeneratorStep {
    var gan = 0.0, nceX = 0.0, total = 0.0
    var nceY: Double?
    var negativesPerQuery: Double?
  }

  /// L_G (see the type's summary) with D frozen; one backward; groups "G" and "F" averaged over ranks; G and F step.
  /// `realFeatures`: G's detached features of [realA; realB] from the forward pass, or nil to encode them here.
  private func updateGeneratorAndF(realA: Tensor, realB: Tensor, fakeB: Tensor, idtB: Tensor?, flipped: Bool,
                                   realFeatures: [Tensor]?, step: Int, context: ReplicaContext) throws -> GeneratorStep {
    var result = GeneratorStep()
    try core.updateGeneratorAndF(fakeB: fakeB, context: context) { scores in
      let lossGAN = gan(scores, targetIsReal: true) * options.lambdaGAN
      var lossG = lossGAN
      if options.lambdaNCE > 0 {
        let n = realA.shape[0]
        func keys(_ source: Tensor, from start: Int) -> [Tensor] {
          realFeatures?.map { $0.narrow(axis: 0, start: start, length: n) }
            ?? noGrad { g.encode(source, layers: options.nceLayers) }
        }
        let x = try patchNCE(keyFeatures: keys(realA, from: 0), target: fakeB, flipped: flipped, term: 0, step: step,
                             context: context)
        result.nceX = Double(x.loss.item)
        result.negativesPerQuery = x.negativesPerQuery
        if let idtB {
          let y = try patchNCE(keyFeatures: keys(realB, from: n), target: idtB, flipped: flipped, term: 1, step: step,
                               context: context)
          result.nceY = Double(y.loss.item)
          lossG = lossG + (x.loss + y.loss) * 0.5
        } else {
          lossG = lossG + x.loss
        }
      } else if options.nceIdt {
        result.nceY = 0
      }
      (result.gan, result.total) = (Double(lossGAN.item), Double(lossG.item))
      return lossG
    }
    return result
  }

  /// NCE(source, target) of the type's summary, given the source's features (the keys: no gradient), with patch
  /// positions keyed by (seed, step, term, layer) and shared by the whole global batch.
  private func patchNCE(keyFeatures: [Tensor], target: Tensor, flipped: Bool, term: UInt64, step: Int,
                        context: ReplicaContext) throws -> (loss: Tensor, negativesPerQuery: Double) {
    let layers = options.nceLayers, images = target.shape[0]
    var queryFeatures = g.encode(target, layers: layers)
    if flipped { queryFeatures = queryFeatures.map { $0.flip(axis: 3) } }
    let ids = replayedDraws?.patchIds(step, term)
      ?? PatchSampleF.patchIds(for: keyFeatures, numPatches: options.numPatches, seed: options.seed,
                               key: [ModelRandomPurpose.patchSample.rawValue, UInt64(step), term])
    let keys = noGrad { f(keyFeatures, patchIds: ids) }
    let queries = f(queryFeatures, patchIds: ids)
    var total: Tensor?
    for l in layers.indices {
      let loss = try nce(query: queries[l], key: keys[l], images: images, context: context) * options.lambdaNCE
      total = total.map { $0 + loss } ?? loss
    }
    let negatives = ids.map { nce.negativesPerQuery(images: images, patches: $0.count, worldSize: context.size) }
    return (total! / Float(layers.count), Double(negatives.reduce(0, +)) / Double(negatives.count))
  }

  /// "negatives_per_query": the true negatives each query patch met in the last step's PatchNCE (mean over layers).
  public func trainingStatistics() -> [(name: String, value: Double)] { lastStatistics }

  /// CUT keeps no per-rank state (no image pool).
  public func extraState() -> [(name: String, tensor: Tensor)] { [] }

  public func loadExtraState(_ state: [String: Tensor]) throws {
    if !state.isEmpty { throw StateDictError.unexpectedKeys(state.keys.sorted()) }
  }

  public func visuals() -> [(name: String, image: Tensor)] { lastVisuals }

  /// G(x) without gradient. CUT has one generator, trained in the direction the data set was read in
  /// (`--direction` swaps the folders), so `direction` does not choose a network.
  public func translate(_ x: Tensor, direction: Direction) -> Tensor { noGrad { g(x) } }
}

extension CUT {
  /// Inference alone: G (no discriminator, no F, no optimiser), which translates AtoB only; nil for BtoA.
  public static func translator(_ o: CUTOptions, direction: Direction) throws -> GeneratorTranslator? {
    try o.validate()
    return GeneratorTranslator.oneSided(o.network, direction: direction)
  }
}
