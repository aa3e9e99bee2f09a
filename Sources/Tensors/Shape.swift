/// Shape ops: views and copies that rearrange elements without arithmetic. Forward kernel and backward rule side by
/// side; the backward of a rearrangement is the inverse rearrangement (or a sum, for `expand`).

extension Tensor {
  /// The same elements read as `newShape` (one entry may be −1: inferred). Shares storage; copies nothing.
  public func reshape(_ newShape: [Int]) -> Tensor {
    let free = newShape.indices.filter { newShape[$0] == -1 }
    precondition(free.count <= 1 && newShape.allSatisfy { $0 >= -1 }, "reshape: invalid target \(newShape) for \(shape)")
    var target = newShape
    if let f = free.first {
      let known = newShape.filter { $0 != -1 }.reduce(1, *)
      precondition(known > 0 && count % known == 0, "reshape: cannot reshape \(shape) to \(newShape)")
      target[f] = count / known
    }
    precondition(Tensor.elementCount(target) == count, "reshape: cannot reshape \(shape) to \(newShape)")
    if target == shape { return self }
    let source = shape
    return Tensor.record("reshape", Tensor(storage: storage, shape: target), inputs: [self]) { g in
      [g.reshape(source)]
    }
  }

  /// Merges the axes from `axis` on into one: [d0, …, d(a−1), d(a)·…·d(r−1)]. Shares storage.
  public func flatten(from axis: Int = 1) -> Tensor {
    let a = normalizedAxis(axis)
    return reshape(Array(shape[..<a]) + [shape[a...].reduce(1, *)])
  }

  /// y[i_axes[0], …, i_axes[r−1]] = x[i_0, …, i_(r−1)]: y.shape[k] = x.shape[axes[k]]. A copy.
  public func permute(_ axes: [Int]) -> Tensor {
    let axes = axes.map { normalizedAxis($0) }
    precondition(axes.count == rank && Set(axes).count == rank, "permute: axes \(axes) do not permute shape \(shape)")
    if axes == Array(0..<rank) { return self }
    let y = Tensor(uninitialized: axes.map { shape[$0] })
    PermuteKernel(shape: shape, axes: axes).run(storage.base, y.storage.base)
    var inverse = axes
    for (k, a) in axes.enumerated() { inverse[a] = k }
    return Tensor.record("permute", y, inputs: [self]) { g in [g.permute(inverse)] }
  }

  /// Swaps axes `a` and `b` (a copy).
  public func transpose(_ a: Int, _ b: Int) -> Tensor {
    var axes = Array(0..<rank)
    axes.swapAt(normalizedAxis(a), normalizedAxis(b))
    return permute(axes)
  }

  /// Broadcasts to `target` (NumPy rules: dimensions aligned at the right, a 1 stretches, new leading dimensions).
  /// Backward: the gradient summed over the stretched dimensions.
  public func expand(_ target: [Int]) -> Tensor {
    let pad = target.count - rank
    precondition(pad >= 0 && shape.indices.allSatisfy { shape[$0] == 1 || shape[$0] == target[$0 + pad] },
                 "expand: cannot expand \(shape) to \(target)")
    if target == shape { return self }
    let y = Tensor(uninitialized: target)
    let px = storage.base, py = y.storage.base
    let st = Broadcast.strides(of: shape, in: target)
    Broadcast.walk(target, st, st) { ox, _, ix, _, n, o in
      if ix == 0 {
        (py + o).update(repeating: px[ox], count: n)
      } else {
        for j in 0..<n { py[o &+ j] = px[ox &+ j &* ix] }
      }
    }
    let source = shape
    return Tensor.record("expand", y, inputs: [self]) { g in [Broadcast.sum(g, to: source)] }
  }

  /// Reverses the order along `axis`: y[…, i, …] = x[…, d−1−i, …]. Its own backward.
  public func flip(axis: Int) -> Tensor {
    let a = normalizedAxis(axis)
    let y = Tensor(uninitialized: shape)
    let d = shape[a], inner = shape[(a + 1)...].reduce(1, *), rows = count / Swift.max(inner, 1)
    let px = storage.base, py = y.storage.base
    if inner == 1 {  // the last axis (an image's width): reverse each row in a loop, not element by element copies
      let lines = rows / Swift.max(d, 1)
      parallelFor(lines, grain: Swift.max(1, elementsPerThread / Swift.max(d, 1))) { r in
        for line in r {
          let src = px + line &* d, dst = py + line &* d
          for i in 0..<d { dst[i] = src[d &- 1 &- i] }
        }
      }
    } else {
      parallelFor(rows, grain: Swift.max(1, elementsPerThread / inner)) { r in
        for row in r {
          let i = row % d, source = row &- i &+ (d &- 1 &- i)
          (py + row &* inner).update(from: px + source &* inner, count: inner)
        }
      }
    }
    return Tensor.record("flip", y, inputs: [self]) { g in [g.flip(axis: a)] }
  }
}

