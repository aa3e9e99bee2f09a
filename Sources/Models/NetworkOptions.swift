import NN
import Tensors

/// The command-line names of the reference code's network options (`--netG resnet_9blocks`, `--norm instance`, …),
/// each an enum whose raw value is the name a user types.
public protocol OptionName: RawRepresentable, CaseIterable, Codable where RawValue == String {}

extension OptionName {
  /// The case called `name`, or an error naming `option` and the accepted names.
  public static func parse(_ name: String, option: String) throws -> Self {
    guard let value = Self(rawValue: name) else {
      throw OptionError.unknownValue(name, for: option, expected: allCases.map(\.rawValue))
    }
    return value
  }
}

/// `--norm`: the normalisation after each inner conv (spec §1.3).
public enum NormKind: String, OptionName, Sendable {
  case instance, batch, none

  /// A conv followed by a norm has a bias iff the norm is instance norm (the reference's `use_bias`; with `none`
  /// the reference's placeholder is not InstanceNorm2d, so those convs have no bias either).
  var convBias: Bool { self == .instance }

  /// The layer at a norm position: InstanceNorm2d (no affine), BatchNorm2d (affine, running stats), or Identity,
  /// which keeps the Sequential indices of the other two.
  func layer(_ channels: Int) -> any UnaryLayer {
    switch self {
    case .instance: return InstanceNorm2d(channels)
    case .batch: return BatchNorm2d(channels)
    case .none: return Identity()
    }
  }
}

/// `--netG`: the generator architecture.
public enum GeneratorArchitecture: String, OptionName, Sendable {
  case resnet9Blocks = "resnet_9blocks"
  case resnet6Blocks = "resnet_6blocks"

  public var residualBlocks: Int { self == .resnet9Blocks ? 9 : 6 }
}

/// `--netD`: `basic` is the 70×70 PatchGAN (3 layers); `n_layers` takes `--n-layers-D`.
public enum DiscriminatorArchitecture: String, OptionName, Sendable {
  case basic
  case nLayers = "n_layers"
}

/// `--init-type`: how Conv/ConvTranspose/Linear weights are drawn (spec §1.4), scaled by `--init-gain`.
public enum InitType: String, OptionName, Sendable {
  case normal, xavier, kaiming

  public var scheme: WeightInit {
    switch self {
    case .normal: return .normal
    case .xavier: return .xavierNormal
    case .kaiming: return .kaimingNormal
    }
  }
}

/// `--optimizer`: Adam for every reference model; plain SGD (same learning rates, betas unused) for equivalence checks.
public enum OptimizerKind: String, OptionName, Sendable {
  case adam, sgd

  /// The optimiser of one parameter group.
  public func make(_ parameters: [Tensor], lr: Float, betas: (Float, Float)) -> any Optimizer {
    switch self {
    case .adam: return Adam(parameters, lr: lr, betas: betas)
    case .sgd: return SGD(parameters, lr: lr)
    }
  }
}

/// The shared networks built from option values, initialised so that every rank holds the same weights.
public enum Networks {
  /// `--netG`: ResnetGenerator with 9 or 6 blocks, ngf filters in the first layer; CUT's antialiased down- and
  /// upsampling unless `--no-antialias` / `--no-antialias-up` (CycleGAN has neither).
  public static func generator(_ architecture: GeneratorArchitecture, inputNC: Int, outputNC: Int, ngf: Int,
                               norm: NormKind, useDropout: Bool, antialias: Bool = false,
                               antialiasUp: Bool = false) -> ResnetGenerator {
    ResnetGenerator(inputNC: inputNC, outputNC: outputNC, ngf: ngf, norm: norm, useDropout: useDropout,
                    blocks: architecture.residualBlocks, antialias: antialias, antialiasUp: antialiasUp)
  }

