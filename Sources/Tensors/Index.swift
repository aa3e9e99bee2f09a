/// Slicing, joining and indexing along one axis. A tensor is viewed as (outer, d, inner) around the axis, so
/// most kernels copy runs of `inner` contiguous floats. Backward rules scatter the gradient back into place
/// (adding, where one source element fed several outputs).

extension Tensor {
  /// Joins tensors along `axis`; all other dimensions must agree. Backward: the gradient cut back into pieces.
  public static func concat(_ xs: [Tensor], axis: Int) -> Tensor {
    precondition(!xs.isEmpty, "concat: no tensors")
    let a = xs[0].normalizedAxis(axis)
    var shape = xs[0].shape
    for x in xs {
      precondition(x.rank == shape.count && x.shape.indices.allSatisfy { $0 == a || x.shape[$0] == shape[$0] },
                   "concat: shapes \(xs.map(\.shape)) do not agree off axis \(axis)")
    }
    let sizes = xs.map { $0.shape[a] }
    shape[a] = sizes.reduce(0, +)
    let y = Tensor(uninitialized: shape)
    let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *), width = shape[a] * inner
    var start = 0
    for x in xs {
      let length = x.shape[a] * inner
      copyRows(outer, length, from: x.storage.base, stride: length, to: y.storage.base + start, stride: width)
      start += length
    }
    let needed = xs.map(\.requiresGrad), shapes = xs.map(\.shape)
    return Tensor.record("concat", y, inputs: xs) { g in
      var start = 0
      return shapes.indices.map { i -> Tensor? in
        defer { start += sizes[i] * inner }
        guard needed[i] else { return nil }
        let gi = Tensor(uninitialized: shapes[i])
        let length = sizes[i] * inner
        copyRows(outer, length, from: g.storage.base + start, stride: width, to: gi.storage.base, stride: length)
        return gi
      }
    }
  }

  /// Joins equally shaped tensors along a new axis `axis` (in 0...rank; negative counts from rank + 1).
  public static func stack(_ xs: [Tensor], axis: Int) -> Tensor {
    precondition(!xs.isEmpty, "stack: no tensors")
    let shape = xs[0].shape
    precondition(xs.allSatisfy { $0.shape == shape }, "stack: shapes \(xs.map(\.shape)) differ")
    let a = axis < 0 ? axis + shape.count + 1 : axis
    precondition(a >= 0 && a <= shape.count, "stack: axis \(axis) out of range for shape \(shape)")
    var expanded = shape
    expanded.insert(1, at: a)
    return concat(xs.map { $0.reshape(expanded) }, axis: a)
  }

  /// y = x[…, start ..< start + length, …] along `axis` (a copy). Backward: the gradient placed in zeros.
  public func narrow(axis: Int, start: Int, length: Int) -> Tensor {
    let a = normalizedAxis(axis)
    precondition(start >= 0 && length >= 0 && start + length <= shape[a],
                 "narrow: \(start)..<\(start + length) out of range for axis \(axis) of shape \(shape)")
    if start == 0 && length == shape[a] { return self }
    var outShape = shape
    outShape[a] = length
    let y = Tensor(uninitialized: outShape)
    let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
    let (width, run, offset) = (shape[a] * inner, length * inner, start * inner)
    copyRows(outer, run, from: storage.base + offset, stride: width, to: y.storage.base, stride: run)
    let source = shape
    return Tensor.record("narrow", y, inputs: [self]) { g in
      let gx = Tensor(zeros: source)
      copyRows(outer, run, from: g.storage.base, stride: run, to: gx.storage.base + offset, stride: width)
      return [gx]
    }
  }

  /// Consecutive pieces of the given sizes along `axis` (the sizes must add up to the axis length).
  public func split(_ sizes: [Int], axis: Int) -> [Tensor] {
    let a = normalizedAxis(axis)
    precondition(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == shape[a],
                 "split: sizes \(sizes) do not add up to axis \(axis) of shape \(shape)")
    var start = 0
    return sizes.map { n in defer { start += n }; return narrow(axis: a, start: start, length: n) }
  }

  /// torch.chunk: pieces of ⌈d / n⌉ along `axis`, the last one smaller (so there may be fewer than n pieces).
  public func chunk(_ n: Int, axis: Int) -> [Tensor] {
    precondition(n >= 1, "chunk: need at least one chunk, got \(n)")
    let d = shape[normalizedAxis(axis)], size = Swift.max(1, (d + n - 1) / n)
    return split(stride(from: 0, to: d, by: size).map { min(size, d - $0) }, axis: axis)
  }

  /// y[…, k, …] = x[…, indices[k], …] along `axis`. Backward: scatter-add of the gradient rows.
  public func indexSelect(axis: Int, _ indices: [Int]) -> Tensor {
    let a = normalizedAxis(axis), d = shape[a]
    precondition(indices.allSatisfy { $0 >= 0 && $0 < d }, "indexSelect: an index is outside 0..<\(d) (shape \(shape))")
    var outShape = shape
    outShape[a] = indices.count
    let y = Tensor(uninitialized: outShape)
    let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *), k = indices.count
    let px = storage.base, py = y.storage.base
    indices.withUnsafeBufferPointer { idx in
      parallelFor(outer * k, grain: Swift.max(1, (1 << 15) / Swift.max(inner, 1))) { r in
        for row in r {
          let o = row / k, source = o &* d &+ idx[row &- o &* k]
          (py + row &* inner).update(from: px + source &* inner, count: inner)
        }
      }
    }
    let source = shape
    return Tensor.record("index_select", y, inputs: [self]) { g in
      let gx = Tensor(zeros: source)
      let pg = g.storage.base, pgx = gx.storage.base
      indices.withUnsafeBufferPointer { idx in
        parallelFor(outer, grain: Swift.max(1, (1 << 15) / Swift.max(k * inner, 1))) { r in  // rows of one o never collide across o
          for o in r {
            for j in 0..<k {
              let to = pgx + (o &* d &+ idx[j]) &* inner, from = pg + (o &* k &+ j) &* inner
              for e in 0..<inner { to[e] += from[e] }
            }
          }
        }
      }
      return [gx]
    }
  }

  /// torch.gather: y[p] = x[p with p[axis] replaced by index[p]], y of `indexShape` (same rank as x, no larger
  /// than x off `axis`), `index` flat in row-major order. Backward: scatter-add of the gradient.
  public func gather(axis: Int, _ index: [Int], indexShape: [Int]) -> Tensor {
    let a = normalizedAxis(axis)
    checkIndex("gather", a, index, indexShape)
    let y = Tensor(uninitialized: indexShape)
    let px = storage.base, py = y.storage.base, axisStride = Tensor.strides(shape)[a]
    let st = stridesOffAxis(a)
    index.withUnsafeBufferPointer { idx in
      Broadcast.walk(indexShape, st, st) { ox, _, ix, _, n, o in
        for j in 0..<n { py[o &+ j] = px[ox &+ j &* ix &+ idx[o &+ j] &* axisStride] }
      }
    }
    let source = shape
    return Tensor.record("gather", y, inputs: [self]) { g in
      let gx = Tensor(zeros: source)
      let pg = g.storage.base, pgx = gx.storage.base
      index.withUnsafeBufferPointer { idx in
        Broadcast.walk(indexShape, st, st) { ox, _, ix, _, n, o in
          for j in 0..<n { pgx[ox &+ j &* ix &+ idx[o &+ j] &* axisStride] += pg[o &+ j] }
        }
      }
      return [gx]
    }
  }

  /// torch.Tensor.scatter_add, out of place: y = x, then y[p with p[axis] replaced by index[p]] += src[p] for every
  /// position p of `indexShape` (no larger than src, nor than x off `axis`).
  /// Backward: gx = g; gsrc[p] = g[p with p[axis] replaced by index[p]] (zero where no index reads src).
  public func scatterAdd(axis: Int, _ index: [Int], indexShape: [Int], _ src: Tensor) -> Tensor {
    let a = normalizedAxis(axis)
    checkIndex("scatterAdd", a, index, indexShape)
    precondition(src.rank == rank && src.shape.indices.allSatisfy { indexShape[$0] <= src.shape[$0] },
                 "scatterAdd: index shape \(indexShape) is larger than src \(src.shape)")
    let y = copy()
    let ps = src.storage.base, py = y.storage.base, axisStride = Tensor.strides(shape)[a]
    let st = stridesOffAxis(a), ss = Tensor.strides(src.shape)
    index.withUnsafeBufferPointer { idx in
      Broadcast.walk(indexShape, st, ss) { oy, os, dy, ds, n, o in
        for j in 0..<n { py[oy &+ j &* dy &+ idx[o &+ j] &* axisStride] += ps[os &+ j &* ds] }
      }
    }
    let srcShape = src.shape, needSrc = src.requiresGrad
    return Tensor.record("scatter_add", y, inputs: [self, src]) { g in
      guard needSrc else { return [g, nil] }
      let gs = Tensor(zeros: srcShape)
      let pg = g.storage.base, pgs = gs.storage.base
      index.withUnsafeBufferPointer { idx in
        Broadcast.walk(indexShape, st, ss) { oy, os, dy, ds, n, o in
          for j in 0..<n { pgs[os &+ j &* ds] = pg[oy &+ j &* dy &+ idx[o &+ j] &* axisStride] }
        }
      }
      return [g, gs]
    }
  }

  /// This tensor's strides with 0 along `axis` (where the index supplies the coordinate).
  private func stridesOffAxis(_ axis: Int) -> [Int] {
    var st = Tensor.strides(shape)
    st[axis] = 0
    return st
  }

  private func checkIndex(_ op: String, _ axis: Int, _ index: [Int], _ indexShape: [Int]) {
    precondition(indexShape.count == rank && indexShape.indices.allSatisfy { $0 == axis || indexShape[$0] <= shape[$0] },
                 "\(op): index shape \(indexShape) does not fit shape \(shape) off axis \(axis)")
    precondition(index.count == Tensor.elementCount(indexShape),
                 "\(op): \(index.count) indices for index shape \(indexShape)")
    let d = shape[axis]
    precondition(index.allSatisfy { $0 >= 0 && $0 < d }, "\(op): an index is outside 0..<\(d) (shape \(shape))")
  }
}

/// Copies `rows` runs of `length` floats, from `src` (rows `srcStride` apart) to `dst` (rows `dstStride` apart).
func copyRows(_ rows: Int, _ length: Int, from src: UnsafeMutablePointer<Float>, stride srcStride: Int,
              to dst: UnsafeMutablePointer<Float>, stride dstStride: Int) {
  parallelFor(rows, grain: max(1, (1 << 15) / max(length, 1))) { r in
    for row in r { (dst + row &* dstStride).update(from: src + row &* srcStride, count: length) }
  }
}
