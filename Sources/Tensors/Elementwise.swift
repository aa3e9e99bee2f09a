/// Elementwise ops with broadcasting. Forward kernel and backward rule side by side; the gradient of a broadcast
/// input is summed back to its shape.

extension Tensor {
  /// Applies `f` to every element (no autograd: the building block of unary ops).
  @inline(__always)
  public func map(_ f: (Float) -> Float) -> Tensor {
    let out = Tensor(uninitialized: shape)
    let p = storage.base, o = out.storage.base
    parallelFor(count, grain: 1 << 15) { r in for i in r { o[i] = f(p[i]) } }
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
