import NN
import Tensors

/// The adversarial objective on a discriminator's map of scores (spec §1.7): the label, 1 for real and 0 for fake,
/// is broadcast to the whole map and every element counts equally.
public struct GANLoss: Sendable {
  /// `--gan-mode`
  public enum Mode: String, OptionName, Sendable {
    /// Least squares (Mao et al.): mean((D − label)²). The default of CycleGAN, CUT and EnCo.
    case lsgan
    /// The original GAN: mean binary cross-entropy of σ(D) against the label, computed on the logits.
    case vanilla
  }

  public let mode: Mode

  public init(mode: Mode = .lsgan) { self.mode = mode }

  /// prediction (N, 1, H', W') or any shape → scalar loss for the label "real" (`targetIsReal`) or "fake".
  public func callAsFunction(_ prediction: Tensor, targetIsReal: Bool) -> Tensor {
    let label = Tensor(repeating: targetIsReal ? 1 : 0, prediction.shape)
    switch mode {
    case .lsgan: return mseLoss(prediction, label)
    case .vanilla: return bceWithLogits(prediction, label)
    }
  }
}
