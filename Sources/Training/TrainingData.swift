import NN
import Data
import Models
import Tensors

/// The data side of a run: the data set the options describe, its per-epoch transform, and a sharded loader.
struct TrainingData {
  let options: TrainingOptions
  /// The model's A and B channel counts after `--direction` (BtoA reads the B folder as A).
  let dataset: @Sendable (TransformOptions) throws -> any ImageDataset
  let count: Int
  /// Every image file the data set reads.
  let files: [String]
  /// CUT and EnCo: in the decay phase, load at the crop size (no scale augmentation).
  let loadsAtCropSizeWhileDecaying: Bool

  init(_ o: TrainingOptions, loadsAtCropSizeWhileDecaying: Bool) throws {
    options = o
    self.loadsAtCropSizeWhileDecaying = loadsAtCropSizeWhileDecaying
    guard !o.dataroot.isEmpty else { throw OptionError(option: "--dataroot", reason: "is required") }
    let swap = try Direction.parse(o.direction, option: "--direction") == .bToA
    // The folder read as A feeds the model's input side (input-nc channels).
    let (kindA, kindB) = swap ? (ImageKind.image(channels: o.outputNC), ImageKind.image(channels: o.inputNC))
                              : (.image(channels: o.inputNC), .image(channels: o.outputNC))
    let (root, maxSize, serial) = (o.dataroot, o.maxDatasetSize, o.serialBatches)
    switch o.datasetMode {
    case "unaligned":
      dataset = { t in try UnalignedDataset(root: root, kindA: kindA, kindB: kindB, transform: t, serialBatches: serial, maxSize: maxSize) }
    case "aligned":
      dataset = { t in try AlignedDataset(root: root, kindA: kindA, kindB: kindB, transform: t, maxSize: maxSize) }
    default:
      throw OptionError(option: "--dataset-mode", reason: "unknown mode '\(o.datasetMode)' for training (expected unaligned, aligned)")
    }
    let set = try dataset(try TrainingData.transform(o, decaying: false))
    (count, files) = (set.count, set.files)
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

  /// Drop-last as the reference loaders use it: CUT and EnCo need every batch full (their NCE reshape does).
  var dropLast: Bool { options.model != "cyclegan" }

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

  /// The model's view of a loaded batch: fields A and B, swapped for `--direction BtoA`.
  func trainingBatch(_ batch: Batch) -> TrainingBatch {
    let swap = options.direction == "BtoA"
    return TrainingBatch(a: batch[swap ? "B" : "A"], b: batch[swap ? "A" : "B"])
  }
}
