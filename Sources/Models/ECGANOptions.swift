import NN
import Tensors

/// ECGAN's options (spec §2.4–2.7; Ha0Tang/ECGAN@984be01 `options/*.py`, `models/networks/generator.py`). The
/// training options are the official code's defaults (`--lr 0.0002` with TTUR, `--beta1 0 --beta2 0.9`,
/// `--lambda_feat 10 --lambda_vgg 10`, hinge loss, `--init_type xavier --init_variance 0.02`); the network sizes are
/// the CPU default of spec §7, "ECGAN-mini" (ngf 16, 4 SPADE ResBlks, 2 discriminator scales of 3 layers, instance
/// norm in the SPADEs). The official sizes: `--ngf 64 --up-blocks 4 --middle-blocks --spade-norm syncbatch
/// --n-layers-D 4`.
public struct ECGANOptions: ModelOptions {
  /// Classes of the label maps, without the don't-care class (the reference's `--label_nc`; Cityscapes 35, ADE20K
  /// 150, the embedded brain set 4).
  public var labelNC = 4
  /// The label maps hold a don't-care class (id 255, or ADE20K's shifted 0): one more one-hot channel.
  public var containDontcareLabel = false
  /// No instance maps: the default here (the reference reads them unless `--no_instance`); without it each
  /// example's instance map adds the instance-edge channel.
  public var noInstance = true
  public var ngf = 16
  /// ResBlks up_0 … up_(n−1) after head_0 (the reference: 4).
  public var upBlocks = 3
  /// G_middle_0 and G_middle_1 after head_0, with a ×2 upsampling (the reference always has them).
  public var middleBlocks = false
  /// `--num_upsampling_layers more` (Cityscapes): one more ×2 between the middle blocks.
  public var moreUpsampling = false
  /// The SPADEs' parameter-free norm (the reference's `norm_G spectralspadesyncbatch3x3`: syncbatch).
  public var spadeNorm = SPADENorm.instance
  /// Spectral norm on the ResBlks' convs (the `spectral` of `norm_G`).
  public var spectralG = true
  /// The SPADEs' hidden width (the reference hard-codes 128).
  public var spadeHidden = 128
  /// Widths of the edge and image heads' first three convs (the reference hard-codes 32, 16, 8).
  public var headChannels = [32, 16, 8]
  public var ndf = 64
  /// Layers of each discriminator scale (the reference's `--n_layers_D`, 4).
  public var nLayersD = 3
  public var numD = 2
  /// Spectral norm on the discriminator's convs (`norm_D spectralinstance`).
  public var spectralD = true
  public var lambdaFeat: Float = 10
  public var noGanFeatLoss = false
  public var lambdaVGG: Float = 10
  /// torchvision's VGG19 `features` as safetensors (`scripts/convert_vgg19.py`); empty: the perceptual term is
  /// off, and the run says so.
  public var vggWeights = ""
  public var noVggLoss = false
  /// Weight of the cross-layout pixel contrastive loss (spec §2.6; the paper's term without official code, weight
  /// ≈ 1 by the spec's suggestion; 0: off, the official code's objective).
  public var lambdaCL: Float = 1
  /// Pixels per present class per image that the contrastive loss samples (K).
  public var pixelsPerClass = 32
  /// τ of the pixel contrastive loss.
  public var pixelT: Float = 0.1
  /// Width of the projection head's embeddings.
  public var pixelWidth = 128
  /// Keys of the pixel contrastive loss: the anchor's image, this rank's batch, or every rank's (the default: the
  /// spec's layouts of the whole batch).
  public var negatives = NegativeSource.global
  /// Keys kept per class in a memory bank, identical on every rank (0: no bank).
  public var pixelMemory = 0
  /// Adam's lr: G gets lr/2 and D 2·lr (TTUR) unless `noTTUR`.
  public var lr: Float = 2e-4
  public var noTTUR = false
  public var beta1: Float = 0
  public var beta2: Float = 0.9
  /// Adam (the reference); SGD for the equivalence checks (same learning rates, betas unused).
  public var optimizer = OptimizerKind.adam
  public var initType = InitType.xavier
  /// The reference's `--init_variance`: xavier's gain (or normal's std).
  public var initVariance: Float = 0.02
  /// Keys weight initialisation and every random choice (not an option: the run's `--seed`).
  public var seed: UInt64 = 0

