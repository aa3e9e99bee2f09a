/// Nearest and bilinear resampling of NCHW images, as PyTorch `interpolate` (bilinear with align_corners=False).
///
/// Each op first tabulates, per output row and per output column, which input rows/columns it reads (and with
/// which weights); the kernels then walk the planes with those tables. Index arithmetic follows PyTorch's CPU
/// kernels in float32, so the sampled positions agree with PyTorch bit for bit.

// MARK: Nearest

/// y[n, c, i, j] = x[n, c, ⌊i / s⌋, ⌊j / s⌋]: x [N, C, H, W] → y [N, C, s·H, s·W].
/// Backward: gx[n, c, i, j] = Σ of g over the s×s block copied from x[n, c, i, j].
public func upsampleNearest(_ x: Tensor, scale: Int) -> Tensor {
  let (_, h, w) = planeGeometry(x, "upsampleNearest")
  precondition(scale >= 1, "upsampleNearest: scale must be at least 1, got \(scale) for input \(x.shape)")
  // NOTE: exact integer division; PyTorch multiplies by float(1/s), which differs only for odd scales like 41.
  return nearest(x, "upsampleNearest", rows: (0..<(h * scale)).map { $0 / scale },
                 cols: (0..<(w * scale)).map { $0 / scale })
}

/// y[n, c, i, j] = x[n, c, min(⌊i · H/height⌋, H−1), min(⌊j · W/width⌋, W−1)] (PyTorch 'nearest'; the ratio and
/// product in float32 as PyTorch computes them): x [N, C, H, W] → y [N, C, height, width].
/// Backward: each input pixel receives the sum of the gradients of the outputs that copied it.
public func resizeNearest(_ x: Tensor, height: Int, width: Int) -> Tensor {
  let (_, h, w) = planeGeometry(x, "resizeNearest")
  precondition(height >= 1 && width >= 1, "resizeNearest: output size \(height)×\(width) for input \(x.shape)")
  func sources(_ n: Int, _ out: Int) -> [Int] {
    let scale = Float(n) / Float(out)
    return (0..<out).map { min(Int((Float($0) * scale).rounded(.down)), n - 1) }
  }
  return nearest(x, "resizeNearest", rows: sources(h, height), cols: sources(w, width))
}

/// y[n, c, i, j] = x[n, c, rows[i], cols[j]], and its scatter-add backward.
private func nearest(_ x: Tensor, _ op: String, rows: [Int], cols: [Int]) -> Tensor {
  let (planes, h, w) = planeGeometry(x, op)
  let ho = rows.count, wo = cols.count
  let y = Tensor(uninitialized: [x.shape[0], x.shape[1], ho, wo])
  let px = x.storage.base, py = y.storage.base  // (N, C, H, W), (N, C, Ho, Wo)
  rows.withUnsafeBufferPointer { rows in
    cols.withUnsafeBufferPointer { cols in
      forEachPlane(planes, work: ho &* wo) { r in
        for p in r {
          let src = px + p &* h &* w, dst = py + p &* ho &* wo
          for i in 0..<ho {
            let srow = src + rows[i] &* w, row = dst + i &* wo
            for j in 0..<wo { row[j] = srow[cols[j]] }
          }
        }
      }
    }
  }
  let xShape = x.shape
  return Tensor.record(op, y, inputs: [x]) { g in
    let gx = Tensor(zeros: xShape)
    let pg = g.storage.base, pgx = gx.storage.base  // (N, C, Ho, Wo), (N, C, H, W)
    rows.withUnsafeBufferPointer { rows in
      cols.withUnsafeBufferPointer { cols in
        forEachPlane(planes, work: ho &* wo) { r in
          for p in r {
            let gsrc = pg + p &* ho &* wo, gdst = pgx + p &* h &* w
            for i in 0..<ho {
              let grow = gsrc + i &* wo, xrow = gdst + rows[i] &* w
              for j in 0..<wo { xrow[cols[j]] += grow[j] }
            }
          }
        }
      }
    }
    return [gx]
  }
}

// MARK: Bilinear

/// y = resizeBilinear(x) to (s·H, s·W), with PyTorch's scale-factor convention (source scale 1/s, which equals
/// H/(s·H) for integer s): x [N, C, H, W] → y [N, C, s·H, s·W].
public func upsampleBilinear(_ x: Tensor, scale: Int) -> Tensor {
  let (_, h, w) = planeGeometry(x, "upsampleBilinear")
  precondition(scale >= 1, "upsampleBilinear: scale must be at least 1, got \(scale) for input \(x.shape)")
  let ratio = Float(1.0 / Double(scale))
  return bilinear(x, "upsampleBilinear", rows: linearTaps(h, h * scale, ratio),
                  cols: linearTaps(w, w * scale, ratio))
}

