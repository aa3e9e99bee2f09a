import Foundation
import Tensors

/// The weight initialisations of CycleGAN/CUT `init_weights` (specs/cyclegan-cut-enco.md §1.4).
public enum WeightInit: Equatable {
  /// N(0, gain)
  case normal
  /// N(0, gain · √(2 / (fan_in + fan_out)))
  case xavierNormal
  /// N(0, √2 / √fan_in) (a = 0, mode fan_in; the gain is not used)
  case kaimingNormal
}

/// A layer that `initWeights` re-initialises: Conv2d, ConvTranspose2d and Linear (weight by the scheme, bias 0),
/// BatchNorm2d (weight ~ N(1, gain), bias 0).
public protocol WeightInitializable: Module {
  func initializeWeights(_ scheme: WeightInit, gain: Float, _ rng: inout RandomStream)
}

extension Module {
  /// Re-initialises every `WeightInitializable` layer of the tree, in `namedModules()` order, drawing from `rng`.
  /// Other parameters and all buffers (CUT's fixed blur filters) are left alone.
  public func initWeights(_ scheme: WeightInit, gain: Float = 0.02, rng: inout RandomStream) {
    for m in modules() { (m as? any WeightInitializable)?.initializeWeights(scheme, gain: gain, &rng) }
  }
}

/// In-place initialisers (PyTorch's `nn.init`). Fans follow `torch.nn.init._calculate_fan_in_and_fan_out`:
/// fan_in = shape[1] · kernel area, fan_out = shape[0] · kernel area (so for a transposed conv's [in, out, kh, kw]
/// weight, fan_in counts its output channels, as in PyTorch).
public enum Init {
  /// Where layers draw their PyTorch-default initial values at construction (the analogue of `torch.manual_seed`);
  /// models then re-initialise with `initWeights` from a stream of their own.
  nonisolated(unsafe) public static var defaultStream = RandomStream(seed: 0, key: [0x1A7E_5EED])

  public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
    precondition(shape.count >= 2, "fan in and fan out need at least 2 dimensions, shape is \(shape)")
    let area = shape.dropFirst(2).reduce(1, *)
    return (shape[1] * area, shape[0] * area)
  }

  /// t ~ N(mean, std)
  public static func normal(_ t: Tensor, mean: Float = 0, std: Float, _ rng: inout RandomStream) {
    let p = t.storage.base
    for i in 0..<t.count { p[i] = mean + std * rng.nextNormal() }
    t.storage.markModified()
  }

  /// t ~ U(−bound, bound)
  public static func uniform(_ t: Tensor, bound: Float, _ rng: inout RandomStream) {
    let p = t.storage.base
    for i in 0..<t.count { p[i] = bound * (2 * rng.nextFloat() - 1) }
    t.storage.markModified()
  }

  /// PyTorch's construction-time init of Conv*/Linear (`reset_parameters`: kaiming_uniform with a = √5):
  /// weight and bias ~ U(±1/√fan_in).
  public static func pytorchDefault(_ weight: Tensor, _ bias: Tensor?) {
    let bound = 1 / Float(fans(weight.shape).fanIn).squareRoot()
    uniform(weight, bound: bound, &defaultStream)
    if let bias { uniform(bias, bound: bound, &defaultStream) }
  }

  /// t ~ N(0, gain · √(2 / (fan_in + fan_out)))
  public static func xavierNormal(_ t: Tensor, gain: Float = 1, _ rng: inout RandomStream) {
    let (fanIn, fanOut) = fans(t.shape)
    normal(t, std: gain * (2 / Float(fanIn + fanOut)).squareRoot(), &rng)
  }

  /// t ~ N(0, √2 / √fan_in): kaiming_normal_ with a = 0, mode fan_in, leaky_relu gain.
  public static func kaimingNormal(_ t: Tensor, _ rng: inout RandomStream) {
    normal(t, std: (2 / Float(fans(t.shape).fanIn)).squareRoot(), &rng)
  }

  public static func constant(_ t: Tensor, _ value: Float) { t.assign(Tensor(repeating: value, t.shape)) }

  /// What `init_weights` does to a Conv/ConvTranspose/Linear layer: the weight by `scheme`, the bias to 0.
  public static func weightAndBias(_ weight: Tensor, _ bias: Tensor?, _ scheme: WeightInit, gain: Float,
                                   _ rng: inout RandomStream) {
    switch scheme {
    case .normal: normal(weight, std: gain, &rng)
    case .xavierNormal: xavierNormal(weight, gain: gain, &rng)
    case .kaimingNormal: kaimingNormal(weight, &rng)
    }
    if let bias { constant(bias, 0) }
  }
}
