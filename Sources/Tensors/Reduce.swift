/// Reductions: sums, means, maxima and L2 norms over all elements or over chosen axes.
///
/// Storage is contiguous, so a reduction over one block of neighbouring axes views the tensor as
/// [outer, n, inner] (n = the product of the reduced sizes) and writes [outer, inner]. Axes that form several
/// separated blocks are reduced one block at a time, innermost first.

extension Tensor {
  /// s = Σᵢ xᵢ, shape []; ds/dx = 1. Blocked SIMD sums, added in Double across blocks.
  public func sum() -> Tensor {
    let y = Tensor(scalar: Float(Reduce.total(storage.base, count)))
    let xs = shape
    return Tensor.record("sum", y, inputs: [self]) { g in [Tensor(repeating: g.item, xs)] }
  }

  /// Σ over `axes` (negative allowed, repeats ignored); dy/dx = 1, so the gradient is g repeated along the axes.
  /// Shape: x's with the axes removed, or kept as 1 with `keepDims`. No axes: a copy of x.
  public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
    let reduced = Set(axes.map(normalizedAxis))
    let kept = shape.indices.map { reduced.contains($0) ? 1 : shape[$0] }
    let outShape = keepDims ? kept : shape.indices.filter { !reduced.contains($0) }.map { shape[$0] }
    let passes = Reduce.passes(shape, over: reduced)
    var values = passes.isEmpty ? copy() : self
    for v in passes {
      let out = Tensor(uninitialized: [v.outer * v.inner])
      Reduce.sum(values.storage.base, v, into: out.storage.base)
      values = out
    }
    let xs = shape
    return Tensor.record("sumAxes", Tensor(storage: values.storage, shape: outShape), inputs: [self]) { g in
      guard passes.count == 1 else { return [Broadcast.stretch(Tensor(storage: g.storage, shape: kept), to: xs)] }
      let gx = Tensor(uninitialized: xs)
      Reduce.expand(g.storage.base, passes[0], into: gx.storage.base)
      return [gx]
    }
  }

  /// The mean of all elements, shape [] (NaN for an empty tensor).
  public func mean() -> Tensor { sum() / Float(count) }

  /// The mean over `axes`: `sum(axes:keepDims:)` / (product of the reduced sizes).
  public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
    let reduced = Set(axes.map(normalizedAxis))
    let n = shape.indices.filter(reduced.contains).reduce(1) { $0 * shape[$1] }
    return sum(axes: axes, keepDims: keepDims) / Float(n)
  }

  /// The maximum along `axis` and where it is: `indices[k]` ∈ 0..<size(axis) for the k-th output element
  /// (first occurrence on ties; NaN propagates). The gradient goes to that element only.
  /// Shape: x's without `axis` (kept as 1 with `keepDims`); `indices.count` = values.count.
  public func max(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: [Int]) {
    let a = normalizedAxis(axis), v = Reduce.View(shape, axis: a), xs = shape
    precondition(v.n > 0, "max: axis \(axis) of shape \(shape) is empty")
    var outShape = shape
    if keepDims { outShape[a] = 1 } else { outShape.remove(at: a) }
    let y = Tensor(uninitialized: outShape)
    let px = storage.base, py = y.storage.base
    let indices = [Int](unsafeUninitializedCapacity: v.outer * v.inner) { buffer, initialized in
      guard let pi = buffer.baseAddress else { return }
      parallelFor(v.outer * v.inner, grain: Swift.max(1, (1 << 14) / v.n)) { r in
        Reduce.spans(r, v.inner) { o, i0, i1 in
          let row = px + o &* v.n &* v.inner, vo = py + o &* v.inner, io = pi + o &* v.inner
          for i in i0..<i1 { vo[i] = row[i]; io[i] = 0 }
          for k in 1..<v.n {
            let src = row + k &* v.inner
            for i in i0..<i1 where src[i] > vo[i] || (src[i].isNaN && !vo[i].isNaN) { vo[i] = src[i]; io[i] = k }
          }
        }
      }
      initialized = buffer.count
    }
    let values = Tensor.record("max", y, inputs: [self]) { g in
      let gx = Tensor(zeros: xs)
      let pg = g.storage.base, po = gx.storage.base
      indices.withUnsafeBufferPointer { pi in
        parallelFor(v.outer * v.inner, grain: 1 << 15) { r in
          for j in r { let o = j / v.inner, i = j &- o &* v.inner; po[(o &* v.n &+ pi[j]) &* v.inner &+ i] = pg[j] }
        }
      }
      return [gx]
    }
    return (values, indices)
  }

  /// The L2 norm along `axis`: y = √(Σₖ xₖ²); dy/dx = x / y, and 0 where y = 0.
  /// Shape: x's without `axis` (kept as 1 with `keepDims`).
  public func norm(axis: Int, keepDims: Bool = false) -> Tensor {
    let a = normalizedAxis(axis), v = Reduce.View(shape, axis: a), xs = shape
    var outShape = shape
    if keepDims { outShape[a] = 1 } else { outShape.remove(at: a) }
    let y = Tensor(uninitialized: outShape)
    let px = storage.base, py = y.storage.base
    parallelFor(v.outer * v.inner, grain: Swift.max(1, (1 << 14) / Swift.max(v.n, 1))) { r in
      Reduce.spans(r, v.inner) { o, i0, i1 in
        let row = px + o &* v.n &* v.inner, out = py + o &* v.inner
        for i in i0..<i1 { out[i] = 0 }
        for k in 0..<v.n { let src = row + k &* v.inner; for i in i0..<i1 { out[i] += src[i] * src[i] } }
        for i in i0..<i1 { out[i] = out[i].squareRoot() }
      }
    }
    let (sx, sy) = (saved(for: "norm"), y.saved(for: "norm"))
    return Tensor.record("norm", y, inputs: [self]) { g in
      let xv = try sx.get(), yv = try sy.get()
      let gx = Tensor(uninitialized: xs)
      let px = xv.storage.base, py = yv.storage.base, pg = g.storage.base, po = gx.storage.base
      parallelFor(v.outer * v.inner, grain: Swift.max(1, (1 << 14) / Swift.max(v.n, 1))) { r in
        Reduce.spans(r, v.inner) { o, i0, i1 in
          let base = o &* v.n &* v.inner, yo = py + o &* v.inner, go = pg + o &* v.inner
          for k in 0..<v.n {
            let row = base &+ k &* v.inner
            for i in i0..<i1 { po[row &+ i] = yo[i] == 0 ? 0 : go[i] * px[row &+ i] / yo[i] }
          }
        }
      }
      return [gx]
    }
  }
}

