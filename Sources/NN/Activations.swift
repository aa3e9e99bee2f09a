import Tensors

/// Parameterless layers. Each still takes its index in a `Sequential`, as in PyTorch.

/// y = max(x, 0)
public final class ReLU: Module, UnaryLayer {
  public override init() { super.init() }
  public func callAsFunction(_ x: Tensor) -> Tensor { relu(x) }
}

/// y = x for x ≥ 0, slope·x otherwise (the reference GANs all use slope 0.2; PyTorch's default is 0.01).
public final class LeakyReLU: Module, UnaryLayer {
  public let slope: Float
  public init(_ slope: Float = 0.2) {
    self.slope = slope
    super.init()
  }
  public func callAsFunction(_ x: Tensor) -> Tensor { leakyRelu(x, slope: slope) }
}

/// y = tanh(x)
public final class Tanh: Module, UnaryLayer {
  public override init() { super.init() }
  public func callAsFunction(_ x: Tensor) -> Tensor { tanh(x) }
}

/// y = 1 / (1 + e^(−x))
public final class Sigmoid: Module, UnaryLayer {
  public override init() { super.init() }
  public func callAsFunction(_ x: Tensor) -> Tensor { sigmoid(x) }
}

/// y = x
public final class Identity: Module, UnaryLayer {
  public override init() { super.init() }
  public func callAsFunction(_ x: Tensor) -> Tensor { x }
}
