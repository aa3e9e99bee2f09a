import Tensors

/// A module whose forward pass maps one tensor to one tensor: what `Sequential` chains.
public protocol UnaryLayer: Module {
  func callAsFunction(_ x: Tensor) -> Tensor
}

/// Layers applied in order, named "0", "1", … as PyTorch's `nn.Sequential` names them, so indices in state-dict
/// keys (`model.10.conv_block.1.weight`) match the reference code. Layers without parameters keep their index.
public final class Sequential: Module, UnaryLayer {
  public private(set) var layers: [any UnaryLayer] = []

  public init(_ layers: [any UnaryLayer]) {
    super.init()
    for layer in layers { append(layer) }
  }

  public convenience init(_ layers: any UnaryLayer...) { self.init(layers) }

  /// Adds `layer` under the next index.
  ///
  /// NOTE: a conv bias directly followed by an instance norm cannot change the output (the norm subtracts each
  /// channel's mean), so its true gradient is 0; computed, it is rounding noise, which Adam turns into random ±lr
  /// steps that differ between runs, thread counts and world sizes (PyTorch does the same). Such a bias keeps its
  /// state-dict key and value but is left out of the forward pass, so it gets no gradient and never moves.
  public func append(_ layer: any UnaryLayer) {
    if layer is InstanceNorm2d {
      if let conv = layers.last as? Conv2d { conv.biasIsCancelled = true }
      if let conv = layers.last as? ConvTranspose2d { conv.biasIsCancelled = true }
    }
    registerModule(String(layers.count), layer)
    layers.append(layer)
  }

  public var count: Int { layers.count }

  public subscript(_ i: Int) -> any UnaryLayer { layers[i] }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    layers.reduce(x) { y, layer in layer(y) }
  }
}
