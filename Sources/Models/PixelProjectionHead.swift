import NN
import Tensors

/// ECGAN's pixel projection head for the cross-layout contrastive loss (spec §2.6, suggestion 1; the paper has no
/// code, ContrastiveSeg's `ProjectionHead` is the model): per pixel, an MLP written as 1×1 convs, then L2
/// normalisation over the channels,
///
///     0 Conv2d(C → width, 1×1), 1 ReLU, 2 Conv2d(width → width, 1×1);   e = v / (‖v‖₂ + 1e-7) over channels
///     features (N, C, h, w) → embeddings (N, width, h, w)
///
/// State-dict keys `0.weight` (width, C, 1, 1), `0.bias`, `2.weight` (width, width, 1, 1), `2.bias`. With C = 64
/// and width 128 it holds 24,832 parameters.
public final class PixelProjectionHead: Module {
  public let inputChannels: Int
  /// D, the embedding width (128 by default).
  public let width: Int
  let first: Conv2d, second: Conv2d

  /// Weights from the stream (seed, weight init, `name`), biases 0, so every rank that builds the head from the same
  /// seed holds the same one (as the other heads; SPADE's family initialises with xavier, gain 0.02).
  public init(inputChannels: Int, width: Int = 128, _ initType: InitType = .xavier, gain: Float = 0.02,
              seed: UInt64, name: String = "C") {
    precondition(inputChannels >= 1 && width >= 1,
                 "PixelProjectionHead: needs ≥ 1 input channel and width ≥ 1, got \(inputChannels) and \(width)")
    self.inputChannels = inputChannels
    self.width = width
    first = Conv2d(inputChannels, width, kernel: 1)
    second = Conv2d(width, width, kernel: 1)
    super.init()
    registerModule("0", first)
    registerModule("1", ReLU())
    registerModule("2", second)
    Networks.initialize(self, name: name, initType, gain: gain, seed: seed)
  }

  /// features (N, C, h, w) → unit-length embeddings (N, width, h, w).
  public func callAsFunction(_ features: Tensor) -> Tensor {
    precondition(features.rank == 4 && features.shape[1] == inputChannels,
                 "PixelProjectionHead: features must be (N, \(inputChannels), h, w), got \(features.shape)")
    return l2Normalize(second(relu(first(features))), axis: 1)
  }
}