  /// The generator `n` describes, called `name` (its checkpoint name), inputNC → outputNC, initialised as every
  /// rank initialises it; `antialiased`: CUT's blur down- and upsampling unless `noAntialias` / `noAntialiasUp`.
  public static func generator(_ n: NetworkOptions, name: String, inputNC: Int, outputNC: Int,
                               antialiased: Bool) -> ResnetGenerator {
    let g = generator(n.netG, inputNC: inputNC, outputNC: outputNC, ngf: n.ngf, norm: n.norm, useDropout: !n.noDropout,
                      antialias: antialiased && !n.noAntialias, antialiasUp: antialiased && !n.noAntialiasUp)
    initialize(g, name: name, n.initType, gain: n.initGain, seed: n.seed)
    return g
  }

  /// G of the one-sided models (CUT, FastCUT, EnCo): inputNC → outputNC, antialiased, checkpoint name "G".
  public static func oneSidedGenerator(_ n: NetworkOptions) -> ResnetGenerator {
    generator(n, name: "G", inputNC: n.inputNC, outputNC: n.outputNC, antialiased: true)
  }

  /// `--netD`: PatchGAN with 3 layers (`basic`) or `nLayers` (`n_layers`), antialiased for CUT (`antialias`).
  public static func discriminator(_ architecture: DiscriminatorArchitecture, inputNC: Int, ndf: Int, nLayers: Int,
                                   norm: NormKind, antialias: Bool = false) -> NLayerDiscriminator {
    NLayerDiscriminator(inputNC: inputNC, ndf: ndf, layers: architecture == .basic ? 3 : nLayers, norm: norm,
                        antialias: antialias)
  }

  /// Re-initialises `network` (spec §1.4) from the stream keyed by (seed, weight init, name): every rank that builds
  /// the network called `name` from the same seed gets the same weights, and two networks never share draws.
  public static func initialize(_ network: Module, name: String, _ initType: InitType, gain: Float, seed: UInt64) {
    var rng = RandomStream(seed: seed, key: [ModelRandomPurpose.weightInit.rawValue, stableKey(name)])
    network.initWeights(initType.scheme, gain: gain, rng: &rng)
  }
}

/// The options that shape every model's generator and discriminator (spec §1.3–1.7, §3.3–3.4), with the reference
/// defaults (`--netG resnet_9blocks --netD basic --norm instance --init_gain 0.02 --no_dropout --gan_mode lsgan`).
public struct NetworkOptions: Codable, Sendable {
  public var inputNC = 3
  public var outputNC = 3
  public var ngf = 64
  public var ndf = 64
  public var netG = GeneratorArchitecture.resnet9Blocks
  public var netD = DiscriminatorArchitecture.basic
  /// Used when `netD` is `n_layers`.
  public var nLayersD = 3
  public var norm = NormKind.instance
  /// CycleGAN: normal; CUT and EnCo: xavier.
  public var initType = InitType.normal
  public var initGain: Float = 0.02
  /// The reference models force `--no_dropout` on: the residual blocks have no Dropout.
  public var noDropout = true
  /// CUT/EnCo `--no-antialias`: CycleGAN's strided convs instead of conv + blur in G's downsampling and in D.
  public var noAntialias = false
  /// CUT/EnCo `--no-antialias-up`: CycleGAN's transposed convs instead of upsample + conv in G.
  public var noAntialiasUp = false
  public var ganMode = GANLoss.Mode.lsgan
  public var optimizer = OptimizerKind.adam
  /// Keys weight initialisation and every random choice the model makes (pools, patches, flips, dropout).
  public var seed: UInt64 = 0

  public init(initType: InitType = .normal) { self.initType = initType }

  /// Every field but `seed`, which is the run's (`--seed`), set when the model is made.
  enum CodingKeys: String, CodingKey {
    case inputNC, outputNC, ngf, ndf, netG, netD, nLayersD, norm, initType, initGain, noDropout, noAntialias,
         noAntialiasUp, ganMode, optimizer
  }

