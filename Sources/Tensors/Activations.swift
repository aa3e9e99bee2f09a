/// Activation functions. Each backward rule reads the saved output where that determines the derivative, so the
/// input's buffer can be released after the forward pass. Every loop is written out (see `parallelFor`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// y = max(x, 0); dy/dx = 1 where x > 0, else 0 (so 0 at x = 0, as in PyTorch). Shape: any.
public func relu(_ x: Tensor) -> Tensor {
  let y = Tensor(uninitialized: x.shape)
  let px = x.storage.base, py = y.storage.base
  parallelFor(x.count, grain: elementsPerThread) { r in for i in r { py[i] = max(px[i], 0) } }
  let sy = y.saved(for: "relu")
  return Tensor.record("relu", y, inputs: [x]) { g in
    let (gx, pg, pv, pd) = try gradientBuffers(g, sy)
    parallelFor(g.count, grain: elementsPerThread) { r in for i in r { let gi = pg[i]; pd[i] = pv[i] > 0 ? gi : 0 } }
    return [gx]
  }
}

/// y = x for x > 0, slope·x otherwise; dy/dx = 1 or slope. Shape: any.
public func leakyRelu(_ x: Tensor, slope: Float = 0.2) -> Tensor {
  let y = Tensor(uninitialized: x.shape)
  let px = x.storage.base, py = y.storage.base
  parallelFor(x.count, grain: elementsPerThread) { r in for i in r { py[i] = px[i] > 0 ? px[i] : slope * px[i] } }
  // NOTE: for slope ≥ 0, y > 0 exactly where x > 0, so the output decides the derivative; a negative slope
  // flips the sign of y on the left branch and needs the input.
  let s = slope >= 0 ? y.saved(for: "leakyRelu") : x.saved(for: "leakyRelu")
  return Tensor.record("leakyRelu", y, inputs: [x]) { g in
    let (gx, pg, pv, pd) = try gradientBuffers(g, s)
    parallelFor(g.count, grain: elementsPerThread) { r in for i in r { let gi = pg[i]; pd[i] = pv[i] > 0 ? gi : slope * gi } }
    return [gx]
  }
}

/// y = tanh x; dy/dx = 1 − y². Shape: any.
public func tanh(_ x: Tensor) -> Tensor {
  let y = Tensor(uninitialized: x.shape)
  let px = x.storage.base, py = y.storage.base
  parallelFor(x.count, grain: 1 << 14) { r in for i in r { py[i] = tanhf(px[i]) } }
  let sy = y.saved(for: "tanh")
  return Tensor.record("tanh", y, inputs: [x]) { g in
    let (gx, pg, pv, pd) = try gradientBuffers(g, sy)
    parallelFor(g.count, grain: elementsPerThread) { r in for i in r { pd[i] = pg[i] * (1 - pv[i] * pv[i]) } }
    return [gx]
  }
}

/// y = 1 / (1 + e⁻ˣ), evaluated without overflow for either sign; dy/dx = y(1 − y). Shape: any.
public func sigmoid(_ x: Tensor) -> Tensor {
  let y = Tensor(uninitialized: x.shape)
  let px = x.storage.base, py = y.storage.base
  parallelFor(x.count, grain: 1 << 14) { r in
    for i in r {
      let v = px[i]
      if v >= 0 { py[i] = 1 / (1 + expf(-v)) } else { let e = expf(v); py[i] = e / (1 + e) }
    }
  }
  let sy = y.saved(for: "sigmoid")
  return Tensor.record("sigmoid", y, inputs: [x]) { g in
    let (gx, pg, pv, pd) = try gradientBuffers(g, sy)
    parallelFor(g.count, grain: elementsPerThread) { r in for i in r { pd[i] = pg[i] * pv[i] * (1 - pv[i]) } }
    return [gx]
  }
}

/// PyTorch's softplus (β = 1, threshold 20): y = ln(1 + eˣ), or x where x > 20;
/// dy/dx = sigmoid(x) = 1 − e⁻ʸ (1 above the threshold). Shape: any.
public func softplus(_ x: Tensor) -> Tensor {
  let y = Tensor(uninitialized: x.shape)
  let px = x.storage.base, py = y.storage.base
  parallelFor(x.count, grain: 1 << 14) { r in
    for i in r { let v = px[i]; py[i] = v > 20 ? v : log1pf(expf(v)) }
  }
  let sy = y.saved(for: "softplus")
  // NOTE: −expm1(−y) keeps full precision for very negative x, where y ≈ eˣ is tiny.
  return Tensor.record("softplus", y, inputs: [x]) { g in
    let (gx, pg, pv, pd) = try gradientBuffers(g, sy)
    parallelFor(g.count, grain: 1 << 14) { r in for i in r { pd[i] = -pg[i] * expm1f(-pv[i]) } }
    return [gx]
  }
}

/// For a backward rule: a fresh gradient of g's shape, and pointers to g, the saved tensor and that gradient.
private func gradientBuffers(_ g: Tensor, _ saved: SavedTensor) throws
  -> (Tensor, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
  let v = try saved.get(), gx = Tensor(uninitialized: g.shape)
  precondition(v.shape == g.shape, "activation backward: gradient \(g.shape) for an output of \(v.shape)")
  return (gx, g.storage.base, v.storage.base, gx.storage.base)
}
