import NN
import Replicas
import Tensors

/// `--model ecgan`: ECGAN as Ha0Tang/ECGAN@984be01 trains it, at the CPU size of spec §7 by default.
public enum ECGANDescriptor: ModelDescriptor {
  public static let names = ["ecgan"]
  public static let summary = "ECGAN (Tang et al. 2023): label map → image through SPADE blocks, with an edge branch and a semantic-preserving module."

  public static func defaults(for name: String) -> ECGANOptions { ECGANOptions() }

  /// The official code's `--niter 50 --niter_decay 0`, decayed (with `--n-epochs-decay`) as its trainer does.
  public static func schedule(for name: String) -> ScheduleDefaults {
    ScheduleDefaults(nEpochs: 50, nEpochsDecay: 0, lrPolicy: "spade")
  }

  /// The label map (classes, and don't care as the id after them), the image (RGB, as the reference reads it), the
  /// real edges, and the instance map unless `--no-instance`.
  public static func fields(_ o: ECGANOptions) -> [BatchField] {
    var fields = [BatchField("label", o.labelKind),
                  BatchField("image", .image(channels: 3)), BatchField("edge", .edgeMap)]
    if !o.noInstance { fields.append(BatchField("instance", .instanceMap)) }
    return fields
  }

  /// The reference's loader keeps the last short batch (`drop_last` only with `--batchSize` > 1 on several GPUs);
  /// there is no decay-phase rule.
  public static let dataPolicy = DataPolicy(dropLast: false, loadsAtCropSizeWhileDecaying: false, datasetMode: "label_folders")

  /// The generator starts from a grid 2^upsamplings smaller than the crop.
  public static func checkInputSize(_ o: ECGANOptions, cropSize: Int, cropped: Bool) throws {
    let scale = 1 << o.generatorShape.upsamplings
    if cropped && cropSize % scale != 0 {
      throw OptionError("--crop-size", "must be a multiple of \(scale) for \(o.generatorShape.upsamplings) upsamplings of the generator, got \(cropSize)")
    }
  }

  public static var architectureKeys: [String] {
    ["labelNC", "containDontcareLabel", "noInstance", "ngf", "upBlocks", "middleBlocks", "moreUpsampling", "spadeNorm",
     "spectralG", "spadeHidden", "headChannels", "ndf", "nLayersD", "numD", "spectralD"]
  }

  public static func make(_ options: ECGANOptions, run: RunFacts) throws -> any TranslationModel {
    var o = options
    o.seed = run.seed
    return try ECGAN(o)
  }

  /// The generator alone, label maps to images (AtoB only: there is no way back).
  public static func translator(_ options: ECGANOptions, direction: Direction, run: RunFacts) throws -> (any Translator)? {
    guard direction == .aToB else { return nil }
    try options.validate()
    var o = options
    o.seed = run.seed
    return ECGANTranslator(o)
  }
}

/// ECGAN's inference: label maps (and instance maps) → I″, the generator in eval mode (running statistics in a
/// synchronised batch norm, spectral norm without a power iteration), as the reference's test.py runs it.
public final class ECGANTranslator: Translator {
  public let options: ECGANOptions
  public let generator: ECGANGenerator

  public init(_ options: ECGANOptions) {
    self.options = options
    generator = ECGAN.generator(options)
    generator.eval()
  }

  public var networks: [(name: String, module: Module)] { [("G", generator)] }
  /// The label map (ids as stored, don't care 255), then the instance map unless `--no-instance`.
  public var inputs: [BatchField] {
    [BatchField("label", options.labelKind)]
      + (options.noInstance ? [] : [BatchField("instance", .instanceMap)])
  }
  public let outputChannels = 3

  public func translate(_ batch: TranslationInput) throws -> Tensor { try generate(batch).refinedImage }

  /// I″, then "image1" (I′, the image branch, which the reference leaves unclamped: roughly [−2, 2], written
  /// clamped to [−1, 1]) and "edge" (I′_e).
  public func outputs(_ batch: TranslationInput) throws -> [(name: String, image: Tensor)] {
    let out = try generate(batch)
    return [("", out.refinedImage), ("image1", out.image), ("edge", out.edge)]
  }

  /// Every output of the generator for the batch: I′, I″, the edges I′_e.
  public func generate(_ batch: TranslationInput) throws -> ECGANGeneratorOutput {
    guard let label = batch.label else { throw OptionError("--input", "ECGAN translates label maps: the batch has none") }
    guard options.noInstance || batch.instance != nil else {
      throw OptionError("--input", "this ECGAN reads instance maps (trained without --no-instance): the batch has none")
    }
    let scale = 1 << options.generatorShape.upsamplings
    guard label.shape[2] % scale == 0 && label.shape[3] % scale == 0 else {
      throw OptionError("--input", "a \(label.shape[3])×\(label.shape[2]) label map: this generator needs a width and height that are multiples of \(scale)")
    }
    let seg = try options.semantics(label: label, instance: batch.instance)
    return try noGrad { try generator(seg, context: LocalReplicaContext()) }
  }
}
