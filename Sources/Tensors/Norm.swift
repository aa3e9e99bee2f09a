/// Normalisation by group statistics: the kernels shared by instance, batch and layer normalisation.
///
/// A tensor is viewed as `[outer, groups, inner]`; group g holds every x[a, g, s], M = outer·inner values.
/// Instance norm is `[1, N·C, H·W]`, batch norm `[N, C, H·W]`, layer norm `[1, rows, normalised size]`.
/// With mean μ_g, biased variance σ²_g and rstd_g = 1/√(σ²_g + eps):
///   forward   x̂ = (x − μ_g)·rstd_g,   y = x̂·w[c] + b[c]   (c = g mod channels; w = 1, b = 0 without affine)
///   backward  dx = rstd_g·w[c]·(gy − mean_g(gy) − x̂·mean_g(gy·x̂)),  dw[c] = Σ gy·x̂,  db[c] = Σ gy
struct GroupLayout {
  let outer: Int, groups: Int, inner: Int
  /// Number of affine parameters; group g uses parameter g mod channels.
  let channels: Int
  var groupCount: Int { outer * inner }
  var rows: Int { outer * groups }
}

enum NormKernel {
  // MARK: SIMD row sums (strict left-to-right Float sums do not vectorise)

  /// Σ p[i] over n values.
  @inline(__always)
  static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    let raw = UnsafeRawPointer(p)
    var acc = SIMD16<Float>(), i = 0
    while i &+ 16 <= n { acc += raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self); i &+= 16 }
    var s = acc.sum()
    while i < n { s += p[i]; i &+= 1 }
    return s
  }

  /// Σ (p[i] − m)² over n values.
  @inline(__always)
  static func sumOfSquaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, _ m: Float) -> Float {
    let raw = UnsafeRawPointer(p)
    let mv = SIMD16<Float>(repeating: m)
    var acc = SIMD16<Float>(), i = 0
    while i &+ 16 <= n {
      let d = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self) - mv
      acc += d * d; i &+= 16
    }
    var s = acc.sum()
    while i < n { let d = p[i] - m; s += d * d; i &+= 1 }
    return s
  }

  /// (Σ g[i], Σ g[i]·(x[i] − m)) over n values.
  @inline(__always)
  static func gradientSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, _ m: Float) -> (Float, Float) {
    let rg = UnsafeRawPointer(g), rx = UnsafeRawPointer(x)
    let mv = SIMD16<Float>(repeating: m)
    var sg = SIMD16<Float>(), sgx = SIMD16<Float>(), i = 0
    while i &+ 16 <= n {
      let gv = rg.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
      sg += gv
      sgx += gv * (rx.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self) - mv)
      i &+= 16
    }
    var a = sg.sum(), b = sgx.sum()
    while i < n { a += g[i]; b += g[i] * (x[i] - m); i &+= 1 }
    return (a, b)
  }

  // MARK: Group kernels

  static func grain(_ workPerItem: Int) -> Int { max(1, elementsPerThread / max(workPerItem, 1)) }

  /// Per group: mean and biased variance (two passes), each [groups].
  static func statistics(_ x: Tensor, _ l: GroupLayout) -> (mean: Tensor, variance: Tensor) {
    let mean = Tensor(uninitialized: [l.groups]), variance = Tensor(uninitialized: [l.groups])
    let px = x.storage.base, pm = mean.storage.base, pv = variance.storage.base
    let (A, G, S) = (l.outer, l.groups, l.inner)
    let inverseCount = 1 / Float(l.groupCount)
    parallelFor(G, grain: grain(l.groupCount)) { r in
      for g in r {
        var s: Float = 0
        for a in 0..<A { s += sum(px + (a &* G &+ g) &* S, S) }
        let m = s * inverseCount
        var q: Float = 0
        for a in 0..<A { q += sumOfSquaredDeviations(px + (a &* G &+ g) &* S, S, m) }
        pm[g] = m
        pv[g] = q * inverseCount
      }
    }
    return (mean, variance)
  }

  /// y = x·scale[g] + shift[g] (shift nil: 0), for x of the layout; scale and shift are [groups].
  static func affine(_ x: Tensor, _ l: GroupLayout, scale: Tensor, shift: Tensor?) -> Tensor {
    let y = Tensor(uninitialized: x.shape)
    let px = x.storage.base, py = y.storage.base, pk = scale.storage.base, pc = shift?.storage.base
    let (G, S) = (l.groups, l.inner)
    parallelFor(l.rows, grain: grain(S)) { r in
      for row in r {
        let g = row % G, k = pk[g], c = pc?[g] ?? 0, o = row &* S
        for i in 0..<S { py[o &+ i] = px[o &+ i] * k + c }
      }
    }
    return y
  }

  /// Per group: Σ gy and Σ gy·x̂ with x̂ = (src − m[g])·s[g], each [groups].
  static func gradientSums(_ gy: Tensor, _ src: Tensor, _ l: GroupLayout, m: Tensor, s: Tensor)
    -> (sumG: Tensor, sumGXhat: Tensor) {
    let sumG = Tensor(uninitialized: [l.groups]), sumGXhat = Tensor(uninitialized: [l.groups])
    let pg = gy.storage.base, px = src.storage.base, pm = m.storage.base, ps = s.storage.base
    let pa = sumG.storage.base, pb = sumGXhat.storage.base
    let (A, G, S) = (l.outer, l.groups, l.inner)
    parallelFor(G, grain: grain(l.groupCount)) { r in
      for g in r {
        var a: Float = 0, b: Float = 0
        for k in 0..<A {
          let o = (k &* G &+ g) &* S
          let (u, v) = gradientSums(pg + o, px + o, S, pm[g])
          a += u; b += v
        }
        pa[g] = a
        pb[g] = b * ps[g]
      }
    }
    return (sumG, sumGXhat)
  }

  /// dx = k·(gy − mean(gy) − x̂·mean(gy·x̂)) with x̂ = (src − m)·s and k = rstd·w, written as
  /// dx = k·gy + (src − m)·β + γ, β = −k·s·Σgy·x̂/M, γ = −k·Σgy/M, per group.
  static func inputGradient(_ gy: Tensor, _ src: Tensor, _ l: GroupLayout, k: Tensor, m: Tensor, s: Tensor,
                            sumG: Tensor, sumGXhat: Tensor) -> Tensor {
    let dx = Tensor(uninitialized: gy.shape)
    let beta = Tensor(uninitialized: [l.groups]), gamma = Tensor(uninitialized: [l.groups])
    let pk = k.storage.base, pm = m.storage.base, pbeta = beta.storage.base, pgamma = gamma.storage.base
    let ps = s.storage.base, pa = sumG.storage.base, pb = sumGXhat.storage.base
    let inverseCount = 1 / Float(l.groupCount)
    for g in 0..<l.groups {
      pbeta[g] = -pk[g] * ps[g] * pb[g] * inverseCount
      pgamma[g] = -pk[g] * pa[g] * inverseCount
    }
    let pg = gy.storage.base, px = src.storage.base, pd = dx.storage.base
    let (G, S) = (l.groups, l.inner)
    parallelFor(l.rows, grain: grain(S)) { r in
      for row in r {
        let g = row % G, o = row &* S
        let kg = pk[g], mg = pm[g], bg = pbeta[g], cg = pgamma[g]
        for i in 0..<S { pd[o &+ i] = kg * pg[o &+ i] + (px[o &+ i] - mg) * bg + cg }
      }
    }
    return dx
  }

  /// out[c] = Σ over groups g with g mod channels = c of v[g]: [groups] → [channels].
  static func perChannel(_ v: Tensor, _ l: GroupLayout) -> Tensor {
    let out = Tensor(zeros: [l.channels])
    let pv = v.storage.base, po = out.storage.base
    for g in 0..<l.groups { po[g % l.channels] += pv[g] }
    return out
  }

  // MARK: Normalisation with the statistics of each group

  /// y = (x − μ_g)·rstd_g·w[c] + b[c] with the statistics of each group of `x`, recorded with its backward.
  /// Returns y and the statistics (mean, biased variance), each [groups]. Weight and bias are [channels].
  static func normalize(_ op: String, _ x: Tensor, _ l: GroupLayout, weight: Tensor?, bias: Tensor?, eps: Float)
    -> (y: Tensor, mean: Tensor, variance: Tensor) {
    for (name, p) in [("weight", weight), ("bias", bias)] {
      if let p { precondition(p.shape == [l.channels], "\(op): \(name) \(p.shape) must be [\(l.channels)] for input \(x.shape)") }
    }
    let (mean, variance) = statistics(x, l)
    let rstd = variance.map { 1 / ($0 + eps).squareRoot() }
    let scale = Tensor(uninitialized: [l.groups]), shift = Tensor(uninitialized: [l.groups])
    let pk = scale.storage.base, pc = shift.storage.base, pm = mean.storage.base, pr = rstd.storage.base
    let pw = weight?.storage.base, pb = bias?.storage.base
    for g in 0..<l.groups {
      let c = g % l.channels
      pk[g] = pr[g] * (pw?[c] ?? 1)
      pc[g] = (pb?[c] ?? 0) - pm[g] * pk[g]
    }
    let y = affine(x, l, scale: scale, shift: shift)

    // NOTE: without affine parameters y is x̂ itself: saving y rather than x lets x's buffer go after the forward.
    let savesOutput = weight == nil && bias == nil
    let src = (savesOutput ? y : x).saved(for: op)
    let (m, s) = savesOutput ? (Tensor(zeros: [l.groups]), Tensor.ones([l.groups])) : (mean, rstd)
    let (needX, needW, needB) = (x.requiresGrad, weight?.requiresGrad == true, bias?.requiresGrad == true)
    let (hasW, hasB) = (weight != nil, bias != nil)
    let inputs = [x] + [weight, bias].compactMap { $0 }
    let output = Tensor.record(op, y, inputs: inputs) { gy in
      let sv = try src.get()
      let (sumG, sumGXhat) = gradientSums(gy, sv, l, m: m, s: s)
      var grads: [Tensor?] = [
        needX ? inputGradient(gy, sv, l, k: scale, m: m, s: s, sumG: sumG, sumGXhat: sumGXhat) : nil
      ]
      if hasW { grads.append(needW ? perChannel(sumGXhat, l) : nil) }
      if hasB { grads.append(needB ? perChannel(sumG, l) : nil) }
      return grads
    }
    return (output, mean, variance)
  }
}

/// Instance normalisation (PyTorch `instance_norm`): each (n, c) plane of x [N, C, *] is normalised by its own mean
/// and biased variance over the spatial positions, then y = x̂·w[c] + b[c] (weight, bias [C], optional).
///   dx = (w[c]/σ)(gy − mean(gy) − x̂·mean(gy·x̂)) per plane;  dw[c] = Σ_{n,hw} gy·x̂,  db[c] = Σ_{n,hw} gy
public func instanceNorm(_ x: Tensor, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
  precondition(x.rank >= 3, "instanceNorm: input \(x.shape) must be [N, C, spatial...]")
  let (n, c) = (x.shape[0], x.shape[1])
  let layout = GroupLayout(outer: 1, groups: n * c, inner: x.count / max(n * c, 1), channels: c)
  return NormKernel.normalize("instance_norm", x, layout, weight: weight, bias: bias, eps: eps).y
}
