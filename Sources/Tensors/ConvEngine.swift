/// The sizes of one 2-D convolution (PyTorch conv2d: zero padding, groups) and its three GEMM-shaped passes on raw
/// buffers, shared by `conv2d` and `convTranspose2d`:
///
///     forward         y[n, o]  = Σ_{c ∈ group(o), ky, kx} w[o, c, ky, kx] · x[n, c, oy·s + ky − p, ox·s + kx − p]
///     inputGradient   gx = forwardᵀ(gy)
///     weightGradient  gw[o, c, ky, kx] = Σ_{n, oy, ox} gy[n, o, oy, ox] · x[n, c, oy·s + ky − p, ox·s + kx − p]
///
/// Shapes: x (batch, inChannels, height, width), w (outChannels, inChannels/groups, kh, kw),
/// y (batch, outChannels, outHeight, outWidth). Every pass overwrites its result. `backward` and
/// `forwardAndWeightGradient` compute two passes in one walk where they share column matrices.
///
/// Two strategies, both with all arithmetic in `cblas_sgemm`:
/// - `.columns`: per image, y[O, Ho·Wo] = W[O, C·kh·kw] × im2col(x)[C·kh·kw, Ho·Wo], built a band of output rows
///   at a time so the column buffer stays under `columnBudget` floats; a 1×1 stride-1 convolution uses x itself.
/// - `.fewOutputs` (stride 1, no groups): the GEMMs run over O·kh·kw rows instead of O (ConvFewOutputs.swift).
/// On several threads the bands are shared out among them (ConvBands.swift).
struct Conv2dShape {
  enum Strategy { case columns, fewOutputs }

  let batch: Int, inChannels: Int, height: Int, width: Int
  let outChannels: Int, kernelH: Int, kernelW: Int, stride: Int, padding: Int, groups: Int
  let outHeight: Int, outWidth: Int
  var strategy: Strategy
  /// Most floats a column buffer may hold (tests lower it to exercise banding).
  var columnBudget = 1 << 19

