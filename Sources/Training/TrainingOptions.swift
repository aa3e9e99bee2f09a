/// Everything a training run is configured with: the reference code's options (same names, in kebab-case on the
/// command line) plus the distributed trainer's own. Saved as `<name>/train_opt.json` and in every checkpoint.
public struct TrainingOptions: Codable, Equatable {
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
  public var maxDatasetSize = Int.max
  public var skipBadImages = false
  // Optimisation
  public var nEpochs = 100
  public var nEpochsDecay = 100
  public var epochCount = 1
  public var lr: Float = 0.0002
  public var beta1: Float = 0.5
  public var ganMode = "lsgan"
  public var poolSize = 50
  public var lrPolicy = "linear"
  public var lrDecayIters = 50
  public var lambdaA: Float = 10
  public var lambdaB: Float = 10
  public var lambdaIdentity: Float = 0.5
  // Logging, saving, resuming
  public var printFreq = 100
  public var saveEpochFreq = 5
  public var saveEverySteps = 0
  public var keep = 3
  public var resume = ""
  public var maxSteps = 0
  public var replicaCheckEvery = 100
  // Machine
  public var seed: UInt64 = 0
  public var threads = 0

  public init() {}

  /// The options as strings for `state.json` (every field, by its JSON name).
  public var asStrings: [String: String] {
    guard let data = try? JSONEncoder().encode(self),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
    return object.mapValues { "\($0)" }
  }
}

import Foundation
