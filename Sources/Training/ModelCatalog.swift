import Models

/// Builds the model `--model` names from the training options; every model the trainer runs is listed here.
public enum ModelCatalog {
  public static func make(_ o: TrainingOptions) throws -> any TranslationModel {
    switch o.model {
    case "cyclegan": return try CycleGAN(try cycleGANOptions(o))
    default:
      throw TrainingOptionError(option: "--model", reason: "unknown model '\(o.model)' (expected \(TrainingOptions.models.joined(separator: ", ")))")
    }
  }

  /// The options of the networks every model shares, parsed from their command-line names.
  static func cycleGANOptions(_ o: TrainingOptions) throws -> CycleGANOptions {
    var c = CycleGANOptions()
    c.inputNC = o.inputNC
    c.outputNC = o.outputNC
    c.ngf = o.ngf
    c.ndf = o.ndf
    c.netG = try .parse(o.netG, option: "--netG")
    c.netD = try .parse(o.netD, option: "--netD")
    c.nLayersD = o.nLayersD
    c.norm = try .parse(o.norm, option: "--norm")
    c.initType = try .parse(o.initType, option: "--init-type")
    c.initGain = o.initGain
    c.noDropout = !o.dropout
    c.ganMode = try .parse(o.ganMode, option: "--gan-mode")
    c.poolSize = o.poolSize
    c.lambdaA = o.lambdaA
    c.lambdaB = o.lambdaB
    c.lambdaIdentity = o.lambdaIdentity
    c.lr = o.lr
    c.beta1 = o.beta1
    c.seed = o.seed
    return c
  }
}
