import Tensors

/// PyTorch's `nn.Conv2d` with padding_mode zeros (reflect padding is a `ReflectionPad2d` before it, as in CycleGAN).
/// x (N, in, H, W) → y (N, out, ⌊(H + 2p − k)/s⌋ + 1, ⌊(W + 2p − k)/s⌋ + 1).
/// Parameters `weight` (out, in/groups, k, k) and `bias` (out), initialised as PyTorch does (U(±1/√fan_in)).
public final class Conv2d: Module, UnaryLayer, WeightInitializable {
  public let weight: Tensor
  public let bias: Tensor?
  public let stride: Int, padding: Int, groups: Int
  /// Set by `Sequential` when an instance norm follows (see `Sequential.append`), and by networks whose own
  /// structure normalises the conv's output per channel (SPADE ResBlks): the bias keeps its key and value but is left
  /// out of the forward pass.
  public var biasIsCancelled = false

  public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
              groups: Int = 1, bias: Bool = true) {
    precondition(inChannels % groups == 0 && outChannels % groups == 0,
                 "Conv2d: \(inChannels) → \(outChannels) channels do not split into \(groups) groups")
    self.weight = Tensor(uninitialized: [outChannels, inChannels / groups, kernel, kernel]).requiringGrad()
    self.bias = bias ? Tensor(uninitialized: [outChannels]).requiringGrad() : nil
    self.stride = stride
    self.padding = padding
    self.groups = groups
    super.init()
    Init.pytorchDefault(weight, self.bias)
    registerParameter("weight", weight)
    if let b = self.bias { registerParameter("bias", b) }
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    conv2d(x, weight, biasIsCancelled ? nil : bias, stride: stride, padding: padding, groups: groups)
  }

  public func initializeWeights(_ scheme: WeightInit, gain: Float, _ rng: inout RandomStream) {
    Init.weightAndBias(weight, bias, scheme, gain: gain, &rng)
  }
}

/// PyTorch's `nn.ConvTranspose2d`: x (N, in, H, W) → y (N, out, (H − 1)s − 2p + k + outputPadding, …).
/// Parameters `weight` (in, out, k, k) and `bias` (out).
public final class ConvTranspose2d: Module, UnaryLayer, WeightInitializable {
  public let weight: Tensor
  public let bias: Tensor?
  public let stride: Int, padding: Int, outputPadding: Int
  /// Set by `Sequential` when an instance norm follows: see `Sequential.append`.
  public internal(set) var biasIsCancelled = false

  public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
              outputPadding: Int = 0, bias: Bool = true) {
    self.weight = Tensor(uninitialized: [inChannels, outChannels, kernel, kernel]).requiringGrad()
    self.bias = bias ? Tensor(uninitialized: [outChannels]).requiringGrad() : nil
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    super.init()
    Init.pytorchDefault(weight, self.bias)
    registerParameter("weight", weight)
    if let b = self.bias { registerParameter("bias", b) }
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    convTranspose2d(x, weight, biasIsCancelled ? nil : bias, stride: stride, padding: padding, outputPadding: outputPadding)
  }

  public func initializeWeights(_ scheme: WeightInit, gain: Float, _ rng: inout RandomStream) {
    Init.weightAndBias(weight, bias, scheme, gain: gain, &rng)
  }
}

/// PyTorch's `nn.Linear`: y = x·Wᵀ + b, x (…, in) → y (…, out). Parameters `weight` (out, in) and `bias` (out).
public final class Linear: Module, UnaryLayer, WeightInitializable {
  public let weight: Tensor
  public let bias: Tensor?

  public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
    self.weight = Tensor(uninitialized: [outFeatures, inFeatures]).requiringGrad()
    self.bias = bias ? Tensor(uninitialized: [outFeatures]).requiringGrad() : nil
    super.init()
    Init.pytorchDefault(weight, self.bias)
    registerParameter("weight", weight)
    if let b = self.bias { registerParameter("bias", b) }
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight, bias) }

  public func initializeWeights(_ scheme: WeightInit, gain: Float, _ rng: inout RandomStream) {
    Init.weightAndBias(weight, bias, scheme, gain: gain, &rng)
  }
}
