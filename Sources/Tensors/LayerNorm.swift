/// Layer normalisation (PyTorch `layer_norm`): x [..., *normalizedShape] is normalised over its trailing
/// `normalizedShape` dims (mean, biased variance), then y = x̂·w + b with elementwise weight and bias of
/// `normalizedShape` (optional). The normalisation is the group kernel with one group per row; the affine part is
/// composed from broadcasting `*` and `+`, which carry their own gradients.
public func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
  let k = normalizedShape.count
  precondition(k >= 1 && k <= x.rank && Array(x.shape.suffix(k)) == normalizedShape,
               "layerNorm: normalizedShape \(normalizedShape) must be the trailing dims of input \(x.shape)")
  for (name, p) in [("weight", weight), ("bias", bias)] {
    if let p { precondition(p.shape == normalizedShape, "layerNorm: \(name) \(p.shape) must be \(normalizedShape)") }
  }
  let size = Tensor.elementCount(normalizedShape)
  let layout = GroupLayout(outer: 1, groups: x.count / max(size, 1), inner: size, channels: 1)
  var y = NormKernel.normalize("layer_norm", x, layout, weight: nil, bias: nil, eps: eps).y
  if let weight { y = y * weight }
  if let bias { y = y + bias }
  return y
}

/// Positional normalisation (PONO): for each (n, h, w) of x [N, C, *], normalise across the channels:
///   y = (x − μ)/√(σ² + eps), μ and biased σ² over C;  dx = rstd·(gy − mean_C(gy) − y·mean_C(gy·y)).
public func positionalNorm(_ x: Tensor, eps: Float = 1e-5) -> Tensor {
  precondition(x.rank >= 2, "positionalNorm: input \(x.shape) must be [N, C, spatial...]")
  let layout = AxisLayout(x.shape, axis: 1)
  let inverseCount = 1 / Float(layout.size)
  let mean = Tensor(uninitialized: [layout.positions]), rstd = Tensor(uninitialized: [layout.positions])
  let y = Tensor(uninitialized: x.shape)
  let px = x.storage.base, py = y.storage.base, pm = mean.storage.base, pr = rstd.storage.base
  layout.reduce(into: pm, from: 0) { a, i, _ in a + px[i] }
  for p in 0..<layout.positions { pm[p] *= inverseCount }
  layout.reduce(into: pr, from: 0) { a, i, p in let d = px[i] - pm[p]; return a + d * d }
  for p in 0..<layout.positions { pr[p] = 1 / (pr[p] * inverseCount + eps).squareRoot() }
  layout.forEach { i, p in py[i] = (px[i] - pm[p]) * pr[p] }

  let (sy, shape) = (y.saved(for: "positional_norm"), x.shape)
  return Tensor.record("positional_norm", y, inputs: [x]) { gy in
    let yv = try sy.get(), pr = rstd.storage.base
    let sumG = Tensor(uninitialized: [layout.positions]), sumGY = Tensor(uninitialized: [layout.positions])
    let dx = Tensor(uninitialized: shape)
    let pg = gy.storage.base, pyv = yv.storage.base, pa = sumG.storage.base, pb = sumGY.storage.base
    let pd = dx.storage.base
    layout.reduce(into: pa, from: 0) { a, i, _ in a + pg[i] }
    layout.reduce(into: pb, from: 0) { a, i, _ in a + pg[i] * pyv[i] }
    layout.forEach { i, p in pd[i] = pr[p] * (pg[i] - (pa[p] + pyv[i] * pb[p]) * inverseCount) }
    return [dx]
  }
}

/// L2 normalisation along `axis`: y = x / (‖x‖₂ + eps) (PyTorch's `x / (x.norm(dim) + eps)`).
/// With n = ‖x‖ and d = n + eps:  dx = gy/d − y·(Σ_axis gy·y)/n  (the second term is 0 where n = 0).
public func l2Normalize(_ x: Tensor, axis: Int, eps: Float = 1e-7) -> Tensor {
  let layout = AxisLayout(x.shape, axis: x.normalizedAxis(axis))
  let norm = Tensor(uninitialized: [layout.positions]), y = Tensor(uninitialized: x.shape)
  let px = x.storage.base, py = y.storage.base, pn = norm.storage.base
  layout.reduce(into: pn, from: 0) { a, i, _ in a + px[i] * px[i] }
  for p in 0..<layout.positions { pn[p] = pn[p].squareRoot() }
  layout.forEach { i, p in py[i] = px[i] / (pn[p] + eps) }

  let (sy, shape) = (y.saved(for: "l2_normalize"), x.shape)
  return Tensor.record("l2_normalize", y, inputs: [x]) { gy in
    let yv = try sy.get(), pn = norm.storage.base
    let dot = Tensor(uninitialized: [layout.positions]), dx = Tensor(uninitialized: shape)
    let pg = gy.storage.base, pyv = yv.storage.base, pt = dot.storage.base, pd = dx.storage.base
    layout.reduce(into: pt, from: 0) { a, i, _ in a + pg[i] * pyv[i] }
    for p in 0..<layout.positions { pt[p] = pn[p] > 0 ? pt[p] / pn[p] : 0 }
    layout.forEach { i, p in pd[i] = pg[i] / (pn[p] + eps) - pyv[i] * pt[p] }
    return [dx]
  }
}
