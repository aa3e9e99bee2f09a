import Replicas
import NN
import Tensors

/// CycleGAN (Zhu, Park, Isola, Efros, ICCV 2017; spec §2): two generators that translate between unpaired domains
/// A and B, each judged by a PatchGAN, tied together by cycle consistency.
///
///   G_A: A → B (the paper's G), judged by D_A on B-domain images (D_Y)
///   G_B: B → A (the paper's F), judged by D_B on A-domain images (D_X)
///
///   L_G  = GAN(D_A(G_A(A)), 1) + GAN(D_B(G_B(B)), 1)
///        + λ_A·|G_B(G_A(A)) − A|₁ + λ_B·|G_A(G_B(B)) − B|₁            (cycle)
///        + λ_B·λ_idt·|G_A(B) − B|₁ + λ_A·λ_idt·|G_B(A) − A|₁          (identity, if λ_idt > 0)
///   L_DA = ½[GAN(D_A(B), 1) + GAN(D_A(pool_B(G_A(A))), 0)],  L_DB likewise with A and pool_A.
///
/// One Adam optimiser updates both generators (replica group "G"), another both discriminators (group "D").
public final class CycleGAN: TranslationModel {
  public let options: CycleGANOptions
  /// G_A: A → B, G_B: B → A, each (N, C, H, W) → (N, C, H, W).
  public let gA: ResnetGenerator, gB: ResnetGenerator
  /// D_A scores B-domain images, D_B A-domain images: (N, C, H, W) → (N, 1, H', W').
  public let dA: NLayerDiscriminator, dB: NLayerDiscriminator
  public let optimizerG: any Optimizer, optimizerD: any Optimizer
  /// History of G_B's outputs for D_B, and of G_A's outputs for D_A.
  public let fakeAPool: ImagePool, fakeBPool: ImagePool
  let gan: GANLoss
  private weak var preparedContext: ReplicaContext?
  /// The replica groups of both generators and of both discriminators, from `prepare(context:)`.
  private var groups: (g: GradientGroup, d: GradientGroup)?
  private var lastVisuals: [(name: String, image: Tensor)] = []

  /// Builds the four networks, initialised from `options.seed` (the same on every rank), and their optimisers.
  public init(_ options: CycleGANOptions) throws {
    try options.validate()
    let o = options
    func discriminator(_ inputNC: Int, _ name: String) -> NLayerDiscriminator {
      let d = Networks.discriminator(o.netD, inputNC: inputNC, ndf: o.ndf, nLayers: o.nLayersD, norm: o.norm)
      Networks.initialize(d, name: name, o.initType, gain: o.initGain, seed: o.seed)
      return d
    }
    self.options = options
    gA = Self.generator(o, direction: .aToB).network
    gB = Self.generator(o, direction: .bToA).network
    dA = discriminator(o.outputNC, "D_A")
    dB = discriminator(o.inputNC, "D_B")
    optimizerG = o.optimizer.make(gA.parameters() + gB.parameters(), lr: o.lr, betas: (o.beta1, 0.999))
    optimizerD = o.optimizer.make(dA.parameters() + dB.parameters(), lr: o.lr, betas: (o.beta1, 0.999))
    fakeAPool = ImagePool(capacity: o.poolSize, name: "fake_A_pool", seed: o.seed)
    fakeBPool = ImagePool(capacity: o.poolSize, name: "fake_B_pool", seed: o.seed)
    gan = GANLoss(mode: o.ganMode)
  }

  public var networks: [(name: String, module: Module)] { [("G_A", gA), ("G_B", gB), ("D_A", dA), ("D_B", dB)] }

  public var optimizers: [(name: String, optimizer: any Optimizer)] { [("G", optimizerG), ("D", optimizerD)] }

  public func prepare(context: ReplicaContext) throws {
    groups = (try context.register(group: "G", networks: [("G_A", gA), ("G_B", gB)]),
              try context.register(group: "D", networks: [("D_A", dA), ("D_B", dB)]))
    preparedContext = context
  }

