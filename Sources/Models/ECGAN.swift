import Replicas
import NN
import Tensors

/// ECGAN (Tang et al., ICLR 2023) as the official code trains it (Ha0Tang/ECGAN@984be01, spec §2.4–2.5): a
/// label map S goes through the SPADE generator, which returns I′ (image branch), I″ (semantic-preserving module)
/// and I′_e (edge branch); one multi-scale discriminator judges each against the real image I or the real edges
/// I_e, conditioned on S. With λ_fm = 10, λ_vgg = 10:
///
///     L_G = Σ_(f, r, w) w·[ hinge_G(D(S, f)) + FM_λfm(D(S, f), D(S, r)) + λ_vgg·VGG(f, r) ]
///     L_D = Σ_(f, r, w) w·[ hinge_D(D(S, f.detach()), fake) + hinge_D(D(S, r), real) ]
///     over (f, r, w) = (I′, I, 1), (I″, I, 2), (I′_e, I_e, 1)
///
/// (the VGG term only with `--vgg-weights`), plus the paper's cross-layout pixel contrast, which the official code
/// lacks: λ_CL·PixelContrast(C(x), S) on the projection head C over G's last features x (`--lambda-CL 0` gives the
/// official objective). A step is the reference's: the G step, then the D step on fakes the updated G makes again
/// (without gradient), the D calls in the reference's order (I′, I″, I′_e), which the spectral norms' power
/// iterations follow. Optimisers and replica groups "G" (G and C) and "D": Adam with TTUR, G at lr/2 and D at 2·lr,
/// β (0, 0.9). Batch fields: "label" (class ids), "image", "edge" (I_e in [0, 1]) and, without `--no-instance`,
/// "instance".
public final class ECGAN: TranslationModel {
  public let options: ECGANOptions
  public let g: ECGANGenerator
  public let d: MultiscaleDiscriminator
  public let optimizerG: any Optimizer, optimizerD: any Optimizer
  /// nil when the perceptual term is off (no `--vgg-weights`, or `--no-vgg-loss`).
  public let perceptual: VGGPerceptualLoss?
  /// The cross-layout pixel contrastive loss and its projection head "C" on G's last features (nil with λ_CL 0);
  /// C is trained with G, by G's optimiser, in G's replica group.
  public let contrast: PixelContrastLoss?, head: PixelProjectionHead?
  private var lastStatistics: [(name: String, value: Double)] = []
  private var groups: (g: GradientGroup, d: GradientGroup)?
  private weak var preparedContext: ReplicaContext?
  private var lastVisuals: [(name: String, image: Tensor)] = []

  /// Builds G and D initialised from `options.seed` (the same on every rank), their optimisers, and the VGG19 of
  /// the perceptual term if its weights are given.
  public init(_ options: ECGANOptions) throws {
    try options.validate()
    self.options = options
    g = ECGAN.generator(options)
    d = MultiscaleDiscriminator(inputNC: options.semanticNC + 3, ndf: options.ndf, layers: options.nLayersD,
                                numD: options.numD, spectral: options.spectralD)
    Networks.initialize(d, name: "D", options.initType, gain: options.initVariance, seed: options.seed)
    contrast = try options.pixelContrast()
    head = contrast == nil ? nil : PixelProjectionHead(inputChannels: options.ngf, width: options.pixelWidth,
                                                       options.initType, gain: options.initVariance, seed: options.seed)
    let lr = options.learningRates, betas = (options.beta1, options.beta2)
    optimizerG = options.optimizer.make(g.parameters() + (head?.parameters() ?? []), lr: lr.g, betas: betas)
    optimizerD = options.optimizer.make(d.parameters(), lr: lr.d, betas: betas)
    perceptual = options.perceptualLoss ? try VGGPerceptualLoss(weights: options.vggWeights) : nil
  }

  /// The generator of `options`, initialised from its seed: what training and inference build alike.
  static func generator(_ options: ECGANOptions) -> ECGANGenerator {
    let g = ECGANGenerator(options.generatorShape)
    Networks.initialize(g, name: "G", options.initType, gain: options.initVariance, seed: options.seed)
    return g
  }

  public var networks: [(name: String, module: Module)] { [("G", g), ("D", d)] + (head.map { [("C", $0)] } ?? []) }
  public var optimizers: [(name: String, optimizer: any Optimizer)] { [("G", optimizerG), ("D", optimizerD)] }

