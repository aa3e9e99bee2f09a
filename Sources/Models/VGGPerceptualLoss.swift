import Foundation
import NN
import Tensors

/// torchvision's `vgg19().features` up to relu5_1 (indices 0 … 29), its state-dict keys `features.<i>.weight` and
/// `.bias` at the convs' indices, as SPADE/ECGAN's `VGG19` slices it (spec §1.5): the outputs after relu1_1,
/// relu2_1, relu3_1, relu4_1 and relu5_1 (indices 1, 6, 11, 20, 29).
public final class VGG19Features: Module {
  /// The ImageNet VGG19 configuration E up to relu5_1: output channels per conv, 0 for a 2×2 max pool.
  static let layout = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512]
  /// The indices in `features` after which a slice ends (relu1_1 … relu5_1).
  public static let sliceEnds = [1, 6, 11, 20, 29]
  public let features: Sequential

  public override init() {
    var layers: [any UnaryLayer] = [], channels = 3
    for width in Self.layout {
      if width == 0 { layers.append(MaxPool2x2()); continue }
      layers += [Conv2d(channels, width, kernel: 3, padding: 1), ReLU()]
      channels = width
    }
    features = Sequential(layers)
    super.init()
    registerModule("features", features)
  }

  /// x (N, 3, H, W) → the five slices' outputs.
  public func callAsFunction(_ x: Tensor) -> [Tensor] {
    var y = x, outputs: [Tensor] = []
    for i in 0..<features.count {
      y = features[i](y)
      if Self.sliceEnds.contains(i) { outputs.append(y) }
    }
    return outputs
  }
}

/// `nn.MaxPool2d(2, 2)`: VGG's pooling (no parameters; keeps its index in `features`).
final class MaxPool2x2: Module, UnaryLayer {
  func callAsFunction(_ x: Tensor) -> Tensor { maxPool2d(x, kernel: 2, stride: 2) }
}

/// SPADE/ECGAN's `VGGLoss` (spec §1.5): Σᵢ wᵢ·L1(φᵢ(x), φᵢ(y).detach()) with w = 1/32, 1/16, 1/8, 1/4, 1 over the
/// five slices, the [−1, 1] images fed without ImageNet normalisation (the reference's quirk, kept). The network
/// is frozen: gradient reaches x only.
public final class VGGPerceptualLoss {
  public static let weights: [Float] = [1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1]
  public let vgg: VGG19Features

  public init(vgg: VGG19Features) {
    self.vgg = vgg
    vgg.eval()
    vgg.freeze()
  }

  /// Loads torchvision's weights from `path` (`scripts/convert_vgg19.py` writes them), an error naming
  /// `--vgg-weights` and the file otherwise.
  public convenience init(weights path: String) throws {
    let vgg = VGG19Features()
    do { try vgg.load(from: URL(fileURLWithPath: path)) } catch {
      throw OptionError("--vgg-weights", "\(path): \(error) (make the file with scripts/convert_vgg19.py)")
    }
    self.init(vgg: vgg)
  }

  /// x, y (N, 3, H, W) → the scalar loss; y gets no gradient.
  public func callAsFunction(_ x: Tensor, _ y: Tensor) -> Tensor {
    let fx = vgg(x), fy = noGrad { vgg(y) }
    var total = l1Loss(fx[0], fy[0]) * Self.weights[0]
    for i in 1..<fx.count { total = total + l1Loss(fx[i], fy[i]) * Self.weights[i] }
    return total
  }
}