/// Reduction kernels on raw buffers.
enum Reduce {
  /// A contiguous tensor seen as [outer, n, inner] around a block of axes.
  struct View {
    let outer: Int, n: Int, inner: Int

    init(_ shape: [Int], axis: Int) { self.init(shape, from: axis, to: axis + 1) }

    /// Axes `from..<to` form the middle dimension.
    init(_ shape: [Int], from: Int, to: Int) {
      outer = shape[..<from].reduce(1, *)
      n = shape[from..<to].reduce(1, *)
      inner = shape[to...].reduce(1, *)
    }
  }

  /// Calls `body(o, i0, i1)` for each outer index o that the flat range of (o, i) pairs (o·inner + i) touches.
  @inline(__always)
  static func spans(_ range: Range<Int>, _ inner: Int, _ body: (_ o: Int, _ i0: Int, _ i1: Int) -> Void) {
    var j = range.lowerBound
    while j < range.upperBound {
      let o = j / inner, i0 = j &- o &* inner
      let i1 = Swift.min(inner, i0 &+ range.upperBound &- j)
      body(o, i0, i1)
      j &+= i1 &- i0
    }
  }

  /// The [outer, n, inner] passes that reduce `shape` over `axes`: one per maximal run of neighbouring reduced
  /// axes (size-1 axes join any run), innermost first, each seeing the shape the passes before it leave.
  static func passes(_ shape: [Int], over axes: Set<Int>) -> [View] {
    var shape = shape, end = shape.count, views: [View] = []
    while let last = (0..<end).last(where: { axes.contains($0) && shape[$0] != 1 }) {
      var first = last
      while first > 0 && (axes.contains(first - 1) || shape[first - 1] == 1) { first -= 1 }
      views.append(View(shape, from: first, to: last + 1))
      for a in first...last { shape[a] = 1 }
      end = first
    }
    return views
  }

