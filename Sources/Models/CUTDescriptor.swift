import NN
import Tensors

/// `--model cut` and `--model fastcut`: CUT and FastCUT as taesungp/contrastive-unpaired-translation trains them
/// (`--CUT_mode CUT` / `FastCUT`).
public enum CUTDescriptor: ModelDescriptor {
  public static let names = ["cut", "fastcut"]
  public static let summary = "CUT / FastCUT (Park et al. 2020): one generator, PatchNCE between input and output patches."

  /// FastCUT: λ_NCE 10, no identity NCE, flip-equivariance.
  public static func defaults(for name: String) -> CUTOptions {
    var o = CUTOptions()
    if name == "fastcut" { (o.lambdaNCE, o.nceIdt, o.flipEquivariance) = (10, false, true) }
    return o
  }

  public static func schedule(for name: String) -> ScheduleDefaults {
    name == "fastcut" ? ScheduleDefaults(nEpochs: 150, nEpochsDecay: 50) : ScheduleDefaults(nEpochs: 200, nEpochsDecay: 200)
  }

  public static func fields(_ o: CUTOptions) -> [BatchField] {
    [BatchField("A", .image(channels: o.inputNC)), BatchField("B", .image(channels: o.outputNC))]
  }

  /// PatchNCE reshapes by the batch size, so every batch is full; the decay epochs load at the crop size.
  public static let dataPolicy = DataPolicy(dropLast: true, loadsAtCropSizeWhileDecaying: true)

  public static func checkInputSize(_ o: CUTOptions, cropSize: Int, cropped: Bool) throws {
    try o.network.checkPatchGANInput(cropSize: cropSize, cropped: cropped)
  }

  public static var architectureKeys: [String] { NetworkOptions.architectureKeys + ["netF", "netFNC", "nceLayers"] }

  public static func make(_ options: CUTOptions, run: RunFacts) throws -> any TranslationModel {
    try CUT(options.seeded(run))
  }

  public static func translator(_ options: CUTOptions, direction: Direction, run: RunFacts) throws -> (any Translator)? {
    try CUT.translator(options.seeded(run), direction: direction)
  }
}