  public func prepare(context: ReplicaContext) throws {
    let generator: [(name: String, module: Module)] = [("G", g)] + (head.map { [("C", $0)] } ?? [])
    groups = (try context.register(group: "G", networks: generator), try context.register(group: "D", networks: [("D", d)]))
    preparedContext = context
    // A rank that joined on resume (another world size) has no bank of its own: every rank takes rank 0's.
    try contrast?.memory?.synchronizeFromRoot(context: context)
  }

  private func preparedGroups(_ context: ReplicaContext) -> (g: GradientGroup, d: GradientGroup) {
    guard let groups, preparedContext === context else { preconditionFailure("ECGAN: call prepare(context:) with this context first") }
    return groups
  }

  /// The label input S of a batch: one-hot label map (with don't-care) and the instance edges.
  public func semantics(_ batch: TrainingBatch) throws -> Tensor {
    try options.semantics(label: try batch.field("label"), instance: options.noInstance ? nil : try batch.field("instance"))
  }

  /// The real edges I_e as the discriminator sees them: the edge field's [0, 1] mapped to [−1, 1] and repeated on
  /// three channels (the reference loads its edge PNGs as RGB images).
  static func edgeImage(_ edge: Tensor) -> Tensor {
    let e = edge * 2 - 1
    return Tensor.concat([e, e, e], axis: 1)
  }

  public func trainStep(_ batch: TrainingBatch, step: Int, context: ReplicaContext) throws -> [(name: String, value: Double)] {
    let groups = preparedGroups(context)
    let seg = try semantics(batch)
    let realImage = try batch.field("image"), realEdge = ECGAN.edgeImage(try batch.field("edge"))
    let classes = SemanticLabels.classIds(try batch.field("label"), labelNC: options.labelNC, dontCare: options.containDontcareLabel)
    let gStep = try updateGenerator(seg: seg, classes: classes, realImage: realImage, realEdge: realEdge, group: groups.g,
                                    step: step, context: context)
    let dStep = try updateDiscriminator(seg: seg, realImage: realImage, realEdge: realEdge, group: groups.d, context: context)
    let out = gStep.output
    lastVisuals = [("input_label", SemanticLabels.colorize(try batch.field("label"), labelNC: options.labelNC)),
                   ("synthesized_edge", out.edge.detached()), ("synthesized_image", out.image.detached()),
                   ("synthesized_image2", out.refinedImage.detached()), ("real_edge", realEdge), ("real_image", realImage)]
    var losses: [(name: String, value: Double)] = [("GAN", gStep.gan)]
    if !options.noGanFeatLoss { losses.append(("GAN_Feat", gStep.featureMatching)) }
    if perceptual != nil { losses.append(("VGG", gStep.vgg)) }
    if contrast != nil { losses.append(("CL", gStep.contrast)) }
    lastStatistics = gStep.negativesPerQuery.map { [("negatives_per_query", $0)] } ?? []
    return losses + [("D_Fake", dStep.fake), ("D_real", dStep.real)]
  }

  private struct GeneratorStep {
    var output: ECGANGeneratorOutput
    var gan = 0.0, featureMatching = 0.0, vgg = 0.0, contrast = 0.0
    var negativesPerQuery: Double?
  }

  /// D's outputs on (S, I′ | I), (S, I″ | I) and (S, I′_e | I_e), in the reference's order (which the spectral
  /// norms' power iterations follow).
  private func judgeAll(_ seg: Tensor, _ out: ECGANGeneratorOutput, realImage: Tensor, realEdge: Tensor, detach: Bool)
    -> (image: (fake: [[Tensor]], real: [[Tensor]]), refined: (fake: [[Tensor]], real: [[Tensor]]),
        edge: (fake: [[Tensor]], real: [[Tensor]])) {
    func fake(_ t: Tensor) -> Tensor { detach ? t.detached() : t }
    let image = d.judge(condition: seg, fake: fake(out.image), real: realImage)
    let refined = d.judge(condition: seg, fake: fake(out.refinedImage), real: realImage)
    let edge = d.judge(condition: seg, fake: fake(out.edge), real: realEdge)
    return (image, refined, edge)
  }

