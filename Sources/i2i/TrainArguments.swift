import ArgumentParser
import Data
import Training

/// The reference code's options shared by every model (spec §2.5), in kebab-case with the underscore spellings
/// accepted. Unset options keep the model's reference default (`TrainingOptions(model:)`).
struct TrainArguments: ParsableArguments {
  @Option(name: .both("dataroot"), help: "The data set's folder (its layout: --dataset-mode).") var dataroot: String
  @Option(name: .both("name"), help: "Run name: outputs go to <checkpoints-dir>/<name>.") var name: String?
  @Option(name: .both("checkpoints-dir")) var checkpointsDir: String?
  @Option(name: .both("model"), help: ArgumentHelp("\(ModelCatalog.standard.names.joined(separator: ", ")); its options: i2i train --model NAME --help."))
  var model: String = ModelCatalog.standard.names[0]
  @Option(name: .both("dataset-mode"), help: ArgumentHelp("\(DatasetLayouts.all.map { $0.name }.joined(separator: ", ")).")) var datasetMode: String?
  @Option(name: .both("direction"), help: "AtoB or BtoA (BtoA reads the model's A from the data set's B and B from A).") var direction: String?
  @Flag(name: .both("serial-batches"), help: "Take B images in order instead of at random.") var serialBatches = false
  @Option(name: .both("batch-size"), help: "Images per rank per step.") var batchSize: Int?
  @Option(name: .both("load-size")) var loadSize: Int?
  @Option(name: .both("crop-size")) var cropSize: Int?
  @Option(name: .both("preprocess"), help: "resize_and_crop, crop, scale_width, scale_width_and_crop or none.") var preprocess: String?
  @Flag(name: .both("no-flip")) var noFlip = false
  @Option(name: .both("no-scale-aug-in-decay"), help: "true: in the decay epochs (after --n-epochs) load at --crop-size, so the last epochs see objects at the scale of uncropped images. Default: the model's repository's rule (true for CUT, FastCUT and EnCo, whose repositories do this; false for CycleGAN, whose repository keeps resize-and-crop to the end).")
  var noScaleAugInDecay: BoolValue?
  @Option(name: .both("max-dataset-size")) var maxDatasetSize: Int?
  @Flag(name: .both("skip-bad-images"), help: "Skip unreadable images with a warning instead of stopping.") var skipBadImages = false
  @Option(name: .both("n-epochs"), help: "Epochs at the initial learning rate (default: the model's reference).") var nEpochs: Int?
  @Option(name: .both("n-epochs-decay"), help: "Epochs of linear decay to zero (default: the model's reference).") var nEpochsDecay: Int?
  @Option(name: .both("epoch-count")) var epochCount: Int?
  @Option(name: .both("lr-policy"), help: "linear (CycleGAN/CUT's decay), spade (SPADE/ECGAN's: down by lr/n-epochs-decay after each decay epoch, to 0 after the last), step, cosine or constant (default: the model's).") var lrPolicy: String?
  @Option(name: .both("lr-decay-iters")) var lrDecayIters: Int?
  @Option(name: .both("warmup-epochs"), help: "Epochs of linear lr warm-up (default: the model's reference, EnCo 20).") var warmupEpochs: Int?
  @Option(name: .both("print-freq"), help: "Log every this many images.") var printFreq: Int?
  @Option(name: .both("save-epoch-freq")) var saveEpochFreq: Int?
  @Option(name: .both("save-every-steps"), help: "Also checkpoint every K steps (0: off).") var saveEverySteps: Int?
  @Flag(name: .customLong("save-initial"), help: "A new run also checkpoints its initial weights as step 0 (compare runs' updates with 'i2i inspect --compare … --base').")
  var saveInitial = false
  @Option(name: .both("keep"), help: "Checkpoints kept.") var keep: Int?
  @Option(name: .both("resume"), help: "auto (the newest checkpoint of this run that verifies; refuses when there are checkpoints and none verifies), none (start over, even where checkpoints exist), or a checkpoint/run directory.") var resume: String?
  @Option(name: .both("max-steps"), help: "Stop after this many steps in all (0: no limit).") var maxSteps: Int?
  @Flag(name: .customLong("allow-other-run"), help: "With --resume PATH: continue from a checkpoint of another run (another --name, --dataroot or --seed).")
  var allowOtherRun = false
  @Option(name: .both("replica-check-every"), help: "Compare weights across ranks every K steps.") var replicaCheckEvery: Int?
  @Option(name: .both("collective-timeout"), help: "Seconds a collective may wait for the other ranks (a rank stopped, hung or lost) before the job is aborted naming them; 0: no limit. Keep it above the longest step and checkpoint write (default 600).")
  var collectiveTimeout: Double?
  @Option(name: .both("seed")) var seed: UInt64?
  @Option(name: .both("threads"), help: "Compute threads per rank (0: cores ÷ ranks on the node).") var threads: Int?

  /// The model's reference defaults with every given option applied; `modelArguments` are the model's own
  /// (`--lambda-NCE 10`), read by its descriptor.
  func options(modelArguments: [String]) throws -> TrainingOptions {
    var o = try TrainingOptions(model: model)
    o.dataroot = dataroot
    set(&o.name, name); set(&o.checkpointsDir, checkpointsDir)
    set(&o.datasetMode, datasetMode); set(&o.direction, direction)
    if serialBatches { o.serialBatches = true }
    set(&o.batchSize, batchSize); set(&o.loadSize, loadSize); set(&o.cropSize, cropSize); set(&o.preprocess, preprocess)
    if noFlip { o.noFlip = true }
    if let noScaleAugInDecay { o.noScaleAugInDecay = noScaleAugInDecay.value }
    if skipBadImages { o.skipBadImages = true }
    set(&o.maxDatasetSize, maxDatasetSize)
    set(&o.nEpochs, nEpochs); set(&o.nEpochsDecay, nEpochsDecay); set(&o.epochCount, epochCount)
    set(&o.lrPolicy, lrPolicy); set(&o.lrDecayIters, lrDecayIters); set(&o.warmupEpochs, warmupEpochs)
    set(&o.printFreq, printFreq); set(&o.saveEpochFreq, saveEpochFreq); set(&o.saveEverySteps, saveEverySteps)
    if saveInitial { o.saveInitial = true }
    set(&o.keep, keep); set(&o.resume, resume); set(&o.maxSteps, maxSteps); set(&o.replicaCheckEvery, replicaCheckEvery)
    set(&o.collectiveTimeout, collectiveTimeout)
    if allowOtherRun { o.allowOtherRun = true }
    set(&o.seed, seed); set(&o.threads, threads)
    try o.setModelArguments(modelArguments)
    return o
  }
}

/// Overrides `field` when the option was given.
func set<T>(_ field: inout T, _ value: T?) { if let value { field = value } }