  /// Spec §2.3: forward both generators, update the generators through frozen discriminators, then update the
  /// discriminators on real images and pooled fakes (made before the generator update).
  public func trainStep(_ batch: TrainingBatch, step: Int,
                        context: ReplicaContext) throws -> [(name: String, value: Double)] {
    guard let groups, preparedContext === context else {
      preconditionFailure("CycleGAN: call prepare(context:) with this context before trainStep")
    }
    let realA = try batch.field("A"), realB = try batch.field("B")  // (N, inputNC, H, W), (N, outputNC, H, W)
    for (name, g) in [("G_A", gA), ("G_B", gB)] {
      g.rekeyDropout(seed: options.seed,
                     key: [ModelRandomPurpose.dropout.rawValue, stableKey(name), UInt64(step), UInt64(context.rank)])
    }

    let fakeB = gA(realA), recA = gB(fakeB)
    let fakeA = gB(realB), recB = gA(fakeA)
    let g = try updateGenerators(realA: realA, realB: realB, fakeA: fakeA, fakeB: fakeB, recA: recA, recB: recB,
                                 group: groups.g, context: context)
    let d = try updateDiscriminators(realA: realA, realB: realB, fakeA: fakeA.detached(), fakeB: fakeB.detached(),
                                     step: step, group: groups.d, context: context)

    lastVisuals = [("real_A", realA), ("fake_B", fakeB.detached()), ("rec_A", recA.detached())]
    if let idtB = g.idtB { lastVisuals.append(("idt_B", idtB)) }
    lastVisuals += [("real_B", realB), ("fake_A", fakeA.detached()), ("rec_B", recB.detached())]
    if let idtA = g.idtA { lastVisuals.append(("idt_A", idtA)) }

    var losses: [(name: String, value: Double)] = [("D_A", d.dA), ("G_A", g.ganA), ("cycle_A", g.cycleA)]
    if let idt = g.lossIdtA { losses.append(("idt_A", idt)) }
    losses += [("D_B", d.dB), ("G_B", g.ganB), ("cycle_B", g.cycleB)]
    if let idt = g.lossIdtB { losses.append(("idt_B", idt)) }
    return losses
  }

  private struct GeneratorStep {
    var ganA = 0.0, ganB = 0.0, cycleA = 0.0, cycleB = 0.0
    var lossIdtA: Double?, lossIdtB: Double?
    /// G_A(B) and G_B(A), detached, when the identity loss is on.
    var idtA: Tensor?, idtB: Tensor?
  }

  /// L_G (see the type's summary) with D_A and D_B frozen; backward averages group "G" over ranks; one Adam step.
  private func updateGenerators(realA: Tensor, realB: Tensor, fakeA: Tensor, fakeB: Tensor, recA: Tensor, recB: Tensor,
                                group: GradientGroup, context: ReplicaContext) throws -> GeneratorStep {
    dA.freeze(); dB.freeze()
    defer { dA.unfreeze(); dB.unfreeze() }
    group.zeroGradients()
    let (lambdaA, lambdaB, lambdaIdt) = (options.lambdaA, options.lambdaB, options.lambdaIdentity)
    var result = GeneratorStep()
    var identity: Tensor?
    if lambdaIdt > 0 {
      let idtA = gA(realB), idtB = gB(realA)
      let lossIdtA = l1Loss(idtA, realB) * (lambdaB * lambdaIdt), lossIdtB = l1Loss(idtB, realA) * (lambdaA * lambdaIdt)
      identity = lossIdtA + lossIdtB
      (result.idtA, result.idtB) = (idtA.detached(), idtB.detached())
      (result.lossIdtA, result.lossIdtB) = (Double(lossIdtA.item), Double(lossIdtB.item))
    }
    let ganA = gan(dA(fakeB), targetIsReal: true), ganB = gan(dB(fakeA), targetIsReal: true)
    let cycleA = l1Loss(recA, realA) * lambdaA, cycleB = l1Loss(recB, realB) * lambdaB
    var lossG = ganA + ganB + cycleA + cycleB
    if let identity { lossG = lossG + identity }
    try context.backward(lossG, synchronizing: [group])
    optimizerG.step()
    (result.ganA, result.ganB) = (Double(ganA.item), Double(ganB.item))
    (result.cycleA, result.cycleB) = (Double(cycleA.item), Double(cycleB.item))
    return result
  }

