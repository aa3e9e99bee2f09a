import Tensors

/// Plain stochastic gradient descent, PyTorch's `torch.optim.SGD` without momentum: p ← p − lr·(g + λ·p).
///
/// No model of the reference code trains with it; it is here for equivalence checks (`--optimizer sgd`), where an
/// update proportional to the gradient keeps a rounding-level gradient difference a rounding-level weight difference
/// (Adam's first step, ≈ lr·sign(g), turns the sign of a gradient at the rounding floor into a full step). No state.
public final class SGD: Optimizer {
  public var groups: [ParameterGroup]

  public init(groups: [ParameterGroup]) { self.groups = groups }

  public convenience init(_ parameters: [Tensor], lr: Float, weightDecay: Float = 0) {
    self.init(groups: [ParameterGroup(parameters, lr: lr, weightDecay: weightDecay)])
  }

  public func step() {
    for group in groups {
      for param in group.parameters {
        guard let node = param.node, !node.isFrozen, let grad = node.grad else { continue }
        let p = param.storage.base, g = grad.storage.base  // (numel)
        let lr = group.lr, wd = group.weightDecay
        for i in 0..<param.count { p[i] -= lr * (g[i] + wd * p[i]) }
      }
    }
  }

  public func stateDict() -> [(name: String, tensor: Tensor)] { [] }

  public func loadStateDict(_ state: [String: Tensor]) throws {}
}
