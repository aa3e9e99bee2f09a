import NN

/// A model's typed options: typed enums, the reference defaults as the fields' initial values (one place), and
/// `Codable` for `train_opt.json`. The command line reaches them through `ModelArguments`, by the keys of
/// `optionHelp`.
public protocol ModelOptions: Codable, Sendable {
  /// Every command-line option, one line of help each (embedded `NetworkOptions` fields included).
  static var optionHelp: [OptionHelp] { get }
  /// Further spellings that set an option to a fixed value (`--dropout` is `--no-dropout false`).
  static var aliases: [OptionAlias] { get }
  /// Checks the combinations the model cannot run, naming the option at fault.
  func validate() throws
  /// What a user should know about the run these options make, one sentence each (a loss term that is off and
  /// why): the trainer prints them at the start, and writes them to `loss_log.txt` and `train_opt.json`.
  var notes: [String] { get }
}

extension ModelOptions {
  public static var aliases: [OptionAlias] { [] }
  public var notes: [String] { [] }
}

/// One command-line option of typed options: its key (the field's JSON name, `lambdaNCE`), its spelling
/// (`--lambda-NCE`, with `--lambda_NCE` accepted), a line of help, and the accepted values of an enum.
public struct OptionHelp: Sendable {
  public let key: String
  /// Kebab case without the dashes; the reference's underscore spelling is accepted as well.
  public let flag: String
  public let help: String
  public let choices: [String]?

  public init(_ key: String, flag: String? = nil, _ help: String, choices: [String]? = nil) {
    (self.key, self.flag, self.help, self.choices) = (key, flag ?? OptionHelp.kebab(key), help, choices)
  }

  /// An enum option: its accepted values are the enum's names.
  public init<E: OptionName>(_ key: String, flag: String? = nil, _ help: String, _ values: E.Type) {
    self.init(key, flag: flag, help, choices: E.allCases.map(\.rawValue))
  }

  /// `poolSize` → `pool-size`.
  public static func kebab(_ key: String) -> String {
    var out = ""
    for c in key { if c.isUppercase { out += "-" + c.lowercased() } else { out.append(c) } }
    return out
  }
}

/// A flag that sets an option to a fixed value (`--nce-includes-all-negatives-from-minibatch` sets `negatives` to
/// `batch`).
public struct OptionAlias: Sendable {
  public let flag: String
  public let key: String
  public let value: String
  public init(_ flag: String, sets key: String, to value: String) { (self.flag, self.key, self.value) = (flag, key, value) }
}

/// The learning rates and Adam betas every model validates, naming the option at fault.
func checkAdam(lr: [(String, Float)], betas: [(String, Float)]) throws {
  for (name, value) in lr where !(value > 0 && value.isFinite) {
    throw OptionError(name, "must be a positive number, got \(value)")
  }
  for (name, value) in betas where !(value >= 0 && value < 1) {
    throw OptionError(name, "must be in [0, 1), got \(value)")
  }
}