  public init() {}

  enum CodingKeys: String, CodingKey {
    case labelNC, containDontcareLabel, noInstance, ngf, upBlocks, middleBlocks, moreUpsampling, spadeNorm, spectralG,
         spadeHidden, headChannels, ndf, nLayersD, numD, spectralD, lambdaFeat, noGanFeatLoss, lambdaVGG, vggWeights,
         noVggLoss, lambdaCL, pixelsPerClass, pixelT, pixelWidth, negatives, pixelMemory, lr, noTTUR, beta1, beta2,
         optimizer, initType, initVariance
  }

  public static let optionHelp: [OptionHelp] = [
    OptionHelp("labelNC", flag: "label-nc", "Classes of the label maps, without don't-care (Cityscapes 35, ADE20K 150)."),
    OptionHelp("containDontcareLabel", "The label maps hold a don't-care class (id 255; ADE20K's 0): one more channel."),
    OptionHelp("noInstance", "No instance maps (with instance maps, --no-instance false adds the instance-edge channel)."),
    OptionHelp("ngf", "Generator width: the last ResBlk's channels."),
    OptionHelp("upBlocks", "ResBlks after head_0, each after a ×2 upsampling, halving the width (official: 4)."),
    OptionHelp("middleBlocks", "G_middle_0 and G_middle_1 after head_0 (official: true)."),
    OptionHelp("moreUpsampling", "One more ×2 between the middle blocks (--num_upsampling_layers more, Cityscapes)."),
    OptionHelp("spadeNorm", "The SPADEs' parameter-free norm (official: syncbatch, over every rank's batch).", SPADENorm.self),
    OptionHelp("spectralG", flag: "spectral-G", "Spectral norm on the generator's ResBlk convs."),
    OptionHelp("spadeHidden", "Hidden width of each SPADE (official: 128)."),
    OptionHelp("headChannels", "Widths of the edge and image heads' first three convs."),
    OptionHelp("ndf", "Discriminator width."),
    OptionHelp("nLayersD", flag: "n-layers-D", "Layers of each discriminator scale (official: 4)."),
    OptionHelp("numD", flag: "num-D", "Discriminator scales."),
    OptionHelp("spectralD", flag: "spectral-D", "Spectral norm on the discriminator's convs."),
    OptionHelp("lambdaFeat", "Weight of discriminator feature matching."),
    OptionHelp("noGanFeatLoss", flag: "no-ganFeat-loss", "No discriminator feature matching."),
    OptionHelp("lambdaVGG", flag: "lambda-vgg", "Weight of the VGG19 perceptual loss."),
    OptionHelp("vggWeights", flag: "vgg-weights", "torchvision VGG19 features as safetensors (scripts/convert_vgg19.py); without it the perceptual loss is off."),
    OptionHelp("noVggLoss", flag: "no-vgg-loss", "No VGG19 perceptual loss."),
    OptionHelp("lambdaCL", flag: "lambda-CL", "Weight of the cross-layout pixel contrastive loss (0: off, as the official code)."),
    OptionHelp("pixelsPerClass", "Pixels sampled per present class per image for the contrastive loss."),
    OptionHelp("pixelT", flag: "pixel-T", "Temperature of the pixel contrastive loss."),
    OptionHelp("pixelWidth", "Width of the pixel projection head."),
    OptionHelp("negatives", "Keys of the pixel contrast: the same image, this rank's batch, or every rank's.", NegativeSource.self),
    OptionHelp("pixelMemory", "Keys per class in a memory bank shared by every rank (0: none)."),
    OptionHelp("lr", "Adam's learning rate: G lr/2, D 2·lr with TTUR."),
    OptionHelp("noTTUR", flag: "no-TTUR", "G and D both at --lr."),
    OptionHelp("beta1", "Adam's β₁."),
    OptionHelp("beta2", "Adam's β₂."),
    OptionHelp("optimizer", "Adam (reference) or plain SGD.", OptimizerKind.self),
    OptionHelp("initType", "Weight initialisation.", InitType.self),
    OptionHelp("initVariance", "Gain (xavier) or standard deviation (normal) of the initialisation."),
  ]

