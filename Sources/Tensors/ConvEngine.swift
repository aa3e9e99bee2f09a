import CBLAS

/// The sizes of one 2-D convolution (PyTorch conv2d: zero padding, groups) and its three GEMM-shaped passes on raw
/// buffers, shared by `conv2d` and `convTranspose2d`:
///
///     forward         y[n, o]  = Σ_{c ∈ group(o), ky, kx} w[o, c, ky, kx] · x[n, c, oy·s + ky − p, ox·s + kx − p]
///     inputGradient   gx = forwardᵀ(gy)
///     weightGradient  gw[o, c, ky, kx] = Σ_{n, oy, ox} gy[n, o, oy, ox] · x[n, c, oy·s + ky − p, ox·s + kx − p]
///
/// Shapes: x (batch, inChannels, height, width), w (outChannels, inChannels/groups, kh, kw),
/// y (batch, outChannels, outHeight, outWidth). Every pass overwrites its result.
///
/// Two strategies, both with all arithmetic in `cblas_sgemm`:
/// - `.columns`: per image, y[O, Ho·Wo] = W[O, C·kh·kw] × im2col(x)[C·kh·kw, Ho·Wo], built a band of output rows
///   at a time so the column buffer stays under `columnBudget` floats; a 1×1 stride-1 convolution uses x itself.
/// - `.fewOutputs` (stride 1, no groups): the GEMMs run over O·kh·kw rows instead of O (ConvFewOutputs.swift).
struct Conv2dShape {
  enum Strategy { case columns, fewOutputs }

  let batch: Int, inChannels: Int, height: Int, width: Int
  let outChannels: Int, kernelH: Int, kernelW: Int, stride: Int, padding: Int, groups: Int
  let outHeight: Int, outWidth: Int
  var strategy: Strategy
  /// Most floats a column buffer may hold (tests lower it to exercise banding).
  var columnBudget = 1 << 20

