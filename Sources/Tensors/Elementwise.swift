/// Elementwise ops with broadcasting. Forward kernel and backward rule side by side; the gradient of a broadcast
/// input is summed back to its shape.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Tensor {
  /// Applies `f` to every element (no autograd: the building block of unary ops), on the calling thread (see
  /// `parallelFor` for why a loop that calls a closure parameter runs serially).
  @inline(__always)
  public func map(_ f: (Float) -> Float) -> Tensor {
    let out = Tensor(uninitialized: shape)
    let p = storage.base, o = out.storage.base
    for i in 0..<count { o[i] = f(p[i]) }
    return out
  }
}

/// a + b
public func + (a: Tensor, b: Tensor) -> Tensor {
  let (sa, sb) = (a.shape, b.shape)
  return Tensor.record("add", Broadcast.binary(a, b, +), inputs: [a, b]) { g in
    [Broadcast.sum(g, to: sa), Broadcast.sum(g, to: sb)]
  }
}

/// a − b
public func - (a: Tensor, b: Tensor) -> Tensor {
  let (sa, sb) = (a.shape, b.shape)
  return Tensor.record("sub", Broadcast.binary(a, b, -), inputs: [a, b]) { g in
    [Broadcast.sum(g, to: sa), Broadcast.sum(-g, to: sb)]
  }
}

/// a · b (elementwise)
public func * (a: Tensor, b: Tensor) -> Tensor {
  let (needA, needB) = (a.requiresGrad, b.requiresGrad)
  let (sa, sb) = (a.saved(for: "mul"), b.saved(for: "mul"))
  return Tensor.record("mul", Broadcast.binary(a, b, *), inputs: [a, b]) { g in
    [needA ? Broadcast.sum(g * (try sb.get()), to: sa.shape) : nil,
     needB ? Broadcast.sum(g * (try sa.get()), to: sb.shape) : nil]
  }
}

/// a / b (elementwise)
public func / (a: Tensor, b: Tensor) -> Tensor {
  let (needA, needB) = (a.requiresGrad, b.requiresGrad)
  let (sa, sb) = (a.saved(for: "div"), b.saved(for: "div"))
  return Tensor.record("div", Broadcast.binary(a, b, /), inputs: [a, b]) { g in
    let bv = try sb.get()
    return [needA ? Broadcast.sum(g / bv, to: sa.shape) : nil,
            needB ? Broadcast.sum(Broadcast.binary(g * (try sa.get()), bv) { x, y in -x / (y * y) }, to: sb.shape) : nil]
  }
}

/// −x
public prefix func - (x: Tensor) -> Tensor {
  Tensor.record("neg", x.map { -$0 }, inputs: [x]) { g in [-g] }
}

public func + (a: Tensor, s: Float) -> Tensor { Tensor.record("add_scalar", a.map { $0 + s }, inputs: [a]) { g in [g] } }
public func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
public func + (s: Float, a: Tensor) -> Tensor { a + s }
public func - (s: Float, a: Tensor) -> Tensor { (-a) + s }
public func * (a: Tensor, s: Float) -> Tensor {
  Tensor.record("mul_scalar", a.map { $0 * s }, inputs: [a]) { g in [g.map { $0 * s }] }
}
public func * (s: Float, a: Tensor) -> Tensor { a * s }
public func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

// MARK: Unary math

extension Tensor {
  /// y = xᵖ; dy/dx = p·xᵖ⁻¹ (zero when p = 0, as in PyTorch). Shape: any.
  public func pow(_ p: Float) -> Tensor {
    let sx = saved(for: "pow")
    return Tensor.record("pow", map { powf($0, p) }, inputs: [self]) { g in
      if p == 0 { return [Tensor(zeros: g.shape)] }
      return [Broadcast.binary(g, try sx.get()) { g, x in g * p * powf(x, p - 1) }]
    }
  }

  /// y = eˣ; dy/dx = y. Shape: any.
  public func exp() -> Tensor {
    let y = map { expf($0) }
    let sy = y.saved(for: "exp")
    return Tensor.record("exp", y, inputs: [self]) { g in [Broadcast.binary(g, try sy.get(), *)] }
  }

  /// y = ln x; dy/dx = 1/x. Shape: any.
  public func log() -> Tensor {
    let sx = saved(for: "log")
    return Tensor.record("log", map { logf($0) }, inputs: [self]) { g in [Broadcast.binary(g, try sx.get(), /)] }
  }

  /// y = √x; dy/dx = 1/(2y). Shape: any.
  public func sqrt() -> Tensor {
    let y = map { $0.squareRoot() }
    let sy = y.saved(for: "sqrt")
    return Tensor.record("sqrt", y, inputs: [self]) { g in [Broadcast.binary(g, try sy.get()) { g, y in g / (2 * y) }] }
  }

  /// y = |x|; dy/dx = sign(x) (0 at x = 0). Shape: any.
  public func abs() -> Tensor {
    let sx = saved(for: "abs")
    return Tensor.record("abs", map { $0.magnitude }, inputs: [self]) { g in
      [Broadcast.binary(g, try sx.get()) { g, x in x > 0 ? g : (x < 0 ? -g : 0) }]
    }
  }

