import NN

/// CycleGAN's options with the reference defaults (spec §2.5): `--netG resnet_9blocks --netD basic --norm instance
/// --init_type normal --init_gain 0.02 --no_dropout --gan_mode lsgan --pool_size 50 --lambda_A 10 --lambda_B 10
/// --lambda_identity 0.5 --lr 0.0002 --beta1 0.5`.
public struct CycleGANOptions: HasNetworkOptions, ModelOptions {
  /// The shared network options (read as `options.ngf`, … through dynamic member lookup).
  public var network = NetworkOptions()
  /// Images kept by each of the two history pools (per rank); 0 disables them.
  public var poolSize = 50
  /// Weight of the cycle loss A → B → A.
  public var lambdaA: Float = 10
  /// Weight of the cycle loss B → A → B.
  public var lambdaB: Float = 10
  /// Identity loss weight as a fraction of λ: idt_A weighs λ_B·this, idt_B weighs λ_A·this; 0 turns it off.
  public var lambdaIdentity: Float = 0.5
  public var lr: Float = 2e-4
  public var beta1: Float = 0.5

  public init() {}

  public static let optionHelp = NetworkOptions.optionHelp(antialias: false) + [
    OptionHelp("poolSize", "Generated images kept per rank for each discriminator (0: none)."),
    OptionHelp("lambdaA", flag: "lambda-A", "Weight of the cycle loss A → B → A."),
    OptionHelp("lambdaB", flag: "lambda-B", "Weight of the cycle loss B → A → B."),
    OptionHelp("lambdaIdentity", "Identity loss weight, as a fraction of lambda-A/B (0: off)."),
    OptionHelp("lr", "Adam's initial learning rate."),
    OptionHelp("beta1", "Adam's β₁ (β₂ is 0.999)."),
  ]
  public static var aliases: [OptionAlias] { NetworkOptions.aliases }

  /// Checks the combinations the model cannot run, naming the option at fault.
  public func validate() throws {
    try network.validate()
    try checkAdam(lr: [("--lr", lr)], betas: [("--beta1", beta1)])
    if poolSize < 0 { throw OptionError("--pool-size", "must be ≥ 0, got \(poolSize)") }
    if lambdaIdentity > 0 && network.inputNC != network.outputNC {
      throw OptionError("--lambda-identity", "the identity loss needs --input-nc = --output-nc "
                            + "(got \(network.inputNC) and \(network.outputNC)); set it to 0")
    }
  }
}
