import NN
import Data
import Models
import Tensors

/// The data side of a run: the data set the options describe, its per-epoch transform, and a sharded loader.
struct TrainingData {
  let options: TrainingOptions
  let dataset: @Sendable (TransformOptions) throws -> any ImageDataset
  let count: Int
  /// Every image file the data set reads.
  let files: [String]
  /// In the decay phase, load at the crop size (no scale augmentation): the model's rule unless
  /// `--no-scale-aug-in-decay` says otherwise.
  let loadsAtCropSizeWhileDecaying: Bool
  /// Full batches only (the model's data policy).
  let dropLast: Bool
  /// The data set's field for each of the model's fields (`--direction BtoA` swaps A and B).
  let sourceField: [String: String]

  init(_ o: TrainingOptions) throws {
    options = o
    let policy = o.descriptor.dataPolicy
    loadsAtCropSizeWhileDecaying = o.noScaleAugInDecay ?? policy.loadsAtCropSizeWhileDecaying
    dropLast = policy.dropLast
    guard !o.dataroot.isEmpty else { throw OptionError(option: "--dataroot", reason: "is required") }
    let sources = try TrainingData.remap(o.fields, direction: try Direction.parse(o.direction, option: "--direction"),
                                         model: o.model)
    sourceField = sources
    let request = o.fields.map { BatchField(sources[$0.name]!, $0.kind) }
    let (root, maxSize, serial, mode) = (o.dataroot, o.maxDatasetSize, o.serialBatches, o.datasetMode)
    dataset = { t in try TrainingData.makeDataset(mode, root: root, fields: request, transform: t, serialBatches: serial, maxSize: maxSize) }
    let set = try dataset(try TrainingData.transform(o, decaying: false))
    (count, files) = (set.count, set.files)
  }

  /// `--direction` as a remap of field names: BtoA reads the model's A from the data set's B and B from A; a
  /// model without fields A and B has no direction to swap.
  static func remap(_ fields: [BatchField], direction: Direction, model: String) throws -> [String: String] {
    let names = fields.map(\.name)
    guard direction == .bToA else { return Dictionary(uniqueKeysWithValues: names.map { ($0, $0) }) }
    guard names.contains("A") && names.contains("B") else {
      throw OptionError("--direction", "BtoA swaps the fields A and B, and \(model) reads \(names.joined(separator: ", "))")
    }
    return Dictionary(uniqueKeysWithValues: names.map { ($0, $0 == "A" ? "B" : $0 == "B" ? "A" : $0) })
  }

  /// The data set of `--dataset-mode` producing `fields`.
  static func makeDataset(_ mode: String, root: String, fields: [BatchField], transform: TransformOptions,
                          serialBatches: Bool, maxSize: Int) throws -> any ImageDataset {
    try DatasetLayouts.named(mode).make(DatasetRequest(root: root, fields: fields, transform: transform,
                                                       serialBatches: serialBatches, maxSize: maxSize))
  }

  /// The reference transform options; in the decay phase of CUT/EnCo, load size = crop size.
  static func transform(_ o: TrainingOptions, decaying: Bool) throws -> TransformOptions {
    guard let preprocess = Preprocess(rawValue: o.preprocess) else {
      throw OptionError(option: "--preprocess", reason: "unknown value '\(o.preprocess)' (expected \(Preprocess.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    guard o.cropSize > 0, o.loadSize > 0 else {
      throw OptionError(option: o.cropSize > 0 ? "--load-size" : "--crop-size", reason: "must be positive")
    }
    return TransformOptions(preprocess: preprocess, loadSize: decaying ? o.cropSize : o.loadSize, cropSize: o.cropSize,
                            flip: !o.noFlip)
  }

  /// The transform of the epoch at 0-based `epochIndex` (the reference's epoch `epochIndex + epoch_count`): with
  /// the decay-phase rule, load size = crop size once that epoch is past `n_epochs` (`current_epoch > n_epochs`).
  func transform(epochIndex: Int) throws -> TransformOptions {
    let decaying = loadsAtCropSizeWhileDecaying && epochIndex + options.epochCount > options.nEpochs
    return try TrainingData.transform(options, decaying: decaying)
  }

  func sampler(rank: Int, worldSize: Int, cursor: SamplerCursor) throws -> ShardedSampler {
    try ShardedSampler(count: count, batchSize: options.batchSize, rank: rank, worldSize: worldSize, seed: options.seed,
                       shuffle: !options.serialBatches, dropLast: dropLast, cursor: cursor)
  }

  /// A loader starting at `cursor`, with the transform of the epoch `cursor` points into.
  func loader(rank: Int, worldSize: Int, cursor: SamplerCursor) throws -> DataLoader {
    let set = try dataset(try transform(epochIndex: cursor.epoch))
    return DataLoader(dataset: set, sampler: try sampler(rank: rank, worldSize: worldSize, cursor: cursor),
                      skipBadImages: options.skipBadImages)
  }

  /// The model's view of a loaded batch: its fields, each read from its source field.
  func trainingBatch(_ batch: Batch) throws -> TrainingBatch {
    TrainingBatch(try Dictionary(uniqueKeysWithValues: sourceField.map { ($0.key, try batch.field($0.value)) }))
  }
}