/// Bilinear resize with align_corners=False (PyTorch): along each axis the output index d reads the source
/// position s = max((d + ½)·in/out − ½, 0) as (1 − λ)·x[i₀] + λ·x[i₁] with i₀ = ⌊s⌋, i₁ = min(i₀ + 1, in − 1),
/// λ = s − i₀; y is the product of the two axes' interpolations. x [N, C, H, W] → y [N, C, height, width].
/// Backward: each output gradient is scattered onto its four source pixels with the same weights.
public func resizeBilinear(_ x: Tensor, height: Int, width: Int) -> Tensor {
  let (_, h, w) = planeGeometry(x, "resizeBilinear")
  precondition(height >= 1 && width >= 1, "resizeBilinear: output size \(height)×\(width) for input \(x.shape)")
  return bilinear(x, "resizeBilinear", rows: linearTaps(h, height, Float(h) / Float(height)),
                  cols: linearTaps(w, width, Float(w) / Float(width)))
}

/// The two source indices and weights that one output index reads along one axis.
private struct LinearTap {
  var i0: Int, i1: Int
  var w0: Float, w1: Float
}

/// Taps for `out` positions over an axis of `n` inputs with source scale `ratio` (PyTorch
/// area_pixel_compute_source_index with align_corners=False, in float32).
private func linearTaps(_ n: Int, _ out: Int, _ ratio: Float) -> [LinearTap] {
  (0..<out).map { d in
    let s = max(ratio * (Float(d) + 0.5) - 0.5, 0)
    let i0 = min(Int(s.rounded(.down)), n - 1)
    let lambda = min(max(s - Float(i0), 0), 1)
    return LinearTap(i0: i0, i1: i0 < n - 1 ? i0 + 1 : i0, w0: 1 - lambda, w1: lambda)
  }
}

/// y[n, c, i, j] = Σ rows[i].w · cols[j].w · x[n, c, rows[i].i, cols[j].i] over the 2×2 taps, and its backward.
private func bilinear(_ x: Tensor, _ op: String, rows: [LinearTap], cols: [LinearTap]) -> Tensor {
  let (planes, h, w) = planeGeometry(x, op)
  let ho = rows.count, wo = cols.count
  let y = Tensor(uninitialized: [x.shape[0], x.shape[1], ho, wo])
  let px = x.storage.base, py = y.storage.base  // (N, C, H, W), (N, C, Ho, Wo)
  rows.withUnsafeBufferPointer { rows in
    cols.withUnsafeBufferPointer { cols in
      forEachPlane(planes, work: 4 &* ho &* wo) { r in
        for p in r {
          let src = px + p &* h &* w, dst = py + p &* ho &* wo
          for i in 0..<ho {
            let t = rows[i]
            let r0 = src + t.i0 &* w, r1 = src + t.i1 &* w, row = dst + i &* wo
            for j in 0..<wo {
              let c = cols[j]
              row[j] = t.w0 * (c.w0 * r0[c.i0] + c.w1 * r0[c.i1]) + t.w1 * (c.w0 * r1[c.i0] + c.w1 * r1[c.i1])
            }
          }
        }
      }
    }
  }
  let xShape = x.shape
  return Tensor.record(op, y, inputs: [x]) { g in
    let gx = Tensor(zeros: xShape)
    let pg = g.storage.base, pgx = gx.storage.base  // (N, C, Ho, Wo), (N, C, H, W)
    rows.withUnsafeBufferPointer { rows in
      cols.withUnsafeBufferPointer { cols in
        forEachPlane(planes, work: 4 &* ho &* wo) { r in
          for p in r {
            let gsrc = pg + p &* ho &* wo, gdst = pgx + p &* h &* w
            for i in 0..<ho {
              let t = rows[i]
              let r0 = gdst + t.i0 &* w, r1 = gdst + t.i1 &* w, grow = gsrc + i &* wo
              for j in 0..<wo {
                let c = cols[j], g0 = t.w0 * grow[j], g1 = t.w1 * grow[j]
                r0[c.i0] += g0 * c.w0; r0[c.i1] += g0 * c.w1
                r1[c.i0] += g1 * c.w0; r1[c.i1] += g1 * c.w1
              }
            }
          }
        }
      }
    }
    return [gx]
  }
}
