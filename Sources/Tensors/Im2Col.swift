/// im2col and its adjoint col2im: the data movement that turns a convolution into a GEMM.
///
/// An image [channels, height, width] is read by a kernel kh×kw placed on a grid of gridH×gridW positions
/// (position (gy, gx) puts kernel tap (ky, kx) on pixel (gy·stride + ky − padH, gx·stride + kx − padW); outside the
/// image reads zero). The column matrix has one row per (channel, ky, kx) and one column per grid position:
///
///     col[(c·kh + ky)·kw + kx, gy·gridW + gx] = image[c, gy·stride + ky − padH, gx·stride + kx − padW]
///
/// With `flipped`, row (c, ky, kx) reads tap (kh−1−ky, kw−1−kx) instead: a stride-1 convolution seen from its
/// output side (ConvFewOutputs.swift). Both kernels work on a band of grid rows so that callers can bound the
/// column buffer.
struct ConvGeometry {
  var channels: Int, height: Int, width: Int
  var kernelH: Int, kernelW: Int
  var stride: Int
  var padH: Int, padW: Int
  var gridH: Int, gridW: Int
  var flipped = false

  /// Rows of the column matrix: channels·kh·kw.
  var rows: Int { channels &* kernelH &* kernelW }

  /// Vertical and horizontal image offset of column row r's tap, and its channel.
  @inline(__always)
  func tap(_ r: Int) -> (channel: Int, dy: Int, dx: Int) {
    let kk = kernelH &* kernelW
    var ky = (r % kk) / kernelW, kx = r % kernelW
    if flipped { ky = kernelH &- 1 &- ky; kx = kernelW &- 1 &- kx }
    return (r / kk, ky &- padH, kx &- padW)
  }

  /// Grid columns gx whose pixel gx·stride + dx lies inside the image: lo..<hi (possibly empty).
  @inline(__always)
  func validColumns(_ dx: Int) -> (lo: Int, hi: Int) {
    let lo = max(0, ceilDivide(-dx, stride))
    let hi = min(gridW, floorDivide(width &- 1 &- dx, stride) &+ 1)
    return (lo, max(lo, hi))
  }
}

@inline(__always) private func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a &+ b &- 1) / b) }
@inline(__always) private func ceilDivide(_ a: Int, _ b: Int) -> Int { -floorDivide(-a, b) }

/// col[rows, band.count·gridW] = the im2col rows of `image` for grid rows `band` (every element written), on
/// all compute threads or, with `parallel` false, on the caller's.
func im2col(_ image: UnsafePointer<Float>,  // (channels, height, width)
            _ g: ConvGeometry, band: Range<Int>,
            _ col: UnsafeMutablePointer<Float>,  // (channels·kh·kw, band.count·gridW)
            parallel: Bool = true) {
  let cols = band.count &* g.gridW, plane = g.height &* g.width
  parallelFor(g.rows, grain: parallel ? max(1, elementsPerThread / max(cols, 1)) : g.rows) { rows in
    for r in rows {
      let (c, dy, dx) = g.tap(r)
      let (lo, hi) = g.validColumns(dx)
      let src0 = image + (c &* plane &+ dx)
      var dst = col + r &* cols
      for gy in band {
        let iy = gy &* g.stride &+ dy
        if iy < 0 || iy >= g.height || lo == hi {
          dst.update(repeating: 0, count: g.gridW)
        } else {
          let src = src0 + iy &* g.width
          // NOTE: rows are short (tens of floats): libc calls per row cost as much as the copy, so the zeroed
          // margins and the copy are inline loops.
          for gx in 0..<lo { dst[gx] = 0 }
          switch g.stride {
          case 1: copyElements(src + lo, dst + lo, hi &- lo)
          case 2: copyEvenElements(src + 2 &* lo, dst + lo, hi &- lo)
          default: for gx in lo..<hi { dst[gx] = src[gx &* g.stride] }
          }
          for gx in hi..<g.gridW { dst[gx] = 0 }
        }
        dst += g.gridW
      }
    }
  }
}

