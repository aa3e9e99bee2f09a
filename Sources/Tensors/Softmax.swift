#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tensor viewed as `[outer, size, inner]` around one axis: each of the outer·inner positions p = o·inner + s owns
/// the line x[o, 0..<size, s]. Ops that reduce along an axis (softmax, PONO, L2 normalisation) visit lines with
/// `reduce` and `forEach`; for inner > 1 the loops run over neighbouring positions innermost, so they read memory
/// contiguously and vectorise.
struct AxisLayout {
  let outer: Int, size: Int, inner: Int
  var positions: Int { outer * inner }

  init(_ shape: [Int], axis: Int) {
    outer = shape[..<axis].reduce(1, *)
    size = shape[axis]
    inner = shape[(axis + 1)...].reduce(1, *)
  }

  private var grain: Int { max(1, (1 << 14) / max(size, 1)) }

  /// Calls `body(o, s0, s1)` for the runs of positions o·inner + s0 ..< o·inner + s1 that make up `r`.
  @inline(__always)
  private func runs(_ r: Range<Int>, _ body: (Int, Int, Int) -> Void) {
    var p = r.lowerBound
    while p < r.upperBound {
      let o = p / inner, s0 = p - o &* inner, s1 = min(inner, s0 &+ (r.upperBound &- p))
      body(o, s0, s1)
      p &+= s1 &- s0
    }
  }

  /// out[p] = f(… f(f(initial, i₀, p), i₁, p) …) over the flat indices i of position p's line, in axis order.
  @inline(__always)
  func reduce(into out: UnsafeMutablePointer<Float>, from initial: Float, _ f: (Float, Int, Int) -> Float) {
    let (n, d) = (inner, size)
    if n == 1 {
      parallelFor(positions, grain: grain) { r in
        for p in r {
          var acc = initial
          let base = p &* d
          for j in 0..<d { acc = f(acc, base &+ j, p) }
          out[p] = acc
        }
      }
      return
    }
    parallelFor(positions, grain: grain) { r in
      runs(r) { o, s0, s1 in
        let p0 = o &* n
        for s in s0..<s1 { out[p0 &+ s] = initial }
        for j in 0..<d {
          let base = (o &* d &+ j) &* n
          for s in s0..<s1 { out[p0 &+ s] = f(out[p0 &+ s], base &+ s, p0 &+ s) }
        }
      }
    }
  }

  /// Calls `body(i, p)` for every flat index i with its position p.
  @inline(__always)
  func forEach(_ body: (Int, Int) -> Void) {
    let (n, d) = (inner, size)
    parallelFor(positions, grain: grain) { r in
      runs(r) { o, s0, s1 in
        for j in 0..<d {
          let base = (o &* d &+ j) &* n, p0 = o &* n
          for s in s0..<s1 { body(base &+ s, p0 &+ s) }
        }
      }
    }
  }

  /// lse[p] = log Σ exp(x) along each line (stable: max subtracted first), [positions].
  func logSumExp(_ x: Tensor) -> Tensor {
    let lse = Tensor(uninitialized: [positions]), peak = Tensor(uninitialized: [positions])
    let px = x.storage.base, pl = lse.storage.base, pm = peak.storage.base
    reduce(into: pm, from: -.infinity) { a, i, _ in max(a, px[i]) }
    reduce(into: pl, from: 0) { a, i, p in a + expf(px[i] - pm[p]) }
    for p in 0..<positions { pl[p] = pm[p] + logf(pl[p]) }
    return lse
  }
}

/// log softmax along `axis`: y = x − log Σ_axis exp(x);  dx = gy − exp(y)·Σ_axis gy.
public func logSoftmax(_ x: Tensor, axis: Int) -> Tensor {
  let layout = AxisLayout(x.shape, axis: x.normalizedAxis(axis))
  let lse = layout.logSumExp(x)
  let y = Tensor(uninitialized: x.shape)
  let px = x.storage.base, py = y.storage.base, pl = lse.storage.base
  layout.forEach { i, p in py[i] = px[i] - pl[p] }
  let (sy, shape) = (y.saved(for: "log_softmax"), x.shape)
  return Tensor.record("log_softmax", y, inputs: [x]) { gy in
    let yv = try sy.get()
    let total = Tensor(uninitialized: [layout.positions]), dx = Tensor(uninitialized: shape)
    let pg = gy.storage.base, pt = total.storage.base, pyv = yv.storage.base, pd = dx.storage.base
    layout.reduce(into: pt, from: 0) { a, i, _ in a + pg[i] }
    layout.forEach { i, p in pd[i] = pg[i] - expf(pyv[i]) * pt[p] }
    return [dx]
  }
}

/// softmax along `axis`: y = exp(x − max) / Σ_axis exp(x − max);  dx = y·(gy − Σ_axis gy·y).
public func softmax(_ x: Tensor, axis: Int) -> Tensor {
  let layout = AxisLayout(x.shape, axis: x.normalizedAxis(axis))
  let lse = layout.logSumExp(x)
  let y = Tensor(uninitialized: x.shape)
  let px = x.storage.base, py = y.storage.base, pl = lse.storage.base
  layout.forEach { i, p in py[i] = expf(px[i] - pl[p]) }
  let (sy, shape) = (y.saved(for: "softmax"), x.shape)
  return Tensor.record("softmax", y, inputs: [x]) { gy in
    let yv = try sy.get()
    let dot = Tensor(uninitialized: [layout.positions]), dx = Tensor(uninitialized: shape)
    let pg = gy.storage.base, pt = dot.storage.base, pyv = yv.storage.base, pd = dx.storage.base
    layout.reduce(into: pt, from: 0) { a, i, _ in a + pg[i] * pyv[i] }
    layout.forEach { i, p in pd[i] = pyv[i] * (pg[i] - pt[p]) }
    return [dx]
  }
}