  init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernelH: Int, kernelW: Int,
       stride: Int, padding: Int, groups: Int) {
    (self.batch, self.inChannels, self.height, self.width) = (batch, inChannels, height, width)
    (self.outChannels, self.kernelH, self.kernelW) = (outChannels, kernelH, kernelW)
    (self.stride, self.padding, self.groups) = (stride, padding, groups)
    outHeight = (height + 2 * padding - kernelH) / stride + 1
    outWidth = (width + 2 * padding - kernelW) / stride + 1
    // NOTE: with few output channels the .columns GEMMs have M = O; for the 7×7 32→3 head of a generator BLAS
    // ran those at 6–8 GFLOP/s against ~90 for the (147, 32, pixels) GEMMs of .fewOutputs.
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

  /// y = conv(x) and/or gw = Σ_n gy_n · im2col(x_n)ᵀ, in one walk over the columns of x (the weight gradient of a
  /// transposed convolution needs the same columns as its input gradient).
  func forwardAndWeightGradient(x: UnsafePointer<Float>, w: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>?,
                                gy: UnsafePointer<Float>?, gw: UnsafeMutablePointer<Float>?) {
    guard (y != nil && w != nil) || (gw != nil && gy != nil) else { return }
    switch strategy {
    case .columns: columnsPass(x: x, w: w, y: y, gy: gy, gw: gw)
    case .fewOutputs:
      if let y, let w { fewOutputsForward(x: x, w: w, y: y) }
      if let gw, let gy { fewOutputsBackward(gy: gy, w: nil, gx: nil, x: x, gw: gw) }
    }
  }

  /// gx = convᵀ(gy) and/or gw = Σ_n gy_n · im2col(x_n)ᵀ: the backward of `forward`.
  func backward(gy: UnsafePointer<Float>, w: UnsafePointer<Float>?, gx: UnsafeMutablePointer<Float>?,
                x: UnsafePointer<Float>?, gw: UnsafeMutablePointer<Float>?) {
    guard (gx != nil && w != nil) || (gw != nil && x != nil) else { return }
    switch strategy {
    case .columns:
      if let gx, let w { columnsInputGradient(gy: gy, w: w, gx: gx) }
      if let gw, let x { columnsPass(x: x, w: nil, y: nil, gy: gy, gw: gw) }
    case .fewOutputs: fewOutputsBackward(gy: gy, w: w, gx: gx, x: x, gw: gw)
    }
  }

  func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    forwardAndWeightGradient(x: x, w: w, y: y, gy: nil, gw: nil)
  }

  func inputGradient(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>) {
    backward(gy: gy, w: w, gx: gx, x: nil, gw: nil)
  }

  func weightGradient(gy: UnsafePointer<Float>, x: UnsafePointer<Float>, gw: UnsafeMutablePointer<Float>) {
    backward(gy: gy, w: nil, gx: nil, x: x, gw: gw)
  }

  // MARK: .columns

  /// Whether the weight holds at least as many numbers as one image's column matrix (at least as many output channels
  /// per group as output pixels: a PatchGAN's last layers). Such a convolution runs as one band per image, and its
  /// weight gradient is computed in place as gw = gy·colᵀ rather than transposed from gwᵀ.
  var isWeightHeavy: Bool { outChannels / groups >= outHeight * outWidth }

  /// Per band of output rows of each image: b = im2col(x_n) (ldb its row stride; x itself when 1×1 stride-1), then
  /// y = W·b and gwᵀ += b·gyᵀ (gw += gy·bᵀ when weight-heavy) group by group.
  private func columnsPass(x: UnsafePointer<Float>, w: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>?,
                           gy: UnsafePointer<Float>?, gw: UnsafeMutablePointer<Float>?) {
    let og = outChannels / groups, kg = (inChannels / groups) * kernelH * kernelW, plane = outHeight * outWidth
    let g = inputGeometry
    let plan = bandPlan(rows: g.rows, gridH: outHeight, gridW: outWidth)
    let colSize = g.rows * plan.height * outWidth
    let scratch = isPointwise ? nil : TensorStorage(count: plan.workers * colSize)
    // NOTE: BLAS runs gwᵀ[kg, og] = col·gyᵀ at 1.1–1.5× the rate of gw[og, kg] = gy·colᵀ for a generator's convs;
    // for weight-heavy ones the rates are equal and transposing the large gradient is what costs.
    let inPlace = isWeightHeavy
    let partials = gw == nil || (inPlace && plan.workers == 1) ? nil : TensorStorage(count: plan.workers * weightCount)
    forEachBand(plan, gridH: outHeight) { worker, n, rows, first in
      let cols = rows.count * outWidth, at = n * outputImageSize + rows.lowerBound * outWidth
      let xn = x + n * inputImageSize
      let (b, ldb): (UnsafePointer<Float>, Int)
      if let scratch {
        let col = scratch.base + worker * colSize
        im2col(xn, g, band: rows, col, parallel: plan.workers == 1)
        (b, ldb) = (UnsafePointer(col), cols)
      } else {
        (b, ldb) = (xn + rows.lowerBound * outWidth, plane)
      }
      for gi in 0..<groups {
        if let y, let w {
          sgemm(m: og, n: cols, k: kg, a: w + gi * og * kg, lda: kg, b: b + gi * kg * ldb, ldb: ldb,
                beta: 0, c: y + at + gi * og * plane, ldc: plane, threaded: plan.workers == 1)
        }
        guard let gw, let gy else { continue }
        let target = (partials.map { $0.base + worker * weightCount } ?? gw) + gi * og * kg
        if inPlace {
          sgemm(transB: true, m: og, n: kg, k: cols, a: gy + at + gi * og * plane, lda: plane, b: b + gi * kg * ldb,
                ldb: ldb, beta: first ? 0 : 1, c: target, ldc: kg, threaded: plan.workers == 1)
        } else {
          sgemm(transB: true, m: kg, n: og, k: cols, a: b + gi * kg * ldb, lda: ldb, b: gy + at + gi * og * plane,
                ldb: plane, beta: first ? 0 : 1, c: target, ldc: og, threaded: plan.workers == 1)
        }
      }
    }
    if let gw, let partials {
      if inPlace {
        sumPartials(partials.base, count: weightCount, parts: plan.workers)
        gw.update(from: partials.base, count: weightCount)
      } else {
        transposeIntoWeight(partials.base, parts: plan.workers, gw)
      }
    }
    withExtendedLifetime(scratch) {}
  }

  /// gx = col2im(Wᵀ · gy) per band (for 1×1 stride-1: gx = Wᵀ · gy directly).
  private func columnsInputGradient(gy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                    gx: UnsafeMutablePointer<Float>) {
    let threads = ComputeThreads.count
    if batch == 1 && threads > 1 && groups == 1 && !isPointwise && inChannels >= 2 * threads {
      return channelSplitInputGradient(gy: gy, w: w, gx: gx, threads: threads)
    }
    let og = outChannels / groups, kg = (inChannels / groups) * kernelH * kernelW, plane = outHeight * outWidth
    let g = inputGeometry
    let plan = bandPlan(rows: g.rows, gridH: outHeight, gridW: outWidth)
    let colSize = g.rows * plan.height * outWidth
    let scratch = isPointwise ? nil : TensorStorage(count: plan.workers * colSize)
    let copies = isPointwise ? nil : privateImages(plan, imageSize: inputImageSize)
    if scratch != nil { zeroFill(gx, batch * inputImageSize) }
    forEachBand(plan, gridH: outHeight) { worker, n, rows, _ in
      let cols = rows.count * outWidth, gxn = gx + n * inputImageSize
      let (c, ldc) = scratch.map { ($0.base + worker * colSize, cols) }
        ?? (gxn + rows.lowerBound * outWidth, height * width)
      for gi in 0..<groups {
        sgemm(transA: true, m: kg, n: cols, k: og, a: w + gi * og * kg, lda: kg,
              b: gy + n * outputImageSize + gi * og * plane + rows.lowerBound * outWidth, ldb: plane,
              beta: 0, c: c + gi * kg * ldc, ldc: ldc, threaded: plan.workers == 1)
      }
      if scratch != nil {
        col2im(c, g, band: rows, target(gx, n, imageSize: inputImageSize, worker: worker, copies),
               parallel: plan.workers == 1)
      }
    }
    addPrivateImages(copies, into: gx, imageSize: inputImageSize)
    withExtendedLifetime(scratch) {}
  }
}

