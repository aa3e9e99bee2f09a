import ArgumentParser
import Training

/// The reference code's options shared by every model (spec §2.5), in kebab-case with the underscore spellings
/// accepted. Unset options keep the model's reference default (`TrainingOptions(model:)`).
struct TrainArguments: ParsableArguments {
  @Option(name: .both("dataroot"), help: "Folder with trainA/trainB (unaligned) or train/ (aligned).") var dataroot: String
  @Option(name: .both("name"), help: "Run name: outputs go to <checkpoints-dir>/<name>.") var name: String?
  @Option(name: .both("checkpoints-dir")) var checkpointsDir: String?
  @Option(name: .both("model"), help: "cyclegan, cut, fastcut or enco.") var model: String = "cyclegan"
  @Option(name: .both("input-nc")) var inputNC: Int?
  @Option(name: .both("output-nc")) var outputNC: Int?
  @Option(name: .both("ngf")) var ngf: Int?
  @Option(name: .both("ndf")) var ndf: Int?
  @Option(name: .both("netG"), help: "resnet_9blocks or resnet_6blocks.") var netG: String?
  @Option(name: .both("netD"), help: "basic (70×70 PatchGAN) or n_layers.") var netD: String?
  @Option(name: .both("n-layers-D")) var nLayersD: Int?
  @Option(name: .both("norm"), help: "instance, batch or none.") var norm: String?
  @Option(name: .both("init-type"), help: "normal, xavier or kaiming.") var initType: String?
  @Option(name: .both("init-gain")) var initGain: Float?
  @Option(help: "adam (the reference's; default) or sgd: plain SGD at the same learning rates, for equivalence checks, where an update proportional to the gradient keeps rounding differences small.") var optimizer: String?
  @Flag(name: .both("no-dropout"), help: "No dropout in the generator (the default).") var noDropout = false
  @Flag(name: .both("dropout"), help: "Dropout in the generator's residual blocks.") var dropout = false
  @Option(name: .both("dataset-mode"), help: "unaligned or aligned.") var datasetMode: String?
  @Option(name: .both("direction"), help: "AtoB or BtoA.") var direction: String?
  @Flag(name: .both("serial-batches"), help: "Take B images in order instead of at random.") var serialBatches = false
  @Option(name: .both("batch-size"), help: "Images per rank per step.") var batchSize: Int?
  @Option(name: .both("load-size")) var loadSize: Int?
  @Option(name: .both("crop-size")) var cropSize: Int?
  @Option(name: .both("preprocess"), help: "resize_and_crop, crop, scale_width, scale_width_and_crop or none.") var preprocess: String?
  @Flag(name: .both("no-flip")) var noFlip = false
  @Option(name: .both("no-scale-aug-in-decay"), help: "true: in the decay epochs (after --n-epochs) load at --crop-size, so the last epochs see objects at the scale of uncropped images. Default: true for cut, fastcut and enco (taesungp/contrastive-unpaired-translation and XiudingCai/EnCo-pytorch do this), false for cyclegan (junyanz/pytorch-CycleGAN-and-pix2pix keeps resize-and-crop to the end).")
  var noScaleAugInDecay: BoolValue?
  @Option(name: .both("max-dataset-size")) var maxDatasetSize: Int?
  @Flag(name: .both("skip-bad-images"), help: "Skip unreadable images with a warning instead of stopping.") var skipBadImages = false
  @Option(name: .both("n-epochs"), help: "Epochs at the initial learning rate.") var nEpochs: Int?
  @Option(name: .both("n-epochs-decay"), help: "Epochs of linear decay to zero.") var nEpochsDecay: Int?
  @Option(name: .both("epoch-count")) var epochCount: Int?
  @Option(name: .both("lr")) var lr: Float?
  @Option(name: .both("beta1")) var beta1: Float?
  @Option(name: .both("beta2")) var beta2: Float?
  @Option(name: .both("gan-mode"), help: "lsgan or vanilla.") var ganMode: String?
  @Option(name: .both("pool-size"), help: "Image history per rank for the discriminator (0: none).") var poolSize: Int?
  @Option(name: .both("lr-policy"), help: "linear, step, cosine or constant.") var lrPolicy: String?
  @Option(name: .both("lr-decay-iters")) var lrDecayIters: Int?
  @Option(name: .both("warmup-epochs")) var warmupEpochs: Int?
  @Option(name: .both("lambda-A")) var lambdaA: Float?
  @Option(name: .both("lambda-B")) var lambdaB: Float?
  @Option(name: .both("lambda-identity")) var lambdaIdentity: Float?
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

  /// The model's reference defaults with every given option applied.
  func options(contrastive: ContrastiveArguments) throws -> TrainingOptions {
    var o = try TrainingOptions(model: model)
    o.dataroot = dataroot
    set(&o.name, name); set(&o.checkpointsDir, checkpointsDir)
    set(&o.inputNC, inputNC); set(&o.outputNC, outputNC); set(&o.ngf, ngf); set(&o.ndf, ndf)
    set(&o.netG, netG); set(&o.netD, netD); set(&o.nLayersD, nLayersD); set(&o.norm, norm)
    set(&o.initType, initType); set(&o.initGain, initGain); set(&o.optimizer, optimizer)
    if dropout && noDropout { throw ValidationError("--dropout and --no-dropout contradict each other") }
    if dropout { o.dropout = true }
    set(&o.datasetMode, datasetMode); set(&o.direction, direction)
    if serialBatches { o.serialBatches = true }
    set(&o.batchSize, batchSize); set(&o.loadSize, loadSize); set(&o.cropSize, cropSize); set(&o.preprocess, preprocess)
    if noFlip { o.noFlip = true }
    if let noScaleAugInDecay { o.noScaleAugInDecay = noScaleAugInDecay.value }
    if skipBadImages { o.skipBadImages = true }
    set(&o.maxDatasetSize, maxDatasetSize)
    set(&o.nEpochs, nEpochs); set(&o.nEpochsDecay, nEpochsDecay); set(&o.epochCount, epochCount)
    set(&o.lr, lr); set(&o.beta1, beta1); set(&o.beta2, beta2); set(&o.ganMode, ganMode); set(&o.poolSize, poolSize)
    set(&o.lrPolicy, lrPolicy); set(&o.lrDecayIters, lrDecayIters); set(&o.warmupEpochs, warmupEpochs)
    set(&o.lambdaA, lambdaA); set(&o.lambdaB, lambdaB); set(&o.lambdaIdentity, lambdaIdentity)
    set(&o.printFreq, printFreq); set(&o.saveEpochFreq, saveEpochFreq); set(&o.saveEverySteps, saveEverySteps)
    if saveInitial { o.saveInitial = true }
    set(&o.keep, keep); set(&o.resume, resume); set(&o.maxSteps, maxSteps); set(&o.replicaCheckEvery, replicaCheckEvery)
    set(&o.collectiveTimeout, collectiveTimeout)
    if allowOtherRun { o.allowOtherRun = true }
    set(&o.seed, seed); set(&o.threads, threads)
    contrastive.apply(to: &o)
    if contrastive.nceLayers == nil { o.mirrorEnCoLayersForNetG() }
    return o
  }
}

/// Overrides `field` when the option was given.
func set<T>(_ field: inout T, _ value: T?) { if let value { field = value } }
