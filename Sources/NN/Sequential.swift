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
  public func append(_ layer: any UnaryLayer) {
    registerModule(String(layers.count), layer)
    layers.append(layer)
  }

  public var count: Int { layers.count }

  public subscript(_ i: Int) -> any UnaryLayer { layers[i] }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    layers.reduce(x) { y, layer in layer(y) }
  }
}
