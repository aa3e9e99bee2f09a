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

  func fewOutputsForward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    let g = outputGeometry, pixels = height * width
    let plan = bandPlan(rows: g.rows, gridH: height, gridW: width)
    let pSize = g.rows * plan.height * width
    let wr = rearrangedWeight(w), p = TensorStorage(count: plan.workers * pSize)
    let copies = privateImages(plan, imageSize: outputImageSize)
    zeroFill(y, batch * outputImageSize)
    forEachBand(plan, gridH: height) { worker, n, rows, _ in
      let pw = p.base + worker * pSize
      sgemm(m: g.rows, n: rows.count * width, k: inChannels, a: wr.base, lda: inChannels,
            b: x + n * inputImageSize + rows.lowerBound * width, ldb: pixels, beta: 0, c: pw, ldc: rows.count * width,
            threaded: plan.workers == 1)
      col2im(pw, g, band: rows, target(y, n, imageSize: outputImageSize, worker: worker, copies),
             parallel: plan.workers == 1)
    }
    addPrivateImages(copies, into: y, imageSize: outputImageSize)
    withExtendedLifetime((wr, p)) {}
  }

  /// gx = Wrᵀ·Q (when w and gx are given) and gw from gWr = Σ_n Q·xᵀ (when x and gw are given), sharing Q.
  func fewOutputsBackward(gy: UnsafePointer<Float>, w: UnsafePointer<Float>?, gx: UnsafeMutablePointer<Float>?,
                          x: UnsafePointer<Float>?, gw: UnsafeMutablePointer<Float>?) {
    let g = outputGeometry, pixels = height * width, taps = kernelH * kernelW
    let wr = gx == nil ? nil : w.map(rearrangedWeight)
    let needW = gw != nil && x != nil
    let plan = bandPlan(rows: g.rows, gridH: height, gridW: width)  // bands write disjoint columns of gx
    let qSize = g.rows * plan.height * width
    let q = TensorStorage(count: plan.workers * qSize)
    let gwr = needW ? TensorStorage(count: plan.workers * weightCount) : nil
    forEachBand(plan, gridH: height) { worker, n, rows, first in
      let cols = rows.count * width, at = n * inputImageSize + rows.lowerBound * width, qw = q.base + worker * qSize
      im2col(gy + n * outputImageSize, g, band: rows, qw, parallel: plan.workers == 1)
      if let gx, let wr {
        sgemm(transA: true, m: inChannels, n: cols, k: g.rows, a: wr.base, lda: inChannels,
              b: qw, ldb: cols, beta: 0, c: gx + at, ldc: pixels, threaded: plan.workers == 1)
      }
      if let x, let gwr {
        sgemm(transB: true, m: g.rows, n: inChannels, k: cols, a: qw, lda: cols,
              b: x + at, ldb: pixels, beta: first ? 0 : 1, c: gwr.base + worker * weightCount, ldc: inChannels,
              threaded: plan.workers == 1)
      }
    }
    if let gw, let gwr {
      let p = gwr.base
      sumPartials(p, count: weightCount, parts: plan.workers)
      for o in 0..<outChannels {
        for c in 0..<inChannels {
          for t in 0..<taps { gw[(o * inChannels + c) * taps + t] = p[(o * taps + t) * inChannels + c] }
        }
      }
    }
    withExtendedLifetime((wr, q)) {}
  }
}
