/// The trainer's own options (paths, data, schedule, saving, resuming, machine): the reference code's names in
/// kebab-case on the command line. The model's options are its descriptor's (`TrainingOptions.modelOptions`).
public struct RunOptions: Codable, Equatable, Sendable {
  // Paths and naming
  public var dataroot = ""
  public var name = "experiment_name"
  public var checkpointsDir = "./checkpoints"
  // Data
  /// A layout of `DatasetLayouts` (unaligned, aligned, label_folders).
  public var datasetMode = "unaligned"
  /// AtoB, or BtoA: the model's fields A and B read from the data set's B and A.
  public var direction = "AtoB"
  public var serialBatches = false
  public var batchSize = 1
  public var loadSize = 286
  public var cropSize = 256
  public var preprocess = "resize_and_crop"
  public var noFlip = false
  /// In the decay phase, load at the crop size (no scale augmentation); nil: the model's repository's rule.
  public var noScaleAugInDecay: Bool?
  public var maxDatasetSize = Int.max
  public var skipBadImages = false
  // Schedule (the model's reference values come from its descriptor)
  public var nEpochs = 100
  public var nEpochsDecay = 100
  public var epochCount = 1
  public var lrPolicy = "linear"
  public var lrDecayIters = 50
  /// The lr rises linearly over this many epochs (0: off; EnCo's reference: 20).
  public var warmupEpochs = 0
  // Logging, saving, resuming
  public var printFreq = 100
  public var saveEpochFreq = 5
  public var saveEverySteps = 0
  /// A new run also writes its initial weights as checkpoint step 0 (to compare runs' updates).
  public var saveInitial = false
  public var keep = 3
  public var resume = ""
  /// `--resume PATH` may name a checkpoint of another run (other name, data set or seed).
  public var allowOtherRun = false
  public var maxSteps = 0
  public var replicaCheckEvery = 100
  /// Seconds a collective may wait for the other ranks before the job is aborted naming them (0: no limit).
  public var collectiveTimeout: Double = 600
  // Machine
  /// Keys weight initialisation and every random choice of the data and the model.
  public var seed: UInt64 = 0
  public var threads = 0

  public init() {}
}