  init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernelH: Int, kernelW: Int,
       stride: Int, padding: Int, groups: Int) {
    (self.batch, self.inChannels, self.height, self.width) = (batch, inChannels, height, width)
    (self.outChannels, self.kernelH, self.kernelW) = (outChannels, kernelH, kernelW)
    (self.stride, self.padding, self.groups) = (stride, padding, groups)
    outHeight = (height + 2 * padding - kernelH) / stride + 1
    outWidth = (width + 2 * padding - kernelW) / stride + 1
    // NOTE: with few output channels the .columns GEMMs have M = O (3 for an RGB head), which BLAS runs far
    // below peak; .fewOutputs makes that dimension O·kh·kw.
    let fewOutputsFits = stride == 1 && groups == 1 && padding < min(kernelH, kernelW) && kernelH * kernelW > 1
    strategy = fewOutputsFits && outChannels < 16 && outChannels < inChannels ? .fewOutputs : .columns
  }

  var inputImageSize: Int { inChannels * height * width }
  var outputImageSize: Int { outChannels * outHeight * outWidth }
  var weightCount: Int { outChannels * (inChannels / groups) * kernelH * kernelW }
  var isPointwise: Bool { kernelH == 1 && kernelW == 1 && stride == 1 && padding == 0 }

  /// The im2col view of one input image: the grid is the output.
  var inputGeometry: ConvGeometry {
    ConvGeometry(channels: inChannels, height: height, width: width, kernelH: kernelH, kernelW: kernelW,
                 stride: stride, padH: padding, padW: padding, gridH: outHeight, gridW: outWidth)
  }

  /// How many grid rows of `gridW` columns fit a column buffer of `rows` rows (at least one).
  func bandHeight(rows: Int, gridW: Int) -> Int { max(1, columnBudget / max(rows * gridW, 1)) }

  func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    switch strategy {
    case .columns: columnsForward(x: x, w: w, y: y)
    case .fewOutputs: fewOutputsForward(x: x, w: w, y: y)
    }
  }

  func inputGradient(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>) {
    switch strategy {
    case .columns: columnsInputGradient(gy: gy, w: w, gx: gx)
    case .fewOutputs: fewOutputsInputGradient(gy: gy, w: w, gx: gx)
    }
  }

  func weightGradient(gy: UnsafePointer<Float>, x: UnsafePointer<Float>, gw: UnsafeMutablePointer<Float>) {
    switch strategy {
    case .columns: columnsWeightGradient(gy: gy, x: x, gw: gw)
    case .fewOutputs: fewOutputsWeightGradient(gy: gy, x: x, gw: gw)
    }
  }

  // MARK: .columns

  /// Calls `body(band, b, ldb)` for each band of output rows of image `xn`, with b the column matrix of that band
  /// (ldb its row stride): im2col into `scratch`, or x itself for a 1×1 stride-1 convolution.
  private func forEachColumnBand(_ xn: UnsafePointer<Float>, _ scratch: UnsafeMutablePointer<Float>?,
                                 _ body: (Range<Int>, UnsafePointer<Float>, Int) -> Void) {
    let g = inputGeometry
    let band = bandHeight(rows: g.rows, gridW: outWidth)
    for r0 in Swift.stride(from: 0, to: outHeight, by: band) {
      let rows = r0..<min(outHeight, r0 + band)
      if let scratch {
        im2col(xn, g, band: rows, scratch)
        body(rows, scratch, rows.count * outWidth)
      } else {
        body(rows, xn + r0 * outWidth, height * width)
      }
    }
  }

  private func columnScratch(rows: Int) -> TensorStorage? {
    isPointwise ? nil : TensorStorage(count: rows * min(outHeight, bandHeight(rows: rows, gridW: outWidth)) * outWidth)
  }

  private func columnsForward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    let og = outChannels / groups, kg = (inChannels / groups) * kernelH * kernelW, plane = outHeight * outWidth
    let scratch = columnScratch(rows: inputGeometry.rows)
    for n in 0..<batch {
      let yn = y + n * outputImageSize
      forEachColumnBand(x + n * inputImageSize, scratch?.base) { rows, b, ldb in
        for gi in 0..<groups {
          sgemm(m: og, n: rows.count * outWidth, k: kg, a: w + gi * og * kg, lda: kg, b: b + gi * kg * ldb, ldb: ldb,
                beta: 0, c: yn + gi * og * plane + rows.lowerBound * outWidth, ldc: plane)
        }
      }
    }
    withExtendedLifetime(scratch) {}
  }

  /// gx = col2im(Wᵀ · gy) per band (for 1×1 stride-1: gx = Wᵀ · gy directly).
  private func columnsInputGradient(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>) {
    let og = outChannels / groups, kg = (inChannels / groups) * kernelH * kernelW, plane = outHeight * outWidth
    let g = inputGeometry
    let band = bandHeight(rows: g.rows, gridW: outWidth)
    let scratch = columnScratch(rows: g.rows)
    if scratch != nil { gx.update(repeating: 0, count: batch * inputImageSize) }
    for n in 0..<batch {
      let gyn = gy + n * outputImageSize, gxn = gx + n * inputImageSize
      for r0 in Swift.stride(from: 0, to: outHeight, by: band) {
        let rows = r0..<min(outHeight, r0 + band), cols = rows.count * outWidth
        let (c, ldc) = scratch.map { ($0.base, cols) } ?? (gxn + r0 * outWidth, height * width)
        for gi in 0..<groups {
          sgemm(transA: true, m: kg, n: cols, k: og, a: w + gi * og * kg, lda: kg,
                b: gyn + gi * og * plane + r0 * outWidth, ldb: plane, beta: 0, c: c + gi * kg * ldc, ldc: ldc)
        }
        if scratch != nil { col2im(c, g, band: rows, gxn) }
      }
    }
    withExtendedLifetime(scratch) {}
  }

  /// gw = Σ_n gy_n · im2col(x_n)ᵀ, accumulated band by band (beta 1 after the first).
  private func columnsWeightGradient(gy: UnsafePointer<Float>, x: UnsafePointer<Float>, gw: UnsafeMutablePointer<Float>) {
    let og = outChannels / groups, kg = (inChannels / groups) * kernelH * kernelW, plane = outHeight * outWidth
    let scratch = columnScratch(rows: inputGeometry.rows)
    var beta: Float = 0
    for n in 0..<batch {
      let gyn = gy + n * outputImageSize
      forEachColumnBand(x + n * inputImageSize, scratch?.base) { rows, b, ldb in
        for gi in 0..<groups {
          sgemm(transB: true, m: og, n: kg, k: rows.count * outWidth, a: gyn + gi * og * plane + rows.lowerBound * outWidth,
                lda: plane, b: b + gi * kg * ldb, ldb: ldb, beta: beta, c: gw + gi * og * kg, ldc: kg)
        }
        beta = 1
      }
    }
    withExtendedLifetime(scratch) {}
  }
}

/// Row-major C[m, n] = A·B + beta·C with A [m, k] (or its transpose stored [k, m]) and B [k, n] (or [n, k]).
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
