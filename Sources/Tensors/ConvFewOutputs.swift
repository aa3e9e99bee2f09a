/// The `.fewOutputs` strategy of `Conv2dShape`: a stride-1 convolution computed from its output side, for layers
/// with few output channels (the 7×7 32→3 head of an image generator), where the `.columns` GEMMs would have M = O.
///
/// With Wr[(o, ky, kx), c] = w[o, c, ky, kx] (O·kh·kw rows) and each image flattened to [channels, pixels]:
///
///     forward         P = Wr · x                  (O·kh·kw, H·W)   then y[o, oy, ox] = Σ_{ky,kx} P[(o,ky,kx), oy+ky−p, ox+kx−p]
///     inputGradient   gx = Wrᵀ · Q                 (C, H·W)         with Q[(o,ky,kx), iy, ix] = gy[o, iy−ky+p, ix−kx+p]
///     weightGradient  gWr = Σ_n Q · xᵀ             (O·kh·kw, C)
///
/// The shift-sum of P is `col2im`, and Q is `im2col` of gy, both under `outputGeometry`: the image is the output
/// [O, Ho, Wo], the grid is the input H×W, the padding is k−1−p and the kernel taps are flipped. Every GEMM has
/// dimensions (O·kh·kw, C, H·W) in some order; the data movement is O·kh·kw·H·W floats per image.
extension Conv2dShape {
  var outputGeometry: ConvGeometry {
    ConvGeometry(channels: outChannels, height: outHeight, width: outWidth, kernelH: kernelH, kernelW: kernelW,
                 stride: 1, padH: kernelH - 1 - padding, padW: kernelW - 1 - padding, gridH: height, gridW: width,
                 flipped: true)
  }

  /// Wr[(o·kh + ky)·kw + kx, c] = w[o, c, ky, kx].
  private func rearrangedWeight(_ w: UnsafePointer<Float>) -> TensorStorage {
    let taps = kernelH * kernelW
    let wr = TensorStorage(count: weightCount)
    let p = wr.base
    for o in 0..<outChannels {
      for c in 0..<inChannels {
        for t in 0..<taps { p[(o * taps + t) * inChannels + c] = w[(o * inChannels + c) * taps + t] }
      }
    }
    return wr
  }

  /// Calls `body(band, col)` for each band of input rows, with `col` a scratch buffer of O·kh·kw rows.
  private func forEachInputBand(_ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
    let g = outputGeometry
    let band = bandHeight(rows: g.rows, gridH: height, gridW: width)
    let scratch = TensorStorage(count: g.rows * band * width)
    for r0 in Swift.stride(from: 0, to: height, by: band) { body(r0..<min(height, r0 + band), scratch.base) }
    withExtendedLifetime(scratch) {}
  }

  func fewOutputsForward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    let g = outputGeometry, pixels = height * width
    let wr = rearrangedWeight(w)
    y.update(repeating: 0, count: batch * outputImageSize)
    for n in 0..<batch {
      let xn = x + n * inputImageSize, yn = y + n * outputImageSize
      forEachInputBand { rows, p in
        sgemm(m: g.rows, n: rows.count * width, k: inChannels, a: wr.base, lda: inChannels,
              b: xn + rows.lowerBound * width, ldb: pixels, beta: 0, c: p, ldc: rows.count * width)
        col2im(p, g, band: rows, yn)
      }
    }
    withExtendedLifetime(wr) {}
  }

  /// gx = Wrᵀ·Q (when w and gx are given) and gw from gWr = Σ_n Q·xᵀ (when x and gw are given), sharing Q.
  func fewOutputsBackward(gy: UnsafePointer<Float>, w: UnsafePointer<Float>?, gx: UnsafeMutablePointer<Float>?,
                          x: UnsafePointer<Float>?, gw: UnsafeMutablePointer<Float>?) {
    let g = outputGeometry, pixels = height * width, taps = kernelH * kernelW
    let wr = gx == nil ? nil : w.map(rearrangedWeight)
    let gwr = gw == nil || x == nil ? nil : TensorStorage(count: weightCount)
    var beta: Float = 0
    for n in 0..<batch {
      let gyn = gy + n * outputImageSize, at = n * inputImageSize
      forEachInputBand { rows, q in
        let cols = rows.count * width, first = rows.lowerBound * width
        im2col(gyn, g, band: rows, q)
        if let gx, let wr {
          sgemm(transA: true, m: inChannels, n: cols, k: g.rows, a: wr.base, lda: inChannels,
                b: q, ldb: cols, beta: 0, c: gx + at + first, ldc: pixels)
        }
        if let x, let gwr {
          sgemm(transB: true, m: g.rows, n: inChannels, k: cols, a: q, lda: cols,
                b: x + at + first, ldb: pixels, beta: beta, c: gwr.base, ldc: inChannels)
        }
        beta = 1
      }
    }
    if let gw, let gwr {
      let p = gwr.base
      for o in 0..<outChannels {
        for c in 0..<inChannels {
          for t in 0..<taps { gw[(o * inChannels + c) * taps + t] = p[(o * taps + t) * inChannels + c] }
        }
      }
    }
    withExtendedLifetime(wr) {}
  }
}