/// image += col2im(col): the adjoint of `im2col` for grid rows `band`, each column entry added to the pixel it
/// was read from. Written as a gather per image row (channel c, row iy) so that the work splits evenly over
/// threads whatever the channel count (an RGB head has three) and no two threads write the same row; with
/// `parallel` false, on the caller's thread.
func col2im(_ col: UnsafePointer<Float>,  // (channels·kh·kw, band.count·gridW)
            _ g: ConvGeometry, band: Range<Int>,
            _ image: UnsafeMutablePointer<Float>,  // (channels, height, width), accumulated into
            parallel: Bool = true) {
  let cols = band.count &* g.gridW, plane = g.height &* g.width
  // Tap rows reach dy ∈ [−padH, kh − 1 − padH]: the image rows this band touches.
  let top = max(0, band.lowerBound &* g.stride &- g.padH)
  let bottom = min(g.height, (band.upperBound &- 1) &* g.stride &+ g.kernelH &- g.padH)
  let span = bottom &- top
  guard span > 0 else { return }
  let items = g.channels &* span
  // Each kernel row's vertical offset, and each kernel column's horizontal offset and the grid columns it maps
  // inside the image: the same for every channel and image row, so computed once (the divisions cost as much as
  // the additions of a short row).
  let dys = UnsafeMutablePointer<Int>.allocate(capacity: g.kernelH)
  let columns = UnsafeMutablePointer<(dx: Int, lo: Int, hi: Int)>.allocate(capacity: g.kernelW)
  defer { dys.deallocate(); columns.deallocate() }
  for ky in 0..<g.kernelH { dys[ky] = g.tap(ky &* g.kernelW).dy }
  for kx in 0..<g.kernelW {
    let dx = g.tap(kx).dx, (lo, hi) = g.validColumns(dx)
    columns[kx] = (dx, lo, hi)
  }
  parallelFor(items, grain: parallel ? max(1, elementsPerThread / max(g.kernelH &* g.kernelW &* g.width, 1)) : items) { items in
    for item in items {
      let c = item / span, iy = top &+ item % span
      let dst = image + (c &* plane &+ iy &* g.width)
      for ky in 0..<g.kernelH {
        let t = iy &- dys[ky]
        let gy = g.stride == 1 ? t : t / g.stride
        guard t >= 0 && gy &* g.stride == t && band.contains(gy) else { continue }
        let rowBase = col + ((c &* g.kernelH &+ ky) &* g.kernelW &* cols &+ (gy &- band.lowerBound) &* g.gridW)
        for kx in 0..<g.kernelW {
          let (dx, lo, hi) = columns[kx]
          let src = rowBase + kx &* cols, row = dst + dx
          switch g.stride {
          case 1: addElements(src + lo, row + lo, hi &- lo)
          case 2: addToEvenElements(src + lo, row + 2 &* lo, hi &- lo)
          default: for gx in lo..<hi { row[gx &* g.stride] += src[gx] }
          }
        }
      }
    }
  }
}

/// p[0..<count] = 0 on all compute threads (the image that col2im then accumulates into).
func zeroFill(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
  parallelFor(count, grain: elementsPerThread) { r in (p + r.lowerBound).update(repeating: 0, count: r.count) }
}

// NOTE: stride-2 rows are a large share of a downsampling layer's time when moved one float at a time. A SIMD8 at
// 2i reaches element 2i + 7; stopping the vector loop while i + 4 < n keeps that within 2(n − 1), the last element.

/// dst[i] = src[i] for i in 0..<n, eight at a time (the last eight overlapping when n is not a multiple of 8).
@inline(__always)
private func copyElements(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
  guard n >= 8 else { for i in 0..<n { dst[i] = src[i] }; return }
  var i = 0
  while i &+ 8 <= n {
    UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self),
                                                as: SIMD8<Float>.self)
    i &+= 8
  }
  if i < n {
    let last = n &- 8
    UnsafeMutableRawPointer(dst + last).storeBytes(
      of: UnsafeRawPointer(src + last).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
  }
}

/// dst[i] += src[i] for i in 0..<n.
@inline(__always)
private func addElements(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
  var i = 0
  while i &+ 8 <= n {
    let p = UnsafeMutableRawPointer(dst + i)
    p.storeBytes(of: p.loadUnaligned(as: SIMD8<Float>.self) + UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self),
                 as: SIMD8<Float>.self)
    i &+= 8
  }
  while i < n { dst[i] += src[i]; i &+= 1 }
}

/// dst[i] = src[2i] for i in 0..<n.
@inline(__always)
private func copyEvenElements(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
  var i = 0
  while i &+ 4 < n {
    let v = UnsafeRawPointer(src + 2 &* i).loadUnaligned(as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(dst + i).storeBytes(of: v.evenHalf, as: SIMD4<Float>.self)
    i &+= 4
  }
  while i < n { dst[i] = src[2 &* i]; i &+= 1 }
}

/// dst[2i] += src[i] for i in 0..<n.
@inline(__always)
private func addToEvenElements(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
  var i = 0
  while i &+ 4 < n {
    let p = UnsafeMutableRawPointer(dst + 2 &* i)
    var d = p.loadUnaligned(as: SIMD8<Float>.self)
    d.evenHalf += UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self)
    p.storeBytes(of: d, as: SIMD8<Float>.self)
    i &+= 4
  }
  while i < n { dst[2 &* i] += src[i]; i &+= 1 }
}