  /// y[o, k, i] = g[o, i]: the gradient of a sum. g: (outer, inner), y: (outer, n, inner).
  static func expand(_ g: UnsafeMutablePointer<Float>, _ v: View, into y: UnsafeMutablePointer<Float>) {
    parallelFor(v.outer * v.n, grain: Swift.max(1, (1 << 15) / Swift.max(v.inner, 1))) { r in
      spans(r, v.n) { o, k0, k1 in
        if v.inner == 1 {
          let value = g[o]
          for k in k0..<k1 { y[o &* v.n &+ k] = value }
        } else {
          for k in k0..<k1 { (y + (o &* v.n &+ k) &* v.inner).update(from: g + o &* v.inner, count: v.inner) }
        }
      }
    }
  }

  /// y[o, i] = Σₖ x[o, k, i]. x: (outer, n, inner), y: (outer, inner).
  static func sum(_ x: UnsafeMutablePointer<Float>, _ v: View, into y: UnsafeMutablePointer<Float>) {
    if v.inner == 1 {
      if v.n >= 1 << 16 {
        for o in 0..<v.outer { y[o] = Float(total(x + o &* v.n, v.n)) }
      } else {
        parallelFor(v.outer, grain: Swift.max(1, (1 << 15) / Swift.max(v.n, 1))) { r in
          for o in r { y[o] = Float(sequentialSum(x + o &* v.n, v.n)) }
        }
      }
      return
    }
    parallelFor(v.outer * v.inner, grain: Swift.max(1, (1 << 15) / Swift.max(v.n, 1))) { r in
      spans(r, v.inner) { o, i0, i1 in
        let row = x + o &* v.n &* v.inner, out = y + o &* v.inner
        for i in i0..<i1 { out[i] = 0 }
        for k in 0..<v.n { let src = row + k &* v.inner; for i in i0..<i1 { out[i] += src[i] } }
      }
    }
  }

  static let block = 1024

  /// Σ p[0..<n], blocks of `block` in parallel, block sums added in Double in a fixed order (so the result does
  /// not depend on the thread count).
  static func total(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Double {
    let blocks = (n + block - 1) / block
    if blocks <= 16 { return sequentialSum(p, n) }
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: blocks)
    defer { partial.deallocate() }
    parallelFor(blocks, grain: 16) { r in
      for b in r { partial[b] = Double(blockSum(p + b &* block, Swift.min(block, n &- b &* block))) }
    }
    var s = 0.0
    for b in 0..<blocks { s += partial[b] }
    return s
  }

  /// Σ p[0..<n] on the calling thread: SIMD block sums added in Double.
  @inline(__always)
  static func sequentialSum(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Double {
    var s = 0.0, i = 0
    while i < n { let m = Swift.min(block, n &- i); s += Double(blockSum(p + i, m)); i &+= m }
    return s
  }

  /// Σ p[0..<n] with four SIMD8 accumulators (n ≤ `block` keeps each lane's chain short).
  @inline(__always)
  static func blockSum(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    let raw = UnsafeRawPointer(p)
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    var i = 0
    while i &+ 32 <= n {
      a0 += raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
      a1 += raw.loadUnaligned(fromByteOffset: (i &+ 8) &* 4, as: SIMD8<Float>.self)
      a2 += raw.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD8<Float>.self)
      a3 += raw.loadUnaligned(fromByteOffset: (i &+ 24) &* 4, as: SIMD8<Float>.self)
      i &+= 32
    }
    var s = ((a0 + a1) + (a2 + a3)).sum()
    while i < n { s += p[i]; i &+= 1 }
    return s
  }
}
