import NN
import Tensors

/// Everything the trainer, the data layer and the command line need to know about one model, in one place: its
/// `--model` name(s), its typed options and their reference defaults, the batch fields one step consumes, its data
/// policy, the options that shape its networks, and how to build it for training or for inference. A new model is
/// a descriptor (and its files) in `Sources/Models` and a line in `ModelCatalog.standard`.
public protocol ModelDescriptor {
  associatedtype Options: ModelOptions

  /// The `--model` values it answers to (CUT's descriptor answers to cut and fastcut).
  static var names: [String] { get }
  /// One line for `i2i train --help`.
  static var summary: String { get }
  /// The reference defaults of the model called `name` (one of `names`).
  static func defaults(for name: String) -> Options
  /// The reference's schedule for `name`: n_epochs, n_epochs_decay, warm-up epochs and the decay rule.
  static func schedule(for name: String) -> ScheduleDefaults
  /// After the command line: defaults that depend on other options (EnCo's `--nce-layers` for resnet_6blocks);
  /// `given` holds the keys the user set. Default: nothing.
  static func settle(_ options: inout Options, given: Set<String>)
  /// The fields one training step reads, named as the model names them ("A", "B"; "label", "image"), with their
  /// kinds; the trainer asks the data set for them (after `--direction`'s remap) and the model reads exactly these.
  static func fields(_ options: Options) -> [BatchField]
  /// How the data feeding it is batched and augmented.
  static var dataPolicy: DataPolicy { get }
  /// An input size the networks cannot take (`cropped`: training crops to `cropSize`): an error naming
  /// `--crop-size`. Default: nothing.
  static func checkInputSize(_ options: Options, cropSize: Int, cropped: Bool) throws
  /// The option keys that shape the networks: a checkpoint trained with other values cannot be resumed.
  static var architectureKeys: [String] { get }
  /// The model for training, its networks initialised from `run.seed` (the same on every rank).
  static func make(_ options: Options, run: RunFacts) throws -> any TranslationModel
  /// Inference alone in `direction` (the generator and what it reads, no discriminator or optimiser), built as
  /// `make` builds it (to be loaded from a checkpoint); nil if the model does not translate `direction`.
  static func translator(_ options: Options, direction: Direction, run: RunFacts) throws -> (any Translator)?
}

/// The schedule defaults of a model (the reference's `n_epochs`, `n_epochs_decay`, EnCo's warm-up).
public struct ScheduleDefaults: Sendable {
  public var nEpochs: Int
  public var nEpochsDecay: Int
  public var warmupEpochs: Int
  /// The `--lr-policy` its repository decays with ("linear": CycleGAN/CUT's; "spade": SPADE/ECGAN's).
  public var lrPolicy: String
  public init(nEpochs: Int = 100, nEpochsDecay: Int = 100, warmupEpochs: Int = 0, lrPolicy: String = "linear") {
    (self.nEpochs, self.nEpochsDecay, self.warmupEpochs, self.lrPolicy) = (nEpochs, nEpochsDecay, warmupEpochs, lrPolicy)
  }
}

/// A model's rules for its data: whether every batch must be full (a reshape by the batch size, as in CUT's
/// PatchNCE), whether the decay epochs load at the crop size (no scale augmentation), and the `--dataset-mode` its
/// fields are read with unless the run says otherwise.
public struct DataPolicy: Sendable {
  public var dropLast: Bool
  public var loadsAtCropSizeWhileDecaying: Bool
  public var datasetMode: String
  public init(dropLast: Bool, loadsAtCropSizeWhileDecaying: Bool, datasetMode: String = "unaligned") {
    (self.dropLast, self.loadsAtCropSizeWhileDecaying, self.datasetMode) = (dropLast, loadsAtCropSizeWhileDecaying, datasetMode)
  }
}

