import NN
import Replicas
import Tensors

/// What CUT and EnCo share (spec §3.8, §4.7): one generator G: A → B, a PatchGAN D, a patch head F that the model
/// builds on its first batch, their optimisers and replica groups "G", "D", "F", and the two halves of a step that
/// are the same in both: D's update on detached fakes, and the joint G and F update after one backward. The model
/// keeps its losses and its step; this keeps the networks and their bookkeeping.
final class OneSidedGAN<F: Module> {
  /// The model's name, for the messages of a misuse.
  let model: String
  let g: ResnetGenerator
  let d: NLayerDiscriminator
  let f: F
  let optimizerG: any Optimizer, optimizerD: any Optimizer
  /// Created with F's heads (`attachF`); nil while F has no parameters.
  private(set) var optimizerF: (any Optimizer)?
  let gan: GANLoss
  private let network: NetworkOptions, betas: (Float, Float)
  private weak var preparedContext: ReplicaContext?
  /// The replica groups of G, D and F (F's only once it has parameters), from `prepare(context:)`.
  private var groups: (g: GradientGroup, d: GradientGroup, f: GradientGroup?)?

  /// G and D built and initialised from `n.seed` (the same on every rank), and their optimisers.
  init(_ n: NetworkOptions, model: String, f: F, lrG: Float, lrD: Float, betas: (Float, Float)) {
    self.model = model
    g = Networks.oneSidedGenerator(n)
    d = Networks.discriminator(n.netD, inputNC: n.outputNC, ndf: n.ndf, nLayers: n.nLayersD, norm: n.norm,
                               antialias: !n.noAntialias)
    Networks.initialize(d, name: "D", n.initType, gain: n.initGain, seed: n.seed)
    self.f = f
    optimizerG = n.optimizer.make(g.parameters(), lr: lrG, betas: betas)
    optimizerD = n.optimizer.make(d.parameters(), lr: lrD, betas: betas)
    gan = GANLoss(mode: n.ganMode)
    (network, self.betas) = (n, betas)
  }

  var networks: [(name: String, module: Module)] { [("G", g), ("D", d), ("F", f)] }

  var optimizers: [(name: String, optimizer: any Optimizer)] {
    [("G", optimizerG), ("D", optimizerD)] + (optimizerF.map { [("F", $0)] } ?? [])
  }

  /// F's optimiser, once its heads are built (nothing when they have no parameters).
  func attachF(lr: Float) {
    if !f.parameters().isEmpty { optimizerF = network.optimizer.make(f.parameters(), lr: lr, betas: betas) }
  }

  func prepare(context: ReplicaContext) throws {
    groups = (try context.register(group: "G", networks: [("G", g)]),
              try context.register(group: "D", networks: [("D", d)]),
              optimizerF == nil ? nil : try context.register(group: "F", networks: [("F", f)]))
    preparedContext = context
  }

  /// The groups registered with `context`; a model that was not prepared with it (or gained F since) is a
  /// programming error.
  func preparedGroups(_ context: ReplicaContext) -> (g: GradientGroup, d: GradientGroup, f: GradientGroup?) {
    guard let groups, preparedContext === context, (groups.f == nil) == (optimizerF == nil) else {
      preconditionFailure("\(model): call prepare(context:) with this context after dataDependentInitialize")
    }
    return groups
  }

  /// L_D = ½·[GAN(D(fake), 0) + GAN(D(real), 1)], D averaged over ranks and stepped; the losses and D's two score
  /// maps (detached; EnCo's DAG sampler reads the fake one).
  func updateDiscriminator(realB: Tensor, fakeB: Tensor, context: ReplicaContext) throws
    -> (real: Double, fake: Double, scoresReal: Tensor, scoresFake: Tensor) {
    let group = preparedGroups(context).d
    group.zeroGradients()
    let scoresFake = d(fakeB), scoresReal = d(realB)
    let lossFake = gan(scoresFake, targetIsReal: false), lossReal = gan(scoresReal, targetIsReal: true)
    try context.backward((lossFake + lossReal) * 0.5, synchronizing: [group])
    optimizerD.step()
    return (Double(lossReal.item), Double(lossFake.item), scoresReal.detached(), scoresFake.detached())
  }

  /// G's loss with D frozen: `loss(scores)` gets D's map on `fakeB` and returns L_G; then one backward that averages
  /// F and G over ranks, and G and F step.
  func updateGeneratorAndF(fakeB: Tensor, context: ReplicaContext, loss: (Tensor) throws -> Tensor) throws {
    let groups = preparedGroups(context)
    d.freeze()
    defer { d.unfreeze() }
    groups.g.zeroGradients()
    groups.f?.zeroGradients()
    let lossG = try loss(d(fakeB))
    // NOTE: F first: its gradients are complete early in backward (F is next to the loss), G's first layers last.
    try context.backward(lossG, synchronizing: (groups.f.map { [$0] } ?? []) + [groups.g])
    optimizerG.step()
    optimizerF?.step()
  }
}
