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

@inline(__always) func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a &+ b &- 1) / b) }
@inline(__always) func ceilDivide(_ a: Int, _ b: Int) -> Int { -floorDivide(-a, b) }

/// col[rows, band.count·gridW] = the im2col rows of `image` for grid rows `band` (every element written).
func im2col(_ image: UnsafePointer<Float>,  // (channels, height, width)
            _ g: ConvGeometry, band: Range<Int>,
            _ col: UnsafeMutablePointer<Float>) {  // (channels·kh·kw, band.count·gridW)
  let cols = band.count &* g.gridW, plane = g.height &* g.width
  parallelFor(g.rows, grain: max(1, 32768 / max(cols, 1))) { rows in
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
          dst.update(repeating: 0, count: lo)
          if g.stride == 1 {
            (dst + lo).update(from: src + lo, count: hi &- lo)
          } else {
            for gx in lo..<hi { dst[gx] = src[gx &* g.stride] }
          }
          (dst + hi).update(repeating: 0, count: g.gridW &- hi)
        }
        dst += g.gridW
      }
    }
  }
}

/// image += col2im(col): the adjoint of `im2col` for grid rows `band`, each column entry added to the pixel it
/// was read from. Parallel over channels (each writes only its own plane).
func col2im(_ col: UnsafePointer<Float>,  // (channels·kh·kw, band.count·gridW)
            _ g: ConvGeometry, band: Range<Int>,
            _ image: UnsafeMutablePointer<Float>) {  // (channels, height, width), accumulated into
  let cols = band.count &* g.gridW, plane = g.height &* g.width, kk = g.kernelH &* g.kernelW
  parallelFor(g.channels, grain: max(1, 32768 / max(cols &* kk, 1))) { channels in
    for c in channels {
      for r in c &* kk ..< (c &+ 1) &* kk {
        let (_, dy, dx) = g.tap(r)
        let (lo, hi) = g.validColumns(dx)
        if lo == hi { continue }
        let dst0 = image + (c &* plane &+ dx)
        var src = col + r &* cols
        for gy in band {
          let iy = gy &* g.stride &+ dy
          if iy >= 0 && iy < g.height {
            let dst = dst0 + iy &* g.width
            if g.stride == 1 {
              for gx in lo..<hi { dst[gx] += src[gx] }
            } else {
              for gx in lo..<hi { dst[gx &* g.stride] += src[gx] }
            }
          }
          src += g.gridW
        }
      }
    }
  }
}