  /// One-hot channels of a label map: the classes and the don't-care class.
  public var labelChannels: Int { labelNC + (containDontcareLabel ? 1 : 0) }
  /// The generator's and discriminator's label input: one-hot channels and the instance-edge channel.
  public var semanticNC: Int { labelChannels + (noInstance ? 0 : 1) }
  /// The label map's field kind: the classes, and don't care as the id after them.
  public var labelKind: FieldKind { .labelMap(classes: labelNC, dontCare: containDontcareLabel ? labelNC : nil) }

  /// The generator's and discriminator's input S of label maps (N, 1, H, W) and, unless `noInstance`, instance
  /// maps: one-hot with don't care, then the instance edges.
  public func semantics(label: Tensor, instance: Tensor?) throws -> Tensor {
    try SemanticLabels.encode(label: label, instance: noInstance ? nil : instance, labelNC: labelNC,
                              dontCare: containDontcareLabel)
  }

  /// The perceptual term is on: asked for, and its weights given.
  public var perceptualLoss: Bool { !noVggLoss && lambdaVGG > 0 && !vggWeights.isEmpty }
  /// Learning rates of G and D.
  public var learningRates: (g: Float, d: Float) { noTTUR ? (lr, lr) : (lr / 2, lr * 2) }

  /// The pixel contrastive loss of these options (nil when λ_CL is 0); its bad options are errors naming them.
  public func pixelContrast() throws -> PixelContrastLoss? {
    guard lambdaCL > 0 else { return nil }
    return try PixelContrastLoss(classes: labelChannels, width: pixelWidth, pixelsPerClass: pixelsPerClass,
                                 temperature: pixelT, negatives: negatives, dontCare: containDontcareLabel ? labelNC : nil,
                                 memoryPerClass: pixelMemory, seed: seed)
  }

  /// Whether the perceptual term is on, and why not.
  public var notes: [String] {
    if perceptualLoss { return ["perceptual loss: VGG19 from \(vggWeights), weight \(lambdaVGG)"] }
    let why = noVggLoss ? "--no-vgg-loss" : lambdaVGG == 0 ? "--lambda-vgg 0"
      : "no --vgg-weights (torchvision's VGG19 as safetensors: scripts/convert_vgg19.py)"
    return ["perceptual loss: off (\(why)); the official code trains with it"]
  }

  public var generatorShape: ECGANGeneratorShape {
    var s = ECGANGeneratorShape(semanticNC: semanticNC, labelNC: labelNC)
    (s.ngf, s.upBlocks, s.middleBlocks, s.moreUpsampling) = (ngf, upBlocks, middleBlocks, moreUpsampling)
    (s.spadeNorm, s.spectral, s.spadeHidden, s.headChannels) = (spadeNorm, spectralG, spadeHidden, headChannels)
    return s
  }

  public func validate() throws {
    try checkAdam(lr: [("--lr", lr)], betas: [("--beta1", beta1), ("--beta2", beta2)])
    for (name, value, least) in [("--label-nc", labelNC, 1), ("--ngf", ngf, 1), ("--up-blocks", upBlocks, 1),
                                 ("--spade-hidden", spadeHidden, 1), ("--ndf", ndf, 1), ("--n-layers-D", nLayersD, 1),
                                 ("--num-D", numD, 1)] where value < least {
      throw OptionError(name, "must be at least \(least), got \(value)")
    }
    if labelNC > 255 - (containDontcareLabel ? 1 : 0) {
      throw OptionError("--label-nc", "must be below 255 (255 is the don't-care id), got \(labelNC)")
    }
    if headChannels.count != 3 || headChannels.contains(where: { $0 < 1 }) {
      throw OptionError("--head-channels", "needs three positive widths, got \(headChannels.map(String.init).joined(separator: ","))")
    }
    for (name, value) in [("--lambda-feat", lambdaFeat), ("--lambda-vgg", lambdaVGG), ("--init-variance", initVariance),
                          ("--lambda-CL", lambdaCL)]
    where !(value >= 0 && value.isFinite) {
      throw OptionError(name, "must be ≥ 0, got \(value)")
    }
    _ = try pixelContrast()
    if spadeNorm == .batch {
      throw OptionError("--spade-norm", "batch is per rank; use syncbatch (every rank's batch, the reference) or instance")
    }
  }
}