/// What a model learns of the run it is built for.
public struct RunFacts: Sendable {
  /// Keys weight initialisation and every random choice the model makes.
  public var seed: UInt64
  public var nEpochs: Int
  public var nEpochsDecay: Int
  public init(seed: UInt64 = 0, nEpochs: Int = 100, nEpochsDecay: Int = 100) {
    (self.seed, self.nEpochs, self.nEpochsDecay) = (seed, nEpochs, nEpochsDecay)
  }
}

extension ModelDescriptor {
  public static func settle(_ options: inout Options, given: Set<String>) {}
  public static func checkInputSize(_ options: Options, cropSize: Int, cropped: Bool) throws {}

  /// The model's name as the checkpoint and logs show it (its first name).
  public static var name: String { names[0] }

  // The same entry points for options held as `any ModelOptions`, callable on `any ModelDescriptor.Type`.

  /// `options` as this model's options; a mismatch is a programming error (options and descriptor travel together
  /// in `TrainingOptions`).
  static func typed(_ options: any ModelOptions) -> Options {
    guard let typed = options as? Options else { preconditionFailure("\(Self.self): options of type \(type(of: options))") }
    return typed
  }

  public static func anyDefaults(for name: String) -> any ModelOptions { defaults(for: name) }

  /// The defaults of `name` with the command-line `arguments` applied and settled; an unknown option or a bad
  /// value is an error naming it.
  /// `over`: options to apply them to instead of the defaults.
  public static func parseOptions(_ arguments: [String], name: String, over: (any ModelOptions)? = nil) throws
    -> any ModelOptions
  {
    let parsed = try ModelArguments(arguments, over: over.map(typed) ?? defaults(for: name), model: name)
    var options = parsed.options
    settle(&options, given: parsed.given)
    return options
  }

  /// Options read back from `train_opt.json` (its flat keys; missing ones keep `name`'s defaults).
  public static func decodeOptions(_ flat: [String: JSONValue], name: String) throws -> any ModelOptions {
    try OptionValues.decode(Options.self, flat: flat, over: defaults(for: name)) { "--" + flag(for: $0) }
  }

  /// The command-line spelling of one of the model's keys (without dashes).
  public static func flag(for key: String) -> String {
    Options.optionHelp.first { $0.key == key }?.flag ?? OptionHelp.kebab(key)
  }

  public static func anyFields(_ options: any ModelOptions) -> [BatchField] { fields(typed(options)) }
  public static func anyCheckInputSize(_ options: any ModelOptions, cropSize: Int, cropped: Bool) throws {
    try checkInputSize(typed(options), cropSize: cropSize, cropped: cropped)
  }
  public static func makeModel(_ options: any ModelOptions, run: RunFacts) throws -> any TranslationModel {
    try make(typed(options), run: run)
  }
  public static func makeTranslator(_ options: any ModelOptions, direction: Direction, run: RunFacts) throws
    -> (any Translator)?
  {
    try translator(typed(options), direction: direction, run: run)
  }

  /// `i2i train --model NAME --help`: every option of the model with its default for `name`, one line each.
  public static func helpText(for name: String) -> String {
    let defaults = (try? OptionValues.flatten(defaults(for: name))) ?? [:]
    var lines = ["\(name): \(summary)", "", "\(name.uppercased()) OPTIONS (default in brackets):"]
    for h in Options.optionHelp {
      let value = defaults[h.key].map { "\($0)" } ?? ""
      let choices = h.choices.map { " {\($0.joined(separator: ", "))}" } ?? ""
      let left = "  --\(h.flag) [\(value.isEmpty ? "\"\"" : value)]"
      lines.append(left.padding(toLength: max(left.count + 1, 38), withPad: " ", startingAt: 0) + h.help + choices)
    }
    for a in Options.aliases {
      let left = "  --\(a.flag)"
      lines.append(left.padding(toLength: max(left.count + 1, 38), withPad: " ", startingAt: 0)
                     + "Same as --\(flag(for: a.key)) \(a.value).")
    }
    return lines.joined(separator: "\n")
  }
}