extension Conv2dShape {
  /// gx = col2im(Wᵀ · gy) for one image on several threads: each thread takes a share of the input channels (its
  /// rows of Wᵀ, its planes of gx) over all bands, so no two threads add into the same pixels and no thread needs
  /// a private copy of gx.
  private func channelSplitInputGradient(gy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                         gx: UnsafeMutablePointer<Float>, threads: Int) {
    let taps = kernelH * kernelW, kg = inChannels * taps, plane = outHeight * outWidth
    let share = (inChannels + threads - 1) / threads
    let band = equalBandHeight(outHeight, most: columnBudget / max(share * taps * outWidth, 1))
    let colSize = share * taps * band * outWidth
    let scratch = TensorStorage(count: threads * colSize)
    zeroFill(gx, inputImageSize)
    onWorkers(threads) { t in
      let c0 = inChannels * t / threads, c1 = inChannels * (t + 1) / threads, col = scratch.base + t * colSize
      var g = inputGeometry
      g.channels = c1 - c0
      for r0 in Swift.stride(from: 0, to: outHeight, by: band) {
        let rows = r0..<min(outHeight, r0 + band), cols = rows.count * outWidth
        sgemm(transA: true, m: g.rows, n: cols, k: outChannels, a: w + c0 * taps, lda: kg, b: gy + r0 * outWidth,
              ldb: plane, beta: 0, c: col, ldc: cols)
        col2im(col, g, band: rows, gx + c0 * height * width, parallel: false)
      }
    }
    withExtendedLifetime(scratch) {}
  }

  /// gw[gi·og + o, j] = Σ_p gwᵀ_p[gi][j, o] for each group gi over the workers' partial sums p (each weightCount
  /// floats, gwᵀ blocks [kg, og], added in order p = 0, 1, …), in 16×16 tiles so that both sides are read and written
  /// a cache line at a time, tiles of 16 weight rows shared out among threads.
  private func transposeIntoWeight(_ gwt: UnsafePointer<Float>, parts: Int, _ gw: UnsafeMutablePointer<Float>) {
    let og = outChannels / groups, kg = (inChannels / groups) * kernelH * kernelW, tile = 16
    let rowTiles = (og + tile - 1) / tile
    parallelFor(groups * rowTiles, grain: max(1, elementsPerThread / (parts * tile * kg))) { r in
      for item in r {
        let gi = item / rowTiles, o0 = (item % rowTiles) * tile, o1 = min(og, o0 + tile)
        let src = gwt + gi * kg * og, dst = gw + gi * og * kg
        for j0 in Swift.stride(from: 0, to: kg, by: tile) {
          for o in o0..<o1 {
            for j in j0..<min(kg, j0 + tile) {
              var s = src[j * og + o]
              for p in 1..<max(parts, 1) { s += src[p * weightCount + j * og + o] }
              dst[o * kg + j] = s
            }
          }
        }
      }
    }
  }
}
