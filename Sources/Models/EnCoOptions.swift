import NN

/// `--enco-loss`: how EnCo compares a decoder patch with its encoder patch.
public enum EnCoLossKind: String, OptionName, Sendable {
  /// The first paper's (arXiv 2211.10867 v1) patch-wise contrastive loss: PatchNCE with the decoder patch as the
  /// query, the encoder patch at the same position as the positive and the encoder patches at the other sampled
  /// positions as negatives.
  case nce
  /// The official code's (and v3's) 2 − 2·cos with stop-gradient on the encoder side.
  case byol
}

/// EnCo's options with the README's settings (spec §4.7, §4.8): `--nce_layers 3,7,13,18,24,28 --lambda_IDT 10
/// --lambda_NCE 2 --netF mlp_sample_with_DAG --lr_G 5e-5 --lr_F 5e-5 --lr_D 2e-4 --flip_equivariance True`, and
/// what it shares with CUT: antialiased G and D, instance norm, xavier 0.02, LSGAN, no image pool.
/// `--netF`: EnCo's heads (projector and predictor with DAG sampling), the only kind the official code has for it.
public enum EnCoHeadKind: String, OptionName, Sendable {
  case mlpSampleWithDAG = "mlp_sample_with_DAG"
}

/// `--sampling-strategy`: DAG (hard patches by D's map plus `randomRatio` random ones) or random (every patch at
/// random: DAG with random ratio 1, the paper's ablation).
public enum PatchSamplingStrategy: String, OptionName, Sendable {
  case dag = "DAG"
  case random
}

public struct EnCoOptions: HasNetworkOptions, ModelOptions {
  /// The shared network options (read as `options.ngf`, … through dynamic member lookup).
  public var network = NetworkOptions(initType: .xavier)
  public var lambdaGAN: Float = 1
  /// Weight of the content (encoder–decoder) loss.
  public var lambdaNCE: Float = 2
  /// Weight of the pixel identity loss |G(B) − B|₁.
  public var lambdaIDT: Float = 10
  /// The identity branch (B through G, with its L1 loss) while the epoch is ≤ `stopIdtEpochs`.
  public var nceIdt = true
  /// The last epoch with the identity branch; negative (the reference's −1): n_epochs (`lastIdentityEpoch`).
  public var stopIdtEpochs = -1
  /// `--decay-idt`: λ_IDT scaled by (total − epoch)/total, total = n_epochs + n_epochs_decay (`totalEpochs`).
  public var decayIdt = false
  /// The run's n_epochs and n_epochs + n_epochs_decay (not options: `EnCoDescriptor.make` sets them).
  public var nEpochs = 100
  public var totalEpochs = 200
  /// `stopIdtEpochs` with −1 resolved to n_epochs.
  public var lastIdentityEpoch: Int { stopIdtEpochs < 0 ? nEpochs : stopIdtEpochs }
  public var netF = EnCoHeadKind.mlpSampleWithDAG
  public var samplingStrategy = PatchSamplingStrategy.dag
  /// Separate heads for the encoder branch: the official code forces it off, and so does i2i (only false).
  public var twoF = false
  /// No gradient through the encoder branch: the official default, the only one i2i has (only true).
  public var stopGradient = true
  /// G's Sequential indices: the first half are encoder layers, the second half, reversed, their decoder partners.
  public var nceLayers = [3, 7, 13, 18, 24, 28]
  /// The official code's 2 − 2·cos by default; `nce` is the v1 paper's contrastive variant.
  public var loss = EnCoLossKind.byol
  /// τ of the `nce` loss.
  public var nceT: Float = 0.07
  /// Where the `nce` loss takes its negatives from.
  public var negatives = NegativeSource.image
  /// nc, the width of the projection heads.
  public var netFNC = 256
  public var prjNorm = ProjectionNorm.batch
  /// `--no-predictor`: the decoder branch without the prediction head.
  public var noPredictor = false
  /// The decoder branch has a prediction head only with the byol loss: the v1 code (`datasets/enco_model.py`, its
  /// `calculate_NCE_loss`) projects both branches with netF alone (`prj` is a v3 addition), so `nce` has none.
  public var usesPredictor: Bool { loss == .byol && !noPredictor }
  /// N, patches per image and pair, chosen by DAG with oversampling r and random share ρ.
  public var numPatches = 256
  public var oversampleRatio = 4
  public var randomRatio: Float = 0.5
  /// EnCo's `--flip_equivariance`: the A batch and, independently, the B batch are mirrored with probability ½ each
  /// step, as the official `set_input` does (a plain augmentation, not CUT's flip-back equivariance).
  public var flipEquivariance = true
  public var lrG: Float = 5e-5
  public var lrD: Float = 2e-4
  public var lrF: Float = 5e-5
  public var beta1: Float = 0.5
  public var beta2: Float = 0.999

  public init() {}

  enum CodingKeys: String, CodingKey {
    case network, lambdaGAN, lambdaNCE, lambdaIDT, nceIdt, stopIdtEpochs, decayIdt, nceLayers, loss = "encoLoss", nceT,
         negatives, netFNC, prjNorm, noPredictor, numPatches, oversampleRatio, randomRatio, flipEquivariance, lrG, lrD,
         lrF, beta1, beta2, netF, samplingStrategy, twoF, stopGradient
  }

