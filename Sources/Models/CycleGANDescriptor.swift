import NN
import Tensors

/// `--model cyclegan`: CycleGAN as junyanz/pytorch-CycleGAN-and-pix2pix trains it.
public enum CycleGANDescriptor: ModelDescriptor {
  public static let names = ["cyclegan"]
  public static let summary = "CycleGAN (Zhu et al. 2017): two generators tied by cycle consistency, unpaired A and B."

  public static func defaults(for name: String) -> CycleGANOptions { CycleGANOptions() }
  public static func schedule(for name: String) -> ScheduleDefaults { ScheduleDefaults(nEpochs: 100, nEpochsDecay: 100) }

  public static func fields(_ o: CycleGANOptions) -> [BatchField] {
    [BatchField("A", .image(channels: o.inputNC)), BatchField("B", .image(channels: o.outputNC))]
  }

  /// The reference loader keeps the last short batch, and its unaligned data set scale-augments to the end.
  public static let dataPolicy = DataPolicy(dropLast: false, loadsAtCropSizeWhileDecaying: false)

  public static func checkInputSize(_ o: CycleGANOptions, cropSize: Int, cropped: Bool) throws {
    try o.network.checkPatchGANInput(cropSize: cropSize, cropped: cropped)
  }

  public static var architectureKeys: [String] { NetworkOptions.architectureKeys }

  public static func make(_ options: CycleGANOptions, run: RunFacts) throws -> any TranslationModel {
    try CycleGAN(options.seeded(run))
  }

  public static func translator(_ options: CycleGANOptions, direction: Direction, run: RunFacts) throws -> (any Translator)? {
    try CycleGAN.translator(options.seeded(run), direction: direction)
  }
}