  /// L_G with D frozen, assembled term by term as the reference's compute_generator_loss; G averaged over ranks
  /// and stepped.
  private func updateGenerator(seg: Tensor, classes: Tensor, realImage: Tensor, realEdge: Tensor, group: GradientGroup,
                               step stepIndex: Int, context: ReplicaContext) throws -> GeneratorStep {
    d.freeze()
    defer { d.unfreeze() }
    group.zeroGradients()
    let out = try g(seg, context: context)
    let p = judgeAll(seg, out, realImage: realImage, realEdge: realEdge, detach: false)
    func hinge(_ predictions: [[Tensor]]) -> Tensor {
      MultiscaleGANLoss.hinge(predictions, targetIsReal: true, forDiscriminator: false)
    }
    let gan = hinge(p.image.fake) + hinge(p.edge.fake) + hinge(p.refined.fake) * 2
    var step = GeneratorStep(output: out, gan: Double(gan.item))
    var loss = gan
    if !options.noGanFeatLoss {
      // Σ_D Σ_layers (fm(I′) + 2·fm(I″) + fm(I′_e))·λ_feat/num_D, the score maps excluded.
      var fm = Tensor(scalar: 0)
      let scale = options.lambdaFeat / Float(options.numD)
      for i in 0..<options.numD {
        for j in 0..<(p.image.fake[i].count - 1) {
          let term = l1Loss(p.image.fake[i][j], p.image.real[i][j].detached())
            + l1Loss(p.refined.fake[i][j], p.refined.real[i][j].detached()) * 2
            + l1Loss(p.edge.fake[i][j], p.edge.real[i][j].detached())
          fm = fm + term * scale
        }
      }
      (loss, step.featureMatching) = (loss + fm, Double(fm.item))
    }
    if let perceptual {
      let vgg = perceptual(out.image, realImage) * options.lambdaVGG + perceptual(out.edge, realEdge) * options.lambdaVGG
        + perceptual(out.refinedImage, realImage) * (options.lambdaVGG * 2)
      (loss, step.vgg) = (loss + vgg, Double(vgg.item))
    }
    if let contrast, let head {
      // The rank's images are the global batch's rank·n … rank·n + n − 1 (equal shards; a short last batch only
      // shares keys of the sampling between images).
      let n = seg.shape[0]
      let cl = try contrast(embeddings: head(out.features), labels: classes, firstGlobalImage: context.rank * n,
                            step: stepIndex, context: context)
      let weighted = cl.loss * options.lambdaCL
      (loss, step.contrast, step.negativesPerQuery) = (loss + weighted, Double(weighted.item), cl.negativesPerQuery)
    }
    try context.backward(loss, synchronizing: [group])
    optimizerG.step()
    return step
  }

  /// L_D on the fakes of the updated G (made again without gradient, as the reference's D step does); D averaged
  /// over ranks and stepped. Returns the fake and real terms.
  private func updateDiscriminator(seg: Tensor, realImage: Tensor, realEdge: Tensor, group: GradientGroup,
                                   context: ReplicaContext) throws -> (fake: Double, real: Double) {
    group.zeroGradients()
    let out = try noGrad { try g(seg, context: context) }
    let p = judgeAll(seg, out, realImage: realImage, realEdge: realEdge, detach: true)
    func hinge(_ predictions: [[Tensor]], real: Bool) -> Tensor {
      MultiscaleGANLoss.hinge(predictions, targetIsReal: real, forDiscriminator: true)
    }
    let fake = hinge(p.image.fake, real: false) + hinge(p.edge.fake, real: false) + hinge(p.refined.fake, real: false) * 2
    let real = hinge(p.image.real, real: true) + hinge(p.edge.real, real: true) + hinge(p.refined.real, real: true) * 2
    try context.backward(fake + real, synchronizing: [group])
    optimizerD.step()
    return (Double(fake.item), Double(real.item))
  }

  /// The pixel contrast's memory bank, if any (the same on every rank).
  public func extraState() -> [(name: String, tensor: Tensor)] { contrast?.extraState() ?? [] }

  public func loadExtraState(_ state: [String: Tensor]) throws {
    guard let contrast else {
      if !state.isEmpty { throw StateDictError.unexpectedKeys(state.keys.sorted()) }
      return
    }
    try contrast.loadExtraState(state)
  }

  public func visuals() -> [(name: String, image: Tensor)] { lastVisuals }

  /// "negatives_per_query" of the pixel contrast's last step (mean keys of other classes per anchor).
  public func trainingStatistics() -> [(name: String, value: Double)] { lastStatistics }

  /// I″ of a label input S (N, semanticNC, H, W) without gradient (`direction` does not apply: ECGAN maps label
  /// maps to images only). The generator's synchronised batch norm is a collective in training mode; in eval mode
  /// (inference) it uses its running statistics.
  public func translate(_ x: Tensor, direction: Direction) -> Tensor {
    do { return try noGrad { try g(x, context: LocalReplicaContext()) }.refinedImage } catch {
      preconditionFailure("ECGAN.translate: \(error)")
    }
  }
}