  /// Help for the command-line options of these fields, for the models that embed them; `antialias`: CUT and
  /// EnCo's `--no-antialias` flags (CycleGAN has no antialiasing to turn off).
  public static func optionHelp(antialias: Bool) -> [OptionHelp] {
    [OptionHelp("inputNC", flag: "input-nc", "Channels of the input domain's images (1 gray, 3 RGB)."),
     OptionHelp("outputNC", flag: "output-nc", "Channels of the output domain's images."),
     OptionHelp("ngf", "Generator filters in the first conv layer."),
     OptionHelp("ndf", "Discriminator filters in the first conv layer."),
     OptionHelp("netG", flag: "netG", "Generator architecture.", GeneratorArchitecture.self),
     OptionHelp("netD", flag: "netD", "Discriminator: basic (70×70 PatchGAN) or n_layers (--n-layers-D).",
                DiscriminatorArchitecture.self),
     OptionHelp("nLayersD", flag: "n-layers-D", "Discriminator layers with --netD n_layers."),
     OptionHelp("norm", "Normalisation in G and D.", NormKind.self),
     OptionHelp("initType", "Weight initialisation.", InitType.self),
     OptionHelp("initGain", "Scale of the initial weights."),
     OptionHelp("noDropout", "No dropout in the generator's residual blocks (the reference forces it)."),
     OptionHelp("ganMode", "GAN objective.", GANLoss.Mode.self),
     OptionHelp("optimizer", "adam (the reference's) or sgd: plain SGD at the same learning rates, for equivalence "
                  + "checks, where an update proportional to the gradient keeps rounding differences small.",
                OptimizerKind.self)]
      + (antialias ? [OptionHelp("noAntialias", "Strided convs instead of conv + blur in G's downsampling and in D."),
                      OptionHelp("noAntialiasUp", "Transposed convs instead of upsample + conv in G.")] : [])
  }

  /// `--dropout`: the residual blocks with Dropout (sets `--no-dropout false`).
  public static let aliases = [OptionAlias("dropout", sets: "noDropout", to: "false")]

  /// The keys that shape the networks (a checkpoint made with other values cannot be resumed).
  public static let architectureKeys = ["inputNC", "outputNC", "ngf", "ndf", "netG", "netD", "nLayersD", "norm",
                                        "noAntialias", "noAntialiasUp"]

  /// Training crops the PatchGAN must take: it halves the image `layers` times, then two 4×4 convs with padding 1
  /// each take 1 pixel off; the generator needs a multiple of 4. Nothing to check with `--preprocess none`.
  public func checkPatchGANInput(cropSize: Int, cropped: Bool) throws {
    let layers = netD == .nLayers ? nLayersD : 3
    if cropped && (cropSize < 3 << layers || cropSize % 4 != 0) {
      throw OptionError("--crop-size", "\(cropSize) is too small or not a multiple of 4: the generator needs a "
                          + "multiple of 4 and a \(layers)-layer discriminator at least \(3 << layers) pixels")
    }
  }

  /// The counts that must be positive, naming the option at fault.
  public func validate() throws {
    for (name, value) in [("--input-nc", inputNC), ("--output-nc", outputNC), ("--ngf", ngf), ("--ndf", ndf),
                          ("--n-layers-D", nLayersD)] where value < 1 {
      throw OptionError(name, "must be at least 1, got \(value)")
    }
  }
}

/// A model's options that embed the shared `NetworkOptions` and read them as their own (`options.ngf`).
@dynamicMemberLookup
public protocol HasNetworkOptions {
  var network: NetworkOptions { get set }
}

extension HasNetworkOptions {
  public subscript<T>(dynamicMember field: WritableKeyPath<NetworkOptions, T>) -> T {
    get { network[keyPath: field] }
    set { network[keyPath: field] = newValue }
  }
}

extension HasNetworkOptions {
  /// These options with the run's seed, which keys the networks' initialisation and the model's random choices.
  public func seeded(_ run: RunFacts) -> Self {
    var o = self
    o.network.seed = run.seed
    return o
  }
}
