/// Average and max pooling over the spatial dimensions of NCHW tensors (PyTorch AvgPool2d, MaxPool2d;
/// square kernels, floor mode).

/// Where the pooling windows of one op lie: output size and, per output index, the input range it covers.
private struct PoolGeometry {
  let planes: Int, h: Int, w: Int, ho: Int, wo: Int
  let kernel: Int, stride: Int, padding: Int

  init(_ x: Tensor, _ op: String, kernel: Int, stride: Int, padding: Int) {
    (planes, h, w) = planeGeometry(x, op)
    precondition(kernel >= 1 && stride >= 1 && padding >= 0,
                 "\(op): kernel \(kernel), stride \(stride), padding \(padding) for input \(x.shape)")
    precondition(padding <= kernel / 2, "\(op): padding \(padding) must be at most half of kernel \(kernel)")
    precondition(h + 2 * padding >= kernel && w + 2 * padding >= kernel,
                 "\(op): kernel \(kernel) with padding \(padding) does not fit input \(x.shape)")
    self.kernel = kernel; self.stride = stride; self.padding = padding
    ho = (h + 2 * padding - kernel) / stride + 1
    wo = (w + 2 * padding - kernel) / stride + 1
  }

  /// Window of output index `o` along an axis of `n` inputs: valid inputs lo..<hi, and the window's extent
  /// counting padding (PyTorch's count_include_pad divisor).
  @inline(__always)
  func window(_ o: Int, _ n: Int) -> (lo: Int, hi: Int, padded: Int) {
    let start = o &* stride &- padding, end = min(start &+ kernel, n &+ padding)
    return (max(start, 0), min(end, n), end &- start)
  }

  @inline(__always)
  func divisor(_ r: (lo: Int, hi: Int, padded: Int), _ c: (lo: Int, hi: Int, padded: Int), _ includePad: Bool) -> Float {
    Float(includePad ? r.padded &* c.padded : (r.hi &- r.lo) &* (c.hi &- c.lo))
  }
}

/// y[n, c, i, j] = (1/d) Σ x[n, c, i·s − p + a, j·s − p + b] over the k×k window (0 ≤ a, b < k) inside the image,
/// with d = k² when `countIncludePad` (zero padding counted) or the number of pixels inside the image otherwise.
/// x [N, C, H, W] → y [N, C, ⌊(H + 2p − k)/s⌋ + 1, ⌊(W + 2p − k)/s⌋ + 1].
/// Backward: each window's gradient, divided by d, is added to every input pixel of the window.
public func avgPool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0, countIncludePad: Bool = true) -> Tensor {
  let geo = PoolGeometry(x, "avgPool2d", kernel: kernel, stride: stride, padding: padding)
  let (h, w, ho, wo) = (geo.h, geo.w, geo.ho, geo.wo)
  let y = Tensor(uninitialized: [x.shape[0], x.shape[1], ho, wo])
  let px = x.storage.base, py = y.storage.base  // (N, C, H, W), (N, C, Ho, Wo)
  forEachPlane(geo.planes, work: ho &* wo &* kernel &* kernel) { r in
    for p in r {
      let src = px + p &* h &* w, dst = py + p &* ho &* wo
      for i in 0..<ho {
        let wr = geo.window(i, h)
        for j in 0..<wo {
          let wc = geo.window(j, w)
          var s: Float = 0
          for a in wr.lo..<wr.hi { let row = src + a &* w; for b in wc.lo..<wc.hi { s += row[b] } }
          dst[i &* wo &+ j] = s / geo.divisor(wr, wc, countIncludePad)
        }
      }
    }
  }
  let xShape = x.shape
  return Tensor.record("avgPool2d", y, inputs: [x]) { g in
    let gx = Tensor(zeros: xShape)
    let pg = g.storage.base, pgx = gx.storage.base  // (N, C, Ho, Wo), (N, C, H, W)
    forEachPlane(geo.planes, work: ho &* wo &* kernel &* kernel) { r in
      for p in r {
        let gsrc = pg + p &* ho &* wo, gdst = pgx + p &* h &* w
        for i in 0..<ho {
          let wr = geo.window(i, h)
          for j in 0..<wo {
            let wc = geo.window(j, w)
            let v = gsrc[i &* wo &+ j] / geo.divisor(wr, wc, countIncludePad)
            for a in wr.lo..<wr.hi { let row = gdst + a &* w; for b in wc.lo..<wc.hi { row[b] += v } }
          }
        }
      }
    }
    return [gx]
  }
}

/// y[n, c, i, j] = max x[n, c, i·s − p + a, j·s − p + b] over the k×k window (0 ≤ a, b < k), padding counting as
/// −∞. x [N, C, H, W] → y [N, C, ⌊(H + 2p − k)/s⌋ + 1, ⌊(W + 2p − k)/s⌋ + 1].
/// Backward: each window's gradient goes to its argmax; on ties the first maximum in row-major order wins, and
/// NaN counts as a maximum (as in PyTorch).
public func maxPool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
  let geo = PoolGeometry(x, "maxPool2d", kernel: kernel, stride: stride, padding: padding)
  let (h, w, ho, wo) = (geo.h, geo.w, geo.ho, geo.wo)
  precondition(h * w <= Int(Int32.max), "maxPool2d: a plane of \(x.shape) is too large for 32-bit argmax indices")
  let y = Tensor(uninitialized: [x.shape[0], x.shape[1], ho, wo])
  let px = x.storage.base, py = y.storage.base  // (N, C, H, W), (N, C, Ho, Wo)
  // argmax[p, i, j] = a·W + b within plane p: (N·C, Ho, Wo)
  let argmax = [Int32](unsafeUninitializedCapacity: geo.planes * ho * wo) { buffer, initialized in
    guard let pa = buffer.baseAddress else { return }
    forEachPlane(geo.planes, work: ho &* wo &* kernel &* kernel) { r in
      for p in r {
        let src = px + p &* h &* w, dst = py + p &* ho &* wo, arg = pa + p &* ho &* wo
        for i in 0..<ho {
          let wr = geo.window(i, h)
          for j in 0..<wo {
            let wc = geo.window(j, w)
            var best = -Float.infinity, at = wr.lo &* w &+ wc.lo
            for a in wr.lo..<wr.hi {
              let row = src + a &* w
              for b in wc.lo..<wc.hi where row[b] > best || row[b].isNaN { best = row[b]; at = a &* w &+ b }
            }
            dst[i &* wo &+ j] = best
            arg[i &* wo &+ j] = Int32(truncatingIfNeeded: at)
          }
        }
      }
    }
    initialized = buffer.count
  }
  let xShape = x.shape
  return Tensor.record("maxPool2d", y, inputs: [x]) { g in
    let gx = Tensor(zeros: xShape)
    let pg = g.storage.base, pgx = gx.storage.base  // (N, C, Ho, Wo), (N, C, H, W)
    argmax.withUnsafeBufferPointer { argmax in
      forEachPlane(geo.planes, work: ho &* wo) { r in
        for p in r {
          let gsrc = pg + p &* ho &* wo, gdst = pgx + p &* h &* w, arg = p &* ho &* wo
          for k in 0..<(ho &* wo) { gdst[Int(argmax[arg &+ k])] += gsrc[k] }
        }
      }
    }
    return [gx]
  }
}
