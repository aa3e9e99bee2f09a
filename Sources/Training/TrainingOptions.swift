/// Everything a training run is configured with: the reference code's options (same names, in kebab-case on the
/// command line) plus the distributed trainer's own. Saved as `<name>/train_opt.json` and in every checkpoint.
///
/// Defaults that differ between the reference models (schedule length, init, pool, NCE weights) come from
/// `TrainingOptions(model:)`; the command line then overrides what the user gave.
public struct TrainingOptions: Codable, Equatable, Sendable {
  // Paths and naming
  public var dataroot = ""
  public var name = "experiment_name"
  public var checkpointsDir = "./checkpoints"
  // Model
  public var model = "cyclegan"
  public var inputNC = 3
  public var outputNC = 3
  public var ngf = 64
  public var ndf = 64
  public var netG = "resnet_9blocks"
  public var netD = "basic"
  public var nLayersD = 3
  public var norm = "instance"
  public var initType = "normal"
  public var initGain: Float = 0.02
  /// `adam` (every reference model) or `sgd` (plain SGD at the same learning rates, for equivalence checks).
  public var optimizer = "adam"
  public var dropout = false
  // Data
  public var datasetMode = "unaligned"
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
  // Optimisation
  public var nEpochs = 100
  public var nEpochsDecay = 100
  public var epochCount = 1
  public var lr: Float = 0.0002
  public var beta1: Float = 0.5
  public var beta2: Float = 0.999
  public var ganMode = "lsgan"
  public var poolSize = 50
  public var lrPolicy = "linear"
  public var lrDecayIters = 50
  /// EnCo's warm-up: the lr rises linearly over this many epochs (0: off).
  public var warmupEpochs = 0
  // CycleGAN
  public var lambdaA: Float = 10
  public var lambdaB: Float = 10
  public var lambdaIdentity: Float = 0.5
  // CUT, FastCUT and EnCo (spec §3.9, §4)
  public var lambdaGAN: Float = 1
  public var lambdaNCE: Float = 1
  /// CUT's identity PatchNCE on target-domain images.
  public var nceIdt = true
  public var nceLayers = "0,4,8,12,16"
  public var netF = "mlp_sample"
  public var netFNC = 256
  public var nceT: Float = 0.07
  public var numPatches = 256
  public var flipEquivariance = false
  /// Where the negatives of a contrastive loss come from: `image`, `batch` or `global` (every rank's batch).
  public var negatives = "image"
  public var noAntialias = false
  public var noAntialiasUp = false
  /// EnCo: pixel identity weight, per-network learning rates, loss variant, identity cut-off, heads and sampling.
  public var lambdaIDT: Float = 10
  public var lrG: Float = 5e-5
  public var lrD: Float = 2e-4
  public var lrF: Float = 5e-5
  public var encoLoss = "byol"
  /// Epoch after which EnCo drops the identity branch (0: n_epochs).
  /// EnCo: the last epoch with the identity branch; negative (the reference's −1): n_epochs.
  public var stopIdtEpochs = -1
  public var decayIdt = false
  public var prjNorm = "BN"
  public var oversampleRatio = 4
  public var randomRatio: Float = 0.5
  public var noPredictor = false
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
  public var seed: UInt64 = 0
  public var threads = 0

  public init() {}

  /// The reference defaults of `model` (cyclegan, cut, fastcut, enco); an unknown model is an error naming it.
  public init(model: String) throws {
    self.init()
    self.model = model
    switch model {
    case "cyclegan":
      break
    case "cut":
      (nEpochs, nEpochsDecay, initType, poolSize) = (200, 200, "xavier", 0)
    case "fastcut":
      (nEpochs, nEpochsDecay, initType, poolSize) = (150, 50, "xavier", 0)
      (lambdaNCE, nceIdt, flipEquivariance) = (10, false, true)
    case "enco":
      (nEpochs, nEpochsDecay, initType, poolSize) = (100, 100, "xavier", 0)
      (lambdaNCE, nceLayers, netF, flipEquivariance) = (2, "3,7,13,18,24,28", "mlp_sample_with_DAG", true)
      warmupEpochs = 20
    default:
      throw OptionError(option: "--model", reason: "unknown model '\(model)' (expected \(TrainingOptions.models.joined(separator: ", ")))")
    }
  }

  /// EnCo's default `--nce-layers` pair the same stages of encoder and decoder, mirrored around the residual blocks:
  /// (3, 28), (7, 24), (13, 18) with 9 blocks. With `--netG resnet_6blocks` the decoder side moves 3 layers up and
  /// block 2's mirror is block 4: (3, 25), (7, 21), (13, 15). Called when `--nce-layers` was not given.
  public mutating func mirrorEnCoLayersForNetG() {
    guard model == "enco", netG == "resnet_6blocks" else { return }
    nceLayers = "3,7,13,15,21,25"
  }

  /// The models `i2i train --model` accepts.
  public static let models = ["cyclegan", "cut", "fastcut", "enco"]

  /// `--lr-policy` with this run's schedule (warm-up and linear decay per epoch, step, cosine, or constant).
  public func learningRatePolicy() throws -> LearningRatePolicy {
    switch lrPolicy {
    case "linear": return .linear(nEpochs: nEpochs, nEpochsDecay: nEpochsDecay, epochCount: epochCount, warmupEpochs: warmupEpochs)
    case "step": return .step(every: max(lrDecayIters, 1))
    case "cosine": return .cosine(tMax: max(nEpochs, 1))
    case "constant": return .constant
    default: throw OptionError(option: "--lr-policy", reason: "unknown policy '\(lrPolicy)' (expected linear, step, cosine, constant)")
    }
  }

  /// The command-line spelling of a field: `nEpochsDecay` → `n-epochs-decay`, `lambdaA` → `lambda-A`,
  /// `inputNC` → `input-nc`, `netG` → `netG`.
  public static func flagName(_ field: String) -> String {
    if let special = specialFlags[field] { return special }
    var out = ""
    for c in field {
      if c.isUppercase { out += "-" + c.lowercased() } else { out.append(c) }
    }
    return out
  }

  static let specialFlags = ["netG": "netG", "netD": "netD", "netF": "netF", "netFNC": "netF-nc", "inputNC": "input-nc",
                             "outputNC": "output-nc", "nLayersD": "n-layers-D", "lambdaA": "lambda-A", "lambdaB": "lambda-B",
                             "lambdaGAN": "lambda-GAN", "lambdaNCE": "lambda-NCE", "lambdaIDT": "lambda-IDT",
                             "nceT": "nce-T", "lrG": "lr-G", "lrD": "lr-D", "lrF": "lr-F", "checkpointsDir": "checkpoints-dir"]

  static let encoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys]
    return e
  }()

  /// The options as strings for `state.json` (every field, by its JSON name).
  public var asStrings: [String: String] {
    guard let data = try? JSONEncoder().encode(self),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
    return object.mapValues { "\($0)" }
  }
}

/// A problem decided on one rank and reported on every rank, as its message.
public struct TrainingError: Error, CustomStringConvertible {
  public let description: String
  public init(_ message: String) { description = message }
}

import Foundation
import NN
