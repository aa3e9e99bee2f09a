import Models

/// Builds the model `--model` names from the training options; every model the trainer runs is listed here.
public enum ModelCatalog {
  public static func make(_ o: TrainingOptions) throws -> any TranslationModel {
    switch o.model {
    case "cyclegan": return try CycleGAN(try cycleGANOptions(o))
    case "cut", "fastcut": return try CUT(try cutOptions(o))
    case "enco": return try EnCo(try enCoOptions(o))
    default:
      throw TrainingOptionError(option: "--model", reason: "unknown model '\(o.model)' (expected \(TrainingOptions.models.joined(separator: ", ")))")
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
      throw InvalidOption("--netF", "EnCo has the heads 'mlp_sample_with_DAG' only, got '\(o.netF)'")
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
