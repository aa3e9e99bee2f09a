import NN
import Models

/// Builds the model `--model` names from the training options, or for inference its generator alone; every model
/// the trainer runs is listed here.
public enum ModelCatalog {
  public static func make(_ o: TrainingOptions) throws -> any TranslationModel {
    switch try modelType(o.model) {
    case is CycleGAN.Type: return try CycleGAN(try cycleGANOptions(o))
    case is CUT.Type: return try CUT(try cutOptions(o))
    case is EnCo.Type: return try EnCo(try enCoOptions(o))
    case let type: preconditionFailure("ModelCatalog.make: no case for \(type)")
    }
  }

  /// Inference alone for `o`'s model in `direction`: the generator(s) that translate, built as training builds them
  /// (to be loaded from the checkpoint), and no discriminator, F or optimiser; nil if the model does not translate
  /// `direction`.
  public static func translator(_ o: TrainingOptions, direction: Direction) throws -> (any Translator)? {
    switch try modelType(o.model) {
    case is CycleGAN.Type: return try CycleGAN.translator(try cycleGANOptions(o), direction: direction)
    case is CUT.Type: return try CUT.translator(try cutOptions(o), direction: direction)
    case is EnCo.Type: return try EnCo.translator(try enCoOptions(o), direction: direction)
    case let type: preconditionFailure("ModelCatalog.translator: no case for \(type)")
    }
  }

  /// The model kind `--model` names, for its rules (`loadsAtCropSizeWhileDecaying`) without building it.
  public static func modelType(_ name: String) throws -> any TranslationModel.Type {
    switch name {
    case "cyclegan": return CycleGAN.self
    case "cut", "fastcut": return CUT.self
    case "enco": return EnCo.self
    default:
      throw OptionError(option: "--model", reason: "unknown model '\(name)' (expected \(TrainingOptions.models.joined(separator: ", ")))")
    }
  }

  /// The options of the networks every model shares, parsed from their command-line names (the model's own
  /// defaults, such as CUT's xavier init, are already in `o` through `TrainingOptions(model:)`).
  static func networkOptions(_ o: TrainingOptions) throws -> NetworkOptions {
    var n = NetworkOptions()
    (n.inputNC, n.outputNC, n.ngf, n.ndf, n.nLayersD) = (o.inputNC, o.outputNC, o.ngf, o.ndf, o.nLayersD)
    n.netG = try .parse(o.netG, option: "--netG")
    n.netD = try .parse(o.netD, option: "--netD")
    n.norm = try .parse(o.norm, option: "--norm")
    n.initType = try .parse(o.initType, option: "--init-type")
    n.initGain = o.initGain
    n.optimizer = try .parse(o.optimizer, option: "--optimizer")
    n.noDropout = !o.dropout
    (n.noAntialias, n.noAntialiasUp) = (o.noAntialias, o.noAntialiasUp)
    n.ganMode = try .parse(o.ganMode, option: "--gan-mode")
    n.seed = o.seed
    return n
  }

  /// CycleGAN's options.
  static func cycleGANOptions(_ o: TrainingOptions) throws -> CycleGANOptions {
    var c = CycleGANOptions()
    c.network = try networkOptions(o)
    c.poolSize = o.poolSize
    c.lambdaA = o.lambdaA
    c.lambdaB = o.lambdaB
    c.lambdaIdentity = o.lambdaIdentity
    c.lr = o.lr
    c.beta1 = o.beta1
    return c
  }

  /// CUT's and FastCUT's options (their different defaults come from `TrainingOptions(model:)`).
  static func cutOptions(_ o: TrainingOptions) throws -> CUTOptions {
    var c = CUTOptions()
    c.network = try networkOptions(o)
    c.lambdaGAN = o.lambdaGAN
    c.lambdaNCE = o.lambdaNCE
    c.nceIdt = o.nceIdt
    c.nceLayers = try CUTOptions.parseLayers(o.nceLayers)
    c.netF = try .parse(o.netF, option: "--netF")
    c.netFNC = o.netFNC
    c.nceT = o.nceT
    c.numPatches = o.numPatches
    c.flipEquivariance = o.flipEquivariance
    c.negatives = try .parse(o.negatives, option: "--negatives")
    c.lr = o.lr
    c.beta1 = o.beta1
    c.beta2 = o.beta2
    return c
  }

  /// EnCo's options (its README defaults come from `TrainingOptions(model:)`); a negative `--stop-idt-epochs` (the
  /// reference's default −1) means n_epochs.
  static func enCoOptions(_ o: TrainingOptions) throws -> EnCoOptions {
    guard o.netF == "mlp_sample_with_DAG" else {
      throw OptionError("--netF", "EnCo has the heads 'mlp_sample_with_DAG' only, got '\(o.netF)'")
    }
    var e = EnCoOptions()
    e.network = try networkOptions(o)
    e.lambdaGAN = o.lambdaGAN
    e.lambdaNCE = o.lambdaNCE
    e.lambdaIDT = o.lambdaIDT
    e.nceIdt = o.nceIdt
    e.stopIdtEpochs = o.stopIdtEpochs < 0 ? o.nEpochs : o.stopIdtEpochs
    (e.decayIdt, e.totalEpochs) = (o.decayIdt, o.nEpochs + o.nEpochsDecay)
    e.nceLayers = try CUTOptions.parseLayers(o.nceLayers)
    e.loss = try .parse(o.encoLoss, option: "--enco-loss")
    e.nceT = o.nceT
    e.negatives = try .parse(o.negatives, option: "--negatives")
    e.netFNC = o.netFNC
    e.prjNorm = try .parse(o.prjNorm, option: "--prj-norm")
    e.noPredictor = o.noPredictor
    e.numPatches = o.numPatches
    e.oversampleRatio = o.oversampleRatio
    e.randomRatio = o.randomRatio
    e.flipEquivariance = o.flipEquivariance
    e.lrG = o.lrG
    e.lrD = o.lrD
    e.lrF = o.lrF
    e.beta1 = o.beta1
    e.beta2 = o.beta2
    return e
  }
}