  /// L_DA + L_DB on real images and pooled fakes; backward averages group "D" over ranks; one Adam step.
  private func updateDiscriminators(realA: Tensor, realB: Tensor, fakeA: Tensor, fakeB: Tensor, step: Int,
                                    group: GradientGroup, context: ReplicaContext) throws -> (dA: Double, dB: Double) {
    group.zeroGradients()
    let lossDA = discriminatorLoss(dA, real: realB, fake: fakeBPool.query(fakeB, step: step, rank: context.rank))
    let lossDB = discriminatorLoss(dB, real: realA, fake: fakeAPool.query(fakeA, step: step, rank: context.rank))
    try context.backward(lossDA + lossDB, synchronizing: [group])
    optimizerD.step()
    return (Double(lossDA.item), Double(lossDB.item))
  }

  /// ½[GAN(D(real), 1) + GAN(D(fake), 0)]
  private func discriminatorLoss(_ d: NLayerDiscriminator, real: Tensor, fake: Tensor) -> Tensor {
    (gan(d(real), targetIsReal: true) + gan(d(fake), targetIsReal: false)) * 0.5
  }

  /// "fake_A_pool.count", "fake_A_pool.images", and the same for fake_B_pool (this rank's pools).
  public func extraState() -> [(name: String, tensor: Tensor)] {
    [("fake_A_pool", fakeAPool), ("fake_B_pool", fakeBPool)].flatMap { prefix, pool in
      pool.stateDict().map { ("\(prefix).\($0.name)", $0.tensor) }
    }
  }

  public func loadExtraState(_ state: [String: Tensor]) throws {
    let pools = [("fake_A_pool", fakeAPool), ("fake_B_pool", fakeBPool)]
    let unexpected = state.keys.filter { key in !pools.contains { key.hasPrefix($0.0 + ".") } }.sorted()
    if !unexpected.isEmpty { throw StateDictError.unexpectedKeys(unexpected) }
    for (prefix, pool) in pools {
      var own: [String: Tensor] = [:]
      for (key, t) in state where key.hasPrefix(prefix + ".") { own[String(key.dropFirst(prefix.count + 1))] = t }
      try pool.loadStateDict(own)
    }
  }

  public func visuals() -> [(name: String, image: Tensor)] { lastVisuals }

  public func translate(_ x: Tensor, direction: Direction) -> Tensor {
    noGrad { direction == .aToB ? gA(x) : gB(x) }
  }
}

extension CycleGAN {
  /// The generator that translates in `direction`, by checkpoint name: G_A (A → B) or G_B (B → A), initialised as
  /// training initialises it.
  public static func generator(_ o: CycleGANOptions,
                               direction: Direction) -> (name: String, network: ResnetGenerator) {
    let (name, inputNC, outputNC) = direction == .aToB ? ("G_A", o.inputNC, o.outputNC) : ("G_B", o.outputNC, o.inputNC)
    return (name, Networks.generator(o.network, name: name, inputNC: inputNC, outputNC: outputNC, antialiased: false))
  }

  /// Inference in `direction` alone: that one generator (no discriminator, no optimiser, no pool).
  public static func translator(_ o: CycleGANOptions, direction: Direction) throws -> GeneratorTranslator {
    try o.validate()
    let g = generator(o, direction: direction)
    let (inputNC, outputNC) = direction == .aToB ? (o.inputNC, o.outputNC) : (o.outputNC, o.inputNC)
    return GeneratorTranslator(generatorName: g.name, generator: g.network, inputChannels: inputNC, outputChannels: outputNC)
  }
}
