import NN
import Tensors

/// What a translator reads for one batch of N translations, by field: the image ("A") of the image-to-image
/// models, ECGAN's label map and instance map; the exemplar (N, C, H, W) of MCL-Net and EGSC-IT (spec
/// ecgan-mclnet-egscit.md) joins as a further optional field, each translator reading the ones it needs.
public struct TranslationInput {
  /// "A": the images to translate, (N, C, H, W) in [−1, 1].
  public var image: Tensor?
  /// Label maps (N, 1, H, W): class ids as floats.
  public var label: Tensor?
  /// Instance maps (N, 1, H, W): instance ids as floats.
  public var instance: Tensor?

  public init(image: Tensor? = nil, label: Tensor? = nil, instance: Tensor? = nil) {
    (self.image, self.label, self.instance) = (image, label, instance)
  }
}

/// Inference alone: the networks a trained model translates with, and nothing it needs only to train (no
/// discriminator, no F heads, no optimiser, no image pool). `i2i translate` builds one from the training options,
/// loads each network from `net_<name>.safetensors` and translates batches.
public protocol Translator: AnyObject {
  /// The networks it runs, by checkpoint name ("G_A", "G"); their weights are `net_<name>.safetensors`.
  var networks: [(name: String, module: Module)] { get }
  /// What it reads, the input folder's files first: an image ("A") or a label map ("label"), then any further
  /// field (ECGAN's "instance").
  var inputs: [BatchField] { get }
  /// Channels of the images it makes.
  var outputChannels: Int { get }

  /// The batch translated without gradient, in the networks' current mode: (N, outputNC, H, W) in [−1, 1]; an
  /// error names an input the networks cannot read (a class id outside the model's).
  func translate(_ batch: TranslationInput) throws -> Tensor

  /// Every image it makes for the batch, by name: the translation first, named "" (`translate`'s result), then
  /// any others (ECGAN's image branch and edges). Default: the translation alone.
  func outputs(_ batch: TranslationInput) throws -> [(name: String, image: Tensor)]
}

extension Translator {
  public func outputs(_ batch: TranslationInput) throws -> [(name: String, image: Tensor)] { [("", try translate(batch))] }
}

/// A translator made of one image-to-image generator: CycleGAN's G_A or G_B, CUT's, FastCUT's and EnCo's G.
public final class GeneratorTranslator: Translator {
  /// The generator's checkpoint name.
  public let generatorName: String
  /// (N, inputNC, H, W) → (N, outputNC, H, W).
  public let generator: ResnetGenerator

  public let inputChannels: Int, outputChannels: Int

  public init(generatorName: String, generator: ResnetGenerator, inputChannels: Int, outputChannels: Int) {
    (self.generatorName, self.generator) = (generatorName, generator)
    (self.inputChannels, self.outputChannels) = (inputChannels, outputChannels)
  }

  public var networks: [(name: String, module: Module)] { [(generatorName, generator)] }
  public var inputs: [BatchField] { [BatchField("A", .image(channels: inputChannels))] }

  /// G(image) for the batch's images (N, inputNC, H, W).
  public func translate(_ batch: TranslationInput) throws -> Tensor {
    guard let image = batch.image else {
      throw OptionError("--input", "\(generatorName) translates images: the batch has no image field (A)")
    }
    return noGrad { generator(image) }
  }
}

extension GeneratorTranslator {
  /// The one generator G of a one-sided model (CUT, FastCUT, EnCo) as it translates `direction`: AtoB, the
  /// direction the data set was read in (`--direction` swaps the folders); nil for BtoA, which no network does.
  public static func oneSided(_ n: NetworkOptions, direction: Direction) -> GeneratorTranslator? {
    guard direction == .aToB else { return nil }
    return GeneratorTranslator(generatorName: "G", generator: Networks.oneSidedGenerator(n), inputChannels: n.inputNC,
                               outputChannels: n.outputNC)
  }
}
