import NN

/// CUT's options with the reference defaults (spec §3.9, `--CUT_mode CUT`): `--netG resnet_9blocks --netD basic
/// --normG instance --normD instance --init_type xavier --init_gain 0.02 --no_dropout --gan_mode lsgan
/// --lambda_GAN 1 --lambda_NCE 1 --nce_idt --nce_layers 0,4,8,12,16 --netF mlp_sample --netF_nc 256 --nce_T 0.07
/// --num_patches 256 --lr 0.0002 --beta1 0.5 --beta2 0.999`, antialiased G and D. `fastCUT` gives FastCUT's.
public struct CUTOptions: HasNetworkOptions, ModelOptions {
  /// The shared network options (read as `options.ngf`, … through dynamic member lookup).
  public var network = NetworkOptions(initType: .xavier)
  public var lambdaGAN: Float = 1
  public var lambdaNCE: Float = 1
  /// The identity PatchNCE on target-domain images, NCE(B, G(B)) (CUT: on; FastCUT: off).
  public var nceIdt = true
  /// G's Sequential indices whose outputs PatchNCE compares (spec §3.3).
  public var nceLayers = [0, 4, 8, 12, 16]
  public var netF = PatchSamplerKind.mlpSample
  public var netFNC = 256
  /// τ of PatchNCE.
  public var nceT: Float = 0.07
  /// Patches sampled per image and layer.
  public var numPatches = 256
  /// FastCUT: with probability ½ per iteration, G sees the batch mirrored and its features are mirrored back.
  public var flipEquivariance = false
  public var negatives = NegativeSource.image
  public var lr: Float = 2e-4
  public var beta1: Float = 0.5
  public var beta2: Float = 0.999

  public init() {}

  public static let optionHelp = NetworkOptions.optionHelp(antialias: true) + [
    OptionHelp("lambdaGAN", flag: "lambda-GAN", "Weight of the GAN loss."),
    OptionHelp("lambdaNCE", flag: "lambda-NCE", "Weight of PatchNCE."),
    OptionHelp("nceIdt", "Identity PatchNCE on B images (CUT: true, FastCUT: false)."),
    OptionHelp("nceLayers", "Generator layer indices PatchNCE compares."),
    OptionHelp("netF", flag: "netF", "Patch heads.", PatchSamplerKind.self),
    OptionHelp("netFNC", flag: "netF-nc", "Width of the patch heads."),
    OptionHelp("nceT", flag: "nce-T", "Temperature of PatchNCE."),
    OptionHelp("numPatches", "Patches sampled per image and layer."),
    OptionHelp("flipEquivariance", "FastCUT's flip-equivariance: G sees the batch mirrored half the time."),
    OptionHelp("negatives", "Negatives from the same image (reference), this rank's batch, or every rank's batch.",
               NegativeSource.self),
    OptionHelp("lr", "Adam's initial learning rate (G, D and F)."),
    OptionHelp("beta1", "Adam's β₁."),
    OptionHelp("beta2", "Adam's β₂."),
  ]
  public static var aliases: [OptionAlias] {
    NetworkOptions.aliases + [OptionAlias("nce-includes-all-negatives-from-minibatch", sets: "negatives", to: "batch")]
  }

  /// FastCUT (`--CUT_mode FastCUT`): λ_NCE 10, no identity NCE, flip-equivariance.
  public static var fastCUT: CUTOptions {
    var o = CUTOptions()
    (o.lambdaNCE, o.nceIdt, o.flipEquivariance) = (10, false, true)
    return o
  }

  /// `--nce-layers "0,4,8,12,16"` as indices, or an error naming the option.
  public static func parseLayers(_ text: String) throws -> [Int] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
      guard let i = Int(part.filter { !$0.isWhitespace }) else {
        throw OptionError("--nce-layers", "'\(text)' is not a comma-separated list of layer indices")
      }
      return i
    }
  }

  /// Checks the combinations the model cannot run, naming the option at fault.
  public func validate() throws {
    try network.validate()
    try checkAdam(lr: [("--lr", lr)], betas: [("--beta1", beta1), ("--beta2", beta2)])
    for (name, value) in [("--netF-nc", netFNC), ("--num-patches", numPatches)] where value < 1 {
      throw OptionError(name, "must be at least 1, got \(value)")
    }
    for (name, value) in [("--lambda-GAN", lambdaGAN), ("--lambda-NCE", lambdaNCE)] where !(value >= 0) {
      throw OptionError(name, "must be ≥ 0, got \(value)")
    }
    if !(nceT > 0) { throw OptionError("--nce-T", "must be > 0, got \(nceT)") }
    let layers = ResnetGenerator.layerCount(blocks: network.netG.residualBlocks, antialias: !network.noAntialias,
                                            antialiasUp: !network.noAntialiasUp)
    if lambdaNCE > 0 && nceLayers.isEmpty { throw OptionError("--nce-layers", "needs at least one layer") }
    if let bad = nceLayers.first(where: { !(0..<layers).contains($0) }) {
      throw OptionError("--nce-layers", "index \(bad) is not a layer of \(network.netG.rawValue) (0…\(layers - 1))")
    }
    if Set(nceLayers).count != nceLayers.count {
      throw OptionError("--nce-layers", "lists a layer twice: \(nceLayers.map(String.init).joined(separator: ","))")
    }
    if nceIdt && network.inputNC != network.outputNC {
      throw OptionError("--nce-idt", "the identity NCE feeds B images to G, so it needs --input-nc = --output-nc "
                            + "(got \(network.inputNC) and \(network.outputNC))")
    }
  }
}
