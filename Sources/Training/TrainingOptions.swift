import Foundation
import Models
import NN

/// Everything a training run is configured with: the trainer's `RunOptions` (read as `options.batchSize`) and the
/// model's typed options from its descriptor. Saved as `<name>/train_opt.json`, one flat object as the reference's
/// `train_opt.txt` is: the run's keys, `model`, and the model's keys.
@dynamicMemberLookup
public struct TrainingOptions: Codable, @unchecked Sendable {
  public var run: RunOptions
  /// The `--model` name (one of the descriptor's names).
  public let model: String
  public let descriptor: any ModelDescriptor.Type
  /// The descriptor's `Options`.
  public var modelOptions: any ModelOptions

  /// The reference defaults of `model`: its options and its schedule; an unknown model is an error naming it.
  public init(model: String, catalog: ModelCatalog = .standard) throws {
    descriptor = try catalog.descriptor(named: model)
    self.model = model
    modelOptions = descriptor.anyDefaults(for: model)
    run = RunOptions()
    let schedule = descriptor.schedule(for: model)
    (run.nEpochs, run.nEpochsDecay, run.warmupEpochs) = (schedule.nEpochs, schedule.nEpochsDecay, schedule.warmupEpochs)
    run.lrPolicy = schedule.lrPolicy
    run.datasetMode = descriptor.dataPolicy.datasetMode
  }

  public subscript<T>(dynamicMember field: WritableKeyPath<RunOptions, T>) -> T {
    get { run[keyPath: field] }
    set { run[keyPath: field] = newValue }
  }

  /// The model's command-line arguments (what the trainer's options left over) applied to its options.
  public mutating func setModelArguments(_ arguments: [String]) throws {
    modelOptions = try descriptor.parseOptions(arguments, name: model, over: modelOptions)
  }

  /// What the model learns of the run.
  public var runFacts: RunFacts { RunFacts(seed: run.seed, nEpochs: run.nEpochs, nEpochsDecay: run.nEpochsDecay) }

  /// The model for training.
  public func makeModel() throws -> any TranslationModel { try descriptor.makeModel(modelOptions, run: runFacts) }

  /// The model's inference in `direction` alone (its generator), as `makeModel` builds it; nil if it does not
  /// translate `direction`.
  public func makeTranslator(direction: Direction) throws -> (any Translator)? {
    try descriptor.makeTranslator(modelOptions, direction: direction, run: runFacts)
  }

  /// The fields the model's step reads.
  public var fields: [BatchField] { descriptor.anyFields(modelOptions) }

  /// The catalog `init(from:)` finds `model` in (default: `ModelCatalog.standard`).
  public static let catalogKey = CodingUserInfoKey(rawValue: "i2i.modelCatalog")!

  struct Key: CodingKey {
    let stringValue: String
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.init(stringValue) }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
  }

  public init(from decoder: Decoder) throws {
    run = try RunOptions(from: decoder)
    model = try decoder.container(keyedBy: Key.self).decode(String.self, forKey: Key("model"))
    let catalog = decoder.userInfo[Self.catalogKey] as? ModelCatalog ?? .standard
    descriptor = try catalog.descriptor(named: model)
    guard case .object(let flat) = try JSONValue(from: decoder) else { throw OptionError("train_opt.json", "is not an object") }
    modelOptions = try descriptor.decodeOptions(flat, name: model)
  }

  public func encode(to encoder: Encoder) throws {
    try run.encode(to: encoder)
    var c = encoder.container(keyedBy: Key.self)
    try c.encode(model, forKey: Key("model"))
    for (key, value) in try OptionValues.flatten(modelOptions) { try c.encode(value, forKey: Key(key)) }
    // Written for the reader only: decoding ignores it.
    if !modelOptions.notes.isEmpty { try c.encode(modelOptions.notes, forKey: Key("notes")) }
  }

  /// `--lr-policy` with this run's schedule (warm-up and linear decay per epoch, SPADE's linear decay, step, cosine,
  /// or constant).
  public func learningRatePolicy() throws -> LearningRatePolicy {
    switch run.lrPolicy {
    case "linear": return .linear(nEpochs: run.nEpochs, nEpochsDecay: run.nEpochsDecay, epochCount: run.epochCount,
                                  warmupEpochs: run.warmupEpochs)
    case "spade": return .linearAfterEpoch(nEpochs: run.nEpochs, nEpochsDecay: run.nEpochsDecay, epochCount: run.epochCount)
    case "step": return .step(every: max(run.lrDecayIters, 1))
    case "cosine": return .cosine(tMax: max(run.nEpochs, 1))
    case "constant": return .constant
    default: throw OptionError.unknownValue(run.lrPolicy, for: "--lr-policy", expected: ["linear", "spade", "step", "cosine", "constant"])
    }
  }

  /// The command-line spelling of a key of `train_opt.json` (`nEpochsDecay` → `n-epochs-decay`, `lambdaNCE` →
  /// `lambda-NCE`), without the dashes.
  public func flagName(_ key: String) -> String { descriptor.flag(for: key) }

  /// The same for the options of a checkpoint's `state.json`, whose model may not be in the catalog.
  public static func flagName(_ key: String, model: String?, catalog: ModelCatalog = .standard) -> String {
    guard let model, let descriptor = try? catalog.descriptor(named: model) else { return OptionHelp.kebab(key) }
    return descriptor.flag(for: key)
  }

  static let encoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys]
    return e
  }()

  /// The options as strings for `state.json`, `train_opt.txt` and the comparisons across ranks (every key, lists
  /// comma-separated).
  public var asStrings: [String: String] {
    guard let data = try? JSONEncoder().encode(self), case .object(let flat)? = try? JSONDecoder().decode(JSONValue.self, from: data)
    else { return [:] }
    return flat.mapValues(\.description)
  }
}

/// A problem decided on one rank and reported on every rank, as its message.
public struct TrainingError: Error, CustomStringConvertible {
  public let description: String
  public init(_ message: String) { description = message }
}