  /// y = min(max(x, min), max) (a missing bound is ±∞; with min > max every element is max, as in PyTorch);
  /// dy/dx = 1 where min ≤ x ≤ max, else 0. Shape: any.
  public func clamp(min: Float? = nil, max: Float? = nil) -> Tensor {
    precondition(min != nil || max != nil, "clamp: give at least one of min and max")
    let lo = min ?? -.infinity, hi = max ?? .infinity
    let sx = saved(for: "clamp")
    return Tensor.record("clamp", map { Swift.min(Swift.max($0, lo), hi) }, inputs: [self]) { g in
      [Broadcast.binary(g, try sx.get()) { g, x in x >= lo && x <= hi ? g : 0 }]
    }
  }
}

// MARK: Selection

/// max(a, b) elementwise with broadcasting (NaN wins); the gradient goes to a where a ≥ b (ties to a), else to b.
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { select("maximum", a, b) { x, y in x >= y || x.isNaN } }

/// min(a, b) elementwise with broadcasting (NaN wins); the gradient goes to a where a ≤ b (ties to a), else to b.
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { select("minimum", a, b) { x, y in x <= y || x.isNaN } }

/// out = pickA(a, b) ? a : b with broadcasting; the gradient is routed to the operand that was picked.
@inline(__always)
private func select(_ op: String, _ a: Tensor, _ b: Tensor, _ pickA: @escaping (Float, Float) -> Bool) -> Tensor {
  let y = Broadcast.binary(a, b) { x, y in pickA(x, y) ? x : y }
  let (needA, needB) = (a.requiresGrad, b.requiresGrad)
  let (sa, sb) = (a.saved(for: op), b.saved(for: op))
  return Tensor.record(op, y, inputs: [a, b]) { g in
    let picked = Broadcast.binary(try sa.get(), try sb.get()) { x, y in pickA(x, y) ? 1 : 0 }
    return [needA ? Broadcast.sum(Broadcast.binary(g, picked) { g, m in m != 0 ? g : 0 }, to: sa.shape) : nil,
            needB ? Broadcast.sum(Broadcast.binary(g, picked) { g, m in m != 0 ? 0 : g }, to: sb.shape) : nil]
  }
}

extension Tensor {
  /// out = condition ≠ 0 ? a : b, all three broadcasting to one shape; the gradient goes to a where the condition
  /// holds and to b elsewhere (the condition gets none).
  public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let shape = Broadcast.shape(condition.shape, Broadcast.shape(a.shape, b.shape))
    let c = Broadcast.stretch(condition, to: shape)
    let av = Broadcast.stretch(a, to: shape), bv = Broadcast.stretch(b, to: shape)
    let y = Tensor(uninitialized: shape)
    let pc = c.storage.base, pa = av.storage.base, pb = bv.storage.base, py = y.storage.base
    parallelFor(y.count, grain: elementsPerThread) { r in for i in r { py[i] = pc[i] != 0 ? pa[i] : pb[i] } }
    let (needA, needB) = (a.requiresGrad, b.requiresGrad)
    let (sa, sb, sc) = (a.shape, b.shape, condition.saved(for: "where"))
    return record("where", y, inputs: [a, b]) { g in
      let cv = try sc.get()
      return [needA ? Broadcast.sum(Broadcast.binary(g, cv) { g, c in c != 0 ? g : 0 }, to: sa) : nil,
              needB ? Broadcast.sum(Broadcast.binary(g, cv) { g, c in c != 0 ? 0 : g }, to: sb) : nil]
    }
  }

  /// out = mask ≠ 0 ? value : x, the mask broadcasting to x's shape; the gradient passes where the mask is 0.
  public func maskedFill(_ mask: Tensor, _ value: Float) -> Tensor {
    precondition(Broadcast.shape(shape, mask.shape) == shape, "maskedFill: mask \(mask.shape) does not broadcast to \(shape)")
    let sm = mask.saved(for: "maskedFill")
    let y = Broadcast.binary(self, mask) { x, m in m != 0 ? value : x }
    return Tensor.record("maskedFill", y, inputs: [self]) { g in
      [Broadcast.binary(g, try sm.get()) { g, m in m != 0 ? 0 : g }]
    }
  }
}

extension Broadcast {
  /// `t` repeated along its broadcast dimensions to fill `shape` (a fresh buffer; `t` itself when the shapes agree).
  static func stretch(_ t: Tensor, to shape: [Int]) -> Tensor {
    if t.shape == shape { return t }
    precondition(Broadcast.shape(t.shape, shape) == shape, "shape \(t.shape) does not broadcast to \(shape)")
    let out = Tensor(uninitialized: shape)
    let pt = t.storage.base, po = out.storage.base
    walk(shape, strides(of: t.shape, in: shape), [Int](repeating: 0, count: shape.count)) { ot, _, it, _, n, o in
      for j in 0..<n { po[o &+ j] = pt[ot &+ j &* it] }
    }
    return out
  }
}
