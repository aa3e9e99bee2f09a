import Foundation
import Tensors

/// Adam (Kingma & Ba) with PyTorch's semantics; `AdamW` is the same with decoupled weight decay (Loshchilov & Hutter).
///
/// Per parameter p with gradient g, at step t (from 1):
///   g ← g + λ·p                          (Adam's L2 weight decay)   |   p ← p·(1 − lr·λ)   (AdamW)
///   m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
///   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// State per parameter: `step`, `exp_avg` (m), `exp_avg_sq` (v), created at its first update.
public class Adam: Optimizer {
  public var groups: [ParameterGroup]
  public let decoupledWeightDecay: Bool
  /// Keyed by the parameter's position across all groups.
  private var state: [Int: ParameterState] = [:]

  struct ParameterState {
    var step: Int
    let expAvg: Tensor, expAvgSq: Tensor
  }

  public init(groups: [ParameterGroup], decoupledWeightDecay: Bool = false) {
    self.groups = groups
    self.decoupledWeightDecay = decoupledWeightDecay
  }

  /// One group with PyTorch's defaults (CycleGAN uses lr 2e-4, betas (0.5, 0.999)).
  public convenience init(_ parameters: [Tensor], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                          eps: Float = 1e-8, weightDecay: Float = 0) {
    self.init(groups: [ParameterGroup(parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay)])
  }

  public func step() {
    var index = 0
    for group in groups {
      for p in group.parameters {
        defer { index += 1 }
        guard let node = p.node, !node.isFrozen, let g = node.grad else { continue }
        var s = state[index] ?? ParameterState(step: 0, expAvg: Tensor(zeros: p.shape), expAvgSq: Tensor(zeros: p.shape))
        s.step += 1
        update(p, g, s, group)
        state[index] = s
      }
    }
  }

  private func update(_ param: Tensor, _ grad: Tensor, _ s: ParameterState, _ group: ParameterGroup) {
    let (b1, b2) = group.betas
    let lr = group.lr, eps = group.eps, wd = group.weightDecay
    let l2 = decoupledWeightDecay ? 0 : wd
    let shrink = decoupledWeightDecay ? 1 - lr * wd : 1
    // NOTE: bias corrections in Double, as PyTorch computes them on Python floats.
    let bc1 = 1 - pow(Double(b1), Double(s.step)), bc2 = 1 - pow(Double(b2), Double(s.step))
    let stepSize = Float(Double(lr) / bc1), bc2Sqrt = Float(bc2.squareRoot())
    let p = param.storage.base, g = grad.storage.base      // (numel)
    let m = s.expAvg.storage.base, v = s.expAvgSq.storage.base  // (numel)
    // NOTE: written on SIMD8 because the scalar loop did not vectorise (a scalar sqrt and two divisions per
    // element); lane by lane these are the same IEEE operations in the same order, so the results are identical.
    typealias V = SIMD8<Float>
    @inline(__always) func load(_ q: UnsafeMutablePointer<Float>, _ i: Int) -> V {
      UnsafeRawPointer(q + i).loadUnaligned(as: V.self)
    }
    @inline(__always) func store(_ x: V, _ q: UnsafeMutablePointer<Float>, _ i: Int) {
      UnsafeMutableRawPointer(q + i).storeBytes(of: x, as: V.self)
    }
    parallelFor(param.count, grain: elementsPerThread) { r in
      var i = r.lowerBound
      while i &+ 8 <= r.upperBound {
        let pi = load(p, i), gi = load(g, i) + l2 * pi
        let mi = load(m, i) + (gi - load(m, i)) * (1 - b1)
        let vi = load(v, i) * b2 + (1 - b2) * gi * gi
        store(mi, m, i)
        store(vi, v, i)
        store(pi * shrink - stepSize * mi / (vi.squareRoot() / bc2Sqrt + eps), p, i)
        i &+= 8
      }
      while i < r.upperBound {
        let gi = g[i] + l2 * p[i]
        m[i] += (gi - m[i]) * (1 - b1)
        v[i] = v[i] * b2 + (1 - b2) * gi * gi
        p[i] = p[i] * shrink - stepSize * m[i] / (v[i].squareRoot() / bc2Sqrt + eps)
        i &+= 1
      }
    }
    param.storage.markModified()
    s.expAvg.storage.markModified()
    s.expAvgSq.storage.markModified()
  }

  /// `"<i>.step"` (a scalar), `"<i>.exp_avg"`, `"<i>.exp_avg_sq"` for every parameter updated so far.
  public func stateDict() -> [(name: String, tensor: Tensor)] {
    state.keys.sorted().flatMap { i -> [(name: String, tensor: Tensor)] in
      let s = state[i]!
      return [("\(i).step", Tensor(scalar: Float(s.step))), ("\(i).exp_avg", s.expAvg.copy()),
              ("\(i).exp_avg_sq", s.expAvgSq.copy())]
    }
  }

  /// Replaces the state with `saved` (from `stateDict()`), checking every key and shape before changing anything.
  public func loadStateDict(_ saved: [String: Tensor]) throws {
    let shapes = parameters.map(\.shape)
    var indices: Set<Int> = []
    for key in saved.keys {
      let parts = key.split(separator: ".", maxSplits: 1)
      guard parts.count == 2, let i = Int(parts[0]), i >= 0, i < shapes.count,
            ["step", "exp_avg", "exp_avg_sq"].contains(parts[1]) else { throw StateDictError.unexpectedKeys([key]) }
      indices.insert(i)
    }
    var loaded: [Int: ParameterState] = [:]
    for i in indices.sorted() {
      let keys = ["\(i).step", "\(i).exp_avg", "\(i).exp_avg_sq"]
      let missing = keys.filter { saved[$0] == nil }
      if !missing.isEmpty { throw StateDictError.missingKeys(missing) }
      let (step, m, v) = (saved[keys[0]]!, saved[keys[1]]!, saved[keys[2]]!)
      if step.count != 1 { throw StateDictError.shapeMismatch(key: keys[0], expected: [], got: step.shape) }
      if m.shape != shapes[i] { throw StateDictError.shapeMismatch(key: keys[1], expected: shapes[i], got: m.shape) }
      if v.shape != shapes[i] { throw StateDictError.shapeMismatch(key: keys[2], expected: shapes[i], got: v.shape) }
      loaded[i] = ParameterState(step: Int(step.item), expAvg: m.copy(), expAvgSq: v.copy())
    }
    state = loaded
  }
}

/// AdamW: Adam with decoupled weight decay (PyTorch's default λ = 0.01).
public final class AdamW: Adam {
  public init(groups: [ParameterGroup]) { super.init(groups: groups, decoupledWeightDecay: true) }

  public convenience init(_ parameters: [Tensor], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                          eps: Float = 1e-8, weightDecay: Float = 1e-2) {
    self.init(groups: [ParameterGroup(parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay)])
  }
}
