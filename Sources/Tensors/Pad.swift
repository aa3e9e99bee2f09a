/// Padding of the two spatial dimensions of NCHW tensors (PyTorch ZeroPad2d, ReflectionPad2d, ReplicationPad2d),
/// and the plane helpers that the padding, resampling and pooling kernels share.

/// How `pad2d` fills the border.
public enum PaddingMode: Sendable {
  /// x[i] = 0 outside the image.
  case zeros
  /// Mirror without repeating the edge pixel: x[−i] = x[i], x[n−1+i] = x[n−1−i] (padding must be < size).
  case reflect
  /// Repeat the edge pixel: x[−i] = x[0], x[n−1+i] = x[n−1].
  case replicate
}

extension PaddingMode {
  /// The index in 0..<n that padded position `i` (possibly outside 0..<n) reads, or −1 for a zero.
  @inline(__always)
  func source(_ i: Int, _ n: Int) -> Int {
    if i >= 0 && i < n { return i }
    switch self {
    case .zeros: return -1
    case .reflect: return i < 0 ? -i : 2 &* (n &- 1) &- i
    case .replicate: return i < 0 ? 0 : n &- 1
    }
  }
}

/// Pads the last two dimensions on each side:
/// y[n, c, i, j] = x[n, c, src(i − top, H), src(j − left, W)], with src given by `mode` (0 where `.zeros` reads
/// outside). x [N, C, H, W] → y [N, C, top + H + bottom, left + W + right].
/// Backward: each output gradient is added onto the source pixel its value was copied from.
public func pad2d(_ x: Tensor, left: Int, right: Int, top: Int, bottom: Int, mode: PaddingMode = .zeros) -> Tensor {
  let (planes, h, w) = planeGeometry(x, "pad2d")
  precondition(min(left, right, top, bottom) >= 0,
               "pad2d: negative padding (left \(left), right \(right), top \(top), bottom \(bottom))")
  precondition(mode != .reflect || (max(left, right) < w && max(top, bottom) < h),
               "pad2d: reflect padding (left \(left), right \(right), top \(top), bottom \(bottom)) must be smaller "
                 + "than the input's spatial size, input is \(x.shape)")
  let ho = h &+ top &+ bottom, wo = w &+ left &+ right
  let y = Tensor(uninitialized: [x.shape[0], x.shape[1], ho, wo])
  let px = x.storage.base, py = y.storage.base  // (N, C, H, W), (N, C, Ho, Wo)
  forEachPlane(planes, work: ho &* wo) { r in
    for p in r {
      let src = px + p &* h &* w, dst = py + p &* ho &* wo
      for i in 0..<ho {
        let row = dst + i &* wo
        let si = mode.source(i &- top, h)
        guard si >= 0 else { row.update(repeating: 0, count: wo); continue }
        let srow = src + si &* w
        for j in 0..<left { let sj = mode.source(j &- left, w); row[j] = sj >= 0 ? srow[sj] : 0 }
        (row + left).update(from: srow, count: w)
        for j in (left &+ w)..<wo { let sj = mode.source(j &- left, w); row[j] = sj >= 0 ? srow[sj] : 0 }
      }
    }
  }
  let xShape = x.shape
  return Tensor.record("pad2d", y, inputs: [x]) { g in
    let gx = Tensor(zeros: xShape)
    let pg = g.storage.base, pgx = gx.storage.base  // (N, C, Ho, Wo), (N, C, H, W)
    forEachPlane(planes, work: ho &* wo) { r in
      for p in r {
        let gsrc = pg + p &* ho &* wo, gdst = pgx + p &* h &* w
        for i in 0..<ho {
          let si = mode.source(i &- top, h)
          guard si >= 0 else { continue }
          let grow = gsrc + i &* wo, xrow = gdst + si &* w
          for j in 0..<left { let sj = mode.source(j &- left, w); if sj >= 0 { xrow[sj] += grow[j] } }
          for j in 0..<w { xrow[j] += grow[left &+ j] }
          for j in (left &+ w)..<wo { let sj = mode.source(j &- left, w); if sj >= 0 { xrow[sj] += grow[j] } }
        }
      }
    }
    return [gx]
  }
}

/// Pads the last two dimensions by `p` on every side.
public func pad2d(_ x: Tensor, _ p: Int, mode: PaddingMode = .zeros) -> Tensor {
  pad2d(x, left: p, right: p, top: p, bottom: p, mode: mode)
}

// MARK: Plane helpers (shared with Resample.swift and Pool.swift)

/// (N·C, H, W) of an NCHW tensor, or a trap naming `op` and the shape.
func planeGeometry(_ x: Tensor, _ op: String) -> (planes: Int, h: Int, w: Int) {
  precondition(x.rank == 4, "\(op): expected an NCHW tensor, got shape \(x.shape)")
  return (x.shape[0] &* x.shape[1], x.shape[2], x.shape[3])
}

/// Runs `body` over ranges of the N·C planes of an image op, split over threads once a chunk holds about
/// `elementsPerThread` elements of `work` (elements touched per plane).
@inline(__always)
func forEachPlane(_ planes: Int, work: Int, _ body: (Range<Int>) -> Void) {
  parallelFor(planes, grain: max(1, elementsPerThread / max(work, 1)), body)
}
