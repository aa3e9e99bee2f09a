import NN
import Tensors

/// What a translator reads for one batch of N translations, by field: the fields a data set yields under their
/// batch names. Today the image ("A"); ECGAN's label map (N, classes, H, W) and the exemplar (N, C, H, W) of MCL-Net
/// and EGSC-IT (spec ecgan-mclnet-egscit.md) join as further optional fields, each translator reading the ones it
/// needs, so a model without an image input (ECGAN) leaves `image` nil.
public struct TranslationInput {
  /// "A": the images to translate, (N, C, H, W) in [−1, 1].
  public var image: Tensor?

  public init(image: Tensor? = nil) { self.image = image }
}

/// Inference alone: the networks a trained model translates with, and nothing it needs only to train (no
/// discriminator, no F heads, no optimiser, no image pool). `i2i translate` builds one from the training options,
/// loads each network from `net_<name>.safetensors` and translates batches.
public protocol Translator: AnyObject {
  /// The networks it runs, by checkpoint name ("G_A", "G"); their weights are `net_<name>.safetensors`.
  var networks: [(name: String, module: Module)] { get }

  /// The batch translated without gradient, in the networks' current mode: (N, outputNC, H, W) in [−1, 1].
  func translate(_ batch: TranslationInput) -> Tensor
}

/// A translator made of one image-to-image generator: CycleGAN's G_A or G_B, CUT's, FastCUT's and EnCo's G.
public final class GeneratorTranslator: Translator {
  /// The generator's checkpoint name.
  public let generatorName: String
  /// (N, inputNC, H, W) → (N, outputNC, H, W).
  public let generator: ResnetGenerator

  public init(generatorName: String, generator: ResnetGenerator) {
    (self.generatorName, self.generator) = (generatorName, generator)
  }

  public var networks: [(name: String, module: Module)] { [(generatorName, generator)] }

  /// G(image) for the batch's images (N, inputNC, H, W).
  public func translate(_ batch: TranslationInput) -> Tensor {
    guard let image = batch.image else {
      preconditionFailure("\(generatorName) translates images: the batch has no image field (A)")
    }
    return noGrad { generator(image) }
  }
}

extension GeneratorTranslator {
  /// The one generator G of a one-sided model (CUT, FastCUT, EnCo) as it translates `direction`: AtoB, the
  /// direction the data set was read in (`--direction` swaps the folders); nil for BtoA, which no network does.
  public static func oneSided(_ n: NetworkOptions, direction: Direction) -> GeneratorTranslator? {
    direction == .aToB ? GeneratorTranslator(generatorName: "G", generator: Networks.oneSidedGenerator(n)) : nil
  }
}
