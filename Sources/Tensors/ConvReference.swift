/// Direct-loop convolution: the definition of `Conv2dShape`'s three passes, written as plainly as possible.
/// Slow; kept as the test oracle of the GEMM strategies.
extension Conv2dShape {
  /// Calls `body(o, c, ky, kx, yIndex, xIndex)` for every multiply-add of the convolution whose input pixel lies
  /// inside the image (yIndex into y, xIndex into x, c the weight's input channel within its group).
  private func forEachTap(_ body: (_ o: Int, _ c: Int, _ ky: Int, _ kx: Int, _ yi: Int, _ xi: Int) -> Void) {
    let cg = inChannels / groups, og = outChannels / groups
    for n in 0..<batch {
      for o in 0..<outChannels {
        for c in 0..<cg {
          let xc = (n * inChannels + (o / og) * cg + c) * height * width
          for ky in 0..<kernelH {
            for kx in 0..<kernelW {
              for oy in 0..<outHeight {
                let iy = oy * stride + ky - padding
                guard iy >= 0 && iy < height else { continue }
                for ox in 0..<outWidth {
                  let ix = ox * stride + kx - padding
                  guard ix >= 0 && ix < width else { continue }
                  body(o, c, ky, kx, ((n * outChannels + o) * outHeight + oy) * outWidth + ox, xc + iy * width + ix)
                }
              }
            }
          }
        }
      }
    }
  }

  private func weightIndex(_ o: Int, _ c: Int, _ ky: Int, _ kx: Int) -> Int {
    ((o * (inChannels / groups) + c) * kernelH + ky) * kernelW + kx
  }

  func referenceForward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    y.update(repeating: 0, count: batch * outputImageSize)
    forEachTap { o, c, ky, kx, yi, xi in y[yi] += w[weightIndex(o, c, ky, kx)] * x[xi] }
  }

  func referenceInputGradient(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>) {
    gx.update(repeating: 0, count: batch * inputImageSize)
    forEachTap { o, c, ky, kx, yi, xi in gx[xi] += w[weightIndex(o, c, ky, kx)] * gy[yi] }
  }

  func referenceWeightGradient(gy: UnsafePointer<Float>, x: UnsafePointer<Float>, gw: UnsafeMutablePointer<Float>) {
    gw.update(repeating: 0, count: weightCount)
    forEachTap { o, c, ky, kx, yi, xi in gw[weightIndex(o, c, ky, kx)] += gy[yi] * x[xi] }
  }
}