  public static let optionHelp = NetworkOptions.optionHelp(antialias: true) + [
    OptionHelp("lambdaGAN", flag: "lambda-GAN", "Weight of the GAN loss."),
    OptionHelp("lambdaNCE", flag: "lambda-NCE", "Weight of the encoder–decoder content loss."),
    OptionHelp("lambdaIDT", flag: "lambda-IDT", "Weight of the pixel identity loss |G(B) − B|₁."),
    OptionHelp("nceIdt", "The identity branch (B through G) until --stop-idt-epochs."),
    OptionHelp("stopIdtEpochs", "The last epoch with the identity branch; -1: n_epochs; 0: none."),
    OptionHelp("decayIdt", "Scale lambda-IDT by (total − epoch)/total epochs."),
    OptionHelp("nceLayers", "Generator layers: encoder layers, then their decoder partners in reverse."),
    OptionHelp("encoLoss", flag: "enco-loss", "byol (the official code's 2 − 2·cos) or nce (the v1 paper's).", EnCoLossKind.self),
    OptionHelp("nceT", flag: "nce-T", "Temperature of the nce loss."),
    OptionHelp("negatives", "Negatives of the nce loss.", NegativeSource.self),
    OptionHelp("netF", flag: "netF", "Projection heads.", EnCoHeadKind.self),
    OptionHelp("netFNC", flag: "netF-nc", "Width of the projection heads."),
    OptionHelp("prjNorm", "Norm in the projection heads.", ProjectionNorm.self),
    OptionHelp("noPredictor", "byol: no prediction head on the decoder branch."),
    OptionHelp("numPatches", "Patches per image and layer pair."),
    OptionHelp("oversampleRatio", "DAG: candidates drawn per kept patch."),
    OptionHelp("randomRatio", "DAG: share of the patches drawn at random."),
    OptionHelp("samplingStrategy", "DAG, or random (every patch at random; the official code parses it and always "
                 + "runs DAG, where --random-ratio 1 is the same).", PatchSamplingStrategy.self),
    OptionHelp("twoF", flag: "two-F", "Separate encoder-branch heads (the official code forces false; only false)."),
    OptionHelp("stopGradient", "No gradient through the encoder branch (the official default; only true)."),
    OptionHelp("flipEquivariance", "Mirror the A and the B batch with probability ½ each step."),
    OptionHelp("lrG", flag: "lr-G", "G's learning rate."),
    OptionHelp("lrD", flag: "lr-D", "D's learning rate."),
    OptionHelp("lrF", flag: "lr-F", "The heads' learning rate."),
    OptionHelp("beta1", "Adam's β₁."),
    OptionHelp("beta2", "Adam's β₂."),
  ]
  public static var aliases: [OptionAlias] {
    NetworkOptions.aliases + [OptionAlias("nce-includes-all-negatives-from-minibatch", sets: "negatives", to: "batch")]
  }

  /// The (encoder, decoder) layer pairs: (nceLayers[i], nceLayers[L − 1 − i]) for i < L/2.
  public var layerPairs: [(encoder: Int, decoder: Int)] {
    let half = nceLayers.count / 2
    return (0..<half).map { (nceLayers[$0], nceLayers[nceLayers.count - 1 - $0]) }
  }

  /// Checks the combinations the model cannot run, naming the option at fault.
  public func validate() throws {
    try network.validate()
    try checkAdam(lr: [("--lr-G", lrG), ("--lr-D", lrD), ("--lr-F", lrF)], betas: [("--beta1", beta1), ("--beta2", beta2)])
    if twoF { throw OptionError("--two-F", "the official EnCo code sets two_F = False whatever is given (models/enco_model.py); i2i keeps one F") }
    if !stopGradient { throw OptionError("--stop-gradient", "false is not supported: the encoder branch is always detached, as in the official code's default") }
    if samplingStrategy == .random && randomRatio != 1 {
      throw OptionError("--sampling-strategy", "random draws every patch at random; it conflicts with --random-ratio \(randomRatio)")
    }
    for (name, value) in [("--num-patches", numPatches), ("--oversample-ratio", oversampleRatio)] where value < 1 {
      throw OptionError(name, "must be at least 1, got \(value)")
    }
    if netFNC < 2 { throw OptionError("--netF-nc", "must be at least 2, got \(netFNC)") }
    for (name, value) in [("--lambda-GAN", lambdaGAN), ("--lambda-NCE", lambdaNCE), ("--lambda-IDT", lambdaIDT)]
    where !(value >= 0) {
      throw OptionError(name, "must be ≥ 0, got \(value)")
    }
    if !(nceT > 0) { throw OptionError("--nce-T", "must be > 0, got \(nceT)") }
    if !(0...1).contains(randomRatio) { throw OptionError("--random-ratio", "must be in [0, 1], got \(randomRatio)") }
    if loss == .byol && negatives != .image {
      throw OptionError("--negatives", "the byol loss has no negatives; --negatives applies to --enco-loss nce")
    }
    let layers = ResnetGenerator.layerCount(blocks: network.netG.residualBlocks, antialias: !network.noAntialias,
                                            antialiasUp: !network.noAntialiasUp)
    let listed = nceLayers.map(String.init).joined(separator: ",")
    if lambdaNCE > 0 && (nceLayers.isEmpty || nceLayers.count % 2 != 0) {
      throw OptionError("--nce-layers", "EnCo pairs encoder and decoder layers, so it needs an even number of "
                            + "layers, got \(nceLayers.count) (\(listed))")
    }
    if let bad = nceLayers.first(where: { !(0..<layers).contains($0) }) {
      throw OptionError("--nce-layers", "index \(bad) is not a layer of \(network.netG.rawValue) (0…\(layers - 1))")
    }
    if nceLayers != nceLayers.sorted() || Set(nceLayers).count != nceLayers.count {
      throw OptionError("--nce-layers", "the layers must increase (encoder first, then decoder), got \(listed)")
    }
    if nceIdt && network.inputNC != network.outputNC {
      throw OptionError("--nce-idt", "the identity branch feeds B images to G, so it needs --input-nc = "
                            + "--output-nc (got \(network.inputNC) and \(network.outputNC))")
    }
  }
}
