import Tensors

/// Parameters that share hyper-parameters (PyTorch's `param_groups` entry). A schedule changes `lr`.
public struct ParameterGroup {
  public var parameters: [Tensor]
  public var lr: Float
  public var betas: (Float, Float)
  public var eps: Float
  public var weightDecay: Float

  public init(_ parameters: [Tensor], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
              weightDecay: Float = 0) {
    for p in parameters { precondition(p.node?.isLeaf == true, "an optimiser updates leaf tensors (parameters) only") }
    self.parameters = parameters
    self.lr = lr
    self.betas = betas
    self.eps = eps
    self.weightDecay = weightDecay
  }
}

/// Updates parameters in place from their `.grad` (mlx-swift: new state for a parameter, then update it).
///
/// Its state exports as named tensors keyed by the parameter's position across all groups, as PyTorch numbers
/// them: `"3.exp_avg"`. A checkpoint stores them under a prefix of its own.
public protocol Optimizer: AnyObject {
  var groups: [ParameterGroup] { get set }
  /// One update of every parameter that has a gradient (parameters without one, or frozen, are skipped).
  func step()
  func stateDict() -> [(name: String, tensor: Tensor)]
  func loadStateDict(_ state: [String: Tensor]) throws
}

extension Optimizer {
  public var parameters: [Tensor] { groups.flatMap(\.parameters) }

  /// Zeroes every parameter's gradient in place, or with `setToNone` drops it.
  public func zeroGrad(setToNone: Bool = false) {
    for p in parameters { p.zeroGrad(setToNone: setToNone) }
  }
}