/// The copy behind `permute`, planned once per call.
///
/// The plan drops size-1 axes and merges axes that stay neighbours in the same order, so NCHW→NHWC becomes the
/// batched 2-D transpose [N, C, HW] → [N, HW, C]. Three kernels then cover every case: rows copied whole when
/// the innermost axis stays innermost, a tiled transpose for [B, R, C] → [B, C, R], and a strided gather.
struct PermuteKernel {
  /// Output dimensions after merging, and for each one the stride of the source along it.
  let dims: [Int]
  let sourceStrides: [Int]
  let count: Int

  init(shape: [Int], axes: [Int]) {
    count = Tensor.elementCount(shape)
    let kept = shape.indices.filter { shape[$0] != 1 }
    let order = axes.filter { shape[$0] != 1 }
    var groups: [[Int]] = []  // runs of source axes that stay adjacent and in order in the output
    for a in order {
      if let last = groups.last?.last, kept.firstIndex(of: a) == kept.firstIndex(of: last)! + 1 {
        groups[groups.count - 1].append(a)
      } else {
        groups.append([a])
      }
    }
    let bySource = groups.indices.sorted { groups[$0][0] < groups[$1][0] }
    let mergedShape = bySource.map { groups[$0].reduce(1) { $0 * shape[$1] } }
    let mergedStrides = Tensor.strides(mergedShape)
    var position = [Int](repeating: 0, count: groups.count)
    for (j, k) in bySource.enumerated() { position[k] = j }
    dims = position.map { mergedShape[$0] }
    sourceStrides = position.map { mergedStrides[$0] }
  }

  func run(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
    let r = dims.count
    if count == 0 { return }
    if r <= 1 { dst.update(from: src, count: count); return }
    if sourceStrides[r - 1] == 1 { return copyRows(src, dst, contiguous: true) }
    if r == 2 || (r == 3 && sourceStrides[0] == dims[1] * dims[2]) {
      let batch = r == 3 ? dims[0] : 1
      return transposeTiles(src, dst, batch: batch, rows: dims[r - 1], cols: dims[r - 2])
    }
    copyRows(src, dst, contiguous: false)
  }

  /// For each output row (all indices but the last), finds its source offset with an odometer and copies the row.
  private func copyRows(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, contiguous: Bool) {
    let r = dims.count, length = dims[r - 1], step = sourceStrides[r - 1]
    let rows = count / length
    parallelFor(rows, grain: max(1, elementsPerThread / length)) { range in
      var index = [Int](repeating: 0, count: r - 1)
      var offset = 0, rest = range.lowerBound
      for d in stride(from: r - 2, through: 0, by: -1) {
        index[d] = rest % dims[d]; rest /= dims[d]
        offset += index[d] * sourceStrides[d]
      }
      for row in range {
        let out = dst + row &* length, input = src + offset
        if contiguous {
          out.update(from: input, count: length)
        } else {
          for j in 0..<length { out[j] = input[j &* step] }
        }
        var d = r - 2
        while d >= 0 {
          index[d] += 1; offset += sourceStrides[d]
          if index[d] < dims[d] { break }
          offset -= sourceStrides[d] * dims[d]; index[d] = 0
          d -= 1
        }
      }
    }
  }

  /// dst[b, c, r] = src[b, r, c] for src (batch, rows, cols), in 32×32 tiles so both sides stay in cache.
  private func transposeTiles(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                              batch: Int, rows: Int, cols: Int) {
    let tile = 32
    let colTiles = (cols + tile - 1) / tile, plane = rows * cols
    parallelFor(batch * colTiles, grain: max(1, elementsPerThread / (tile * max(rows, 1)))) { range in
      for item in range {
        let b = item / colTiles, c0 = (item % colTiles) * tile, c1 = min(c0 + tile, cols)
        let s = src + b &* plane, o = dst + b &* plane
        for r0 in stride(from: 0, to: rows, by: tile) {
          let r1 = min(r0 + tile, rows)
          for c in c0..<c1 {
            for r in r0..<r1 { o[c &* rows &+ r] = s[r &* cols &+ c] }
          }
        }
      }
    }
  }
}
