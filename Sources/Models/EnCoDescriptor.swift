import NN
import Tensors

/// `--model enco`: EnCo as XiudingCai/EnCo-pytorch trains it, with its README's options.
public enum EnCoDescriptor: ModelDescriptor {
  public static let names = ["enco"]
  public static let summary = "EnCo (Cai et al. 2022): one generator, its encoder and decoder features held together."

  public static func defaults(for name: String) -> EnCoOptions { EnCoOptions() }

  /// The README's schedule, with the official code's 20-epoch warm-up.
  public static func schedule(for name: String) -> ScheduleDefaults {
    ScheduleDefaults(nEpochs: 100, nEpochsDecay: 100, warmupEpochs: 20)
  }

  /// The default `--nce-layers` pair the same stages of encoder and decoder, mirrored around the residual blocks:
  /// (3, 28), (7, 24), (13, 18) with 9 blocks. With `--netG resnet_6blocks` the decoder side moves 3 layers up and
  /// block 2's mirror is block 4: (3, 25), (7, 21), (13, 15).
  public static func settle(_ o: inout EnCoOptions, given: Set<String>) {
    if !given.contains("nceLayers") && o.netG == .resnet6Blocks { o.nceLayers = [3, 7, 13, 15, 21, 25] }
    if !given.contains("randomRatio") && o.samplingStrategy == .random { o.randomRatio = 1 }
  }

  public static func fields(_ o: EnCoOptions) -> [BatchField] {
    [BatchField("A", .image(channels: o.inputNC)), BatchField("B", .image(channels: o.outputNC))]
  }

  /// As CUT's code, which EnCo's repository builds on.
  public static let dataPolicy = DataPolicy(dropLast: true, loadsAtCropSizeWhileDecaying: true)

  public static func checkInputSize(_ o: EnCoOptions, cropSize: Int, cropped: Bool) throws {
    try o.network.checkPatchGANInput(cropSize: cropSize, cropped: cropped)
  }

  public static var architectureKeys: [String] {
    NetworkOptions.architectureKeys + ["netFNC", "nceLayers", "prjNorm", "noPredictor"]
  }

  public static func make(_ options: EnCoOptions, run: RunFacts) throws -> any TranslationModel {
    var o = options.seeded(run)
    (o.nEpochs, o.totalEpochs) = (run.nEpochs, run.nEpochs + run.nEpochsDecay)
    return try EnCo(o)
  }

  public static func translator(_ options: EnCoOptions, direction: Direction, run: RunFacts) throws -> (any Translator)? {
    try EnCo.translator(options.seeded(run), direction: direction)
  }
}
