/// Resampling filters for `Image.resized`: bicubic for photographs, nearest for label maps (ids must not blend).
public enum Resample: Sendable {
  case bicubic
  case nearest
}

extension Image {
  /// PIL's `Image.resize((width, height), BICUBIC | NEAREST)`, reproduced to the byte.
  ///
  /// Bicubic (a = −0.5) is separable and antialiased: when shrinking by s > 1 the kernel is stretched to a
  /// support of 2s input pixels. The horizontal pass runs first (only on the rows the vertical pass reads) and
  /// rounds to 8 bits, then the vertical pass; each uses PIL's 22-bit fixed-point weights, rounding half up and
  /// clipping to 0...255. Nearest takes source pixel ⌊(i + ½)·in/out⌋, accumulated as PIL does.
  ///
  /// NOTE: this is Pillow up to 12.x, which the reference implementations ran on. Pillow 13 runs the vertical
  /// pass first when the height shrinks much more than the width, which moves some pixels by one level.
  public func resized(width newWidth: Int, height newHeight: Int, filter: Resample = .bicubic) -> Image {
    precondition(newWidth > 0 && newHeight > 0, "resize to \(newWidth)x\(newHeight)")
    if newWidth == width && newHeight == height { return self }
    switch filter {
    case .nearest: return resizedNearest(width: newWidth, height: newHeight)
    case .bicubic:
      let columns = ResampleAxis(inSize: width, outSize: newWidth)
      var rows = ResampleAxis(inSize: height, outSize: newHeight)
      var image = self
      if newWidth != width {
        let first = rows.starts[0], last = rows.starts[newHeight - 1] + rows.counts[newHeight - 1]
        image = resampleRows(first..<last, columns)
        rows.starts = rows.starts.map { $0 - first }
      }
      if newHeight != height { image = image.resampleColumns(rows) }
      return image
    }
  }

  /// Horizontal pass over `rowRange`: (rows, width, C) → (rows, axis.outSize, C).
  private func resampleRows(_ rowRange: Range<Int>, _ axis: ResampleAxis) -> Image {
    let c = channels, outW = axis.outSize, taps = axis.taps, inW = width
    var out = [UInt8](repeating: 0, count: rowRange.count * outW * c)
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        axis.weights.withUnsafeBufferPointer { k in
          for (r, y) in rowRange.enumerated() {
            let inRow = y &* inW &* c, outRow = r &* outW &* c
            for x in 0..<outW {
              let start = axis.starts[x], count = axis.counts[x], kBase = x &* taps
              for ch in 0..<c {
                var ss = ResampleAxis.half
                for t in 0..<count { ss &+= Int(src[inRow &+ (start &+ t) &* c &+ ch]) &* Int(k[kBase &+ t]) }
                dst[outRow &+ x &* c &+ ch] = ResampleAxis.clip(ss)
              }
            }
          }
        }
      }
    }
    return Image(width: outW, height: rowRange.count, channels: c, pixels: out)
  }

  /// Vertical pass: (height, W, C) → (axis.outSize, W, C); `axis.starts` index this image's rows.
  private func resampleColumns(_ axis: ResampleAxis) -> Image {
    let rowBytes = width * channels, outH = axis.outSize, taps = axis.taps
    var out = [UInt8](repeating: 0, count: outH * rowBytes)
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        axis.weights.withUnsafeBufferPointer { k in
          for y in 0..<outH {
            let start = axis.starts[y], count = axis.counts[y], kBase = y &* taps
            for i in 0..<rowBytes {
              var ss = ResampleAxis.half
              for t in 0..<count { ss &+= Int(src[(start &+ t) &* rowBytes &+ i]) &* Int(k[kBase &+ t]) }
              dst[y &* rowBytes &+ i] = ResampleAxis.clip(ss)
            }
          }
        }
      }
    }
    return Image(width: width, height: outH, channels: channels, pixels: out)
  }

  private func resizedNearest(width newWidth: Int, height newHeight: Int) -> Image {
    let c = channels
    var columns = [Int](repeating: 0, count: newWidth)
    let xScale = Double(width) / Double(newWidth), yScale = Double(height) / Double(newHeight)
    var xo = xScale * 0.5
    for x in 0..<newWidth { columns[x] = min(Int(xo), width - 1); xo += xScale }
    var out = [UInt8](repeating: 0, count: newWidth * newHeight * c)
    var yo = yScale * 0.5
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<newHeight {
          let inRow = min(Int(yo), height - 1) &* width
          for x in 0..<newWidth {
            for ch in 0..<c { dst[(y &* newWidth &+ x) &* c &+ ch] = src[(inRow &+ columns[x]) &* c &+ ch] }
          }
          yo += yScale
        }
      }
    }
    return Image(width: newWidth, height: newHeight, channels: c, pixels: out)
  }
}

/// The filter taps of one axis (PIL's `precompute_coeffs` and `normalize_coeffs_8bpc` for BICUBIC).
struct ResampleAxis {
  static let precisionBits = 22
  static let half = 1 << (precisionBits - 1)
  let outSize: Int
  /// Maximum taps per output pixel (row length of `weights`).
  let taps: Int
  /// First input index and number of inputs of each output pixel.
  var starts: [Int]
  let counts: [Int]
  /// outSize × taps weights in fixed point (22 fractional bits).
  let weights: [Int32]

  init(inSize: Int, outSize: Int) {
    let scale = Double(inSize) / Double(outSize)
    let filterScale = max(scale, 1)
    let support = 2.0 * filterScale
    let taps = Int(support.rounded(.up)) * 2 + 1
    var starts = [Int](repeating: 0, count: outSize), counts = [Int](repeating: 0, count: outSize)
    var weights = [Int32](repeating: 0, count: outSize * taps)
    var k = [Double](repeating: 0, count: taps)
    for xx in 0..<outSize {
      let center = (Double(xx) + 0.5) * scale
      let ss = 1.0 / filterScale
      let xmin = max(Int(center - support + 0.5), 0)
      let count = min(Int(center + support + 0.5), inSize) - xmin
      var ww = 0.0
      for x in 0..<count {
        k[x] = ResampleAxis.bicubic((Double(x + xmin) - center + 0.5) * ss)
        ww += k[x]
      }
      for x in 0..<count {
        let w = ww != 0 ? k[x] / ww : k[x]
        let scaled = w * Double(1 << ResampleAxis.precisionBits)
        weights[xx * taps + x] = Int32(w < 0 ? -0.5 + scaled : 0.5 + scaled)
      }
      starts[xx] = xmin
      counts[xx] = count
    }
    self.outSize = outSize
    self.taps = taps
    self.starts = starts
    self.counts = counts
    self.weights = weights
  }

  /// Keys' cubic convolution kernel with a = −0.5, support 2.
  static func bicubic(_ t: Double) -> Double {
    let a = -0.5, x = abs(t)
    if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
    if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
    return 0
  }

  /// Fixed-point sum → byte: ⌊ss / 2²²⌋ clipped to 0...255.
  @inline(__always) static func clip(_ ss: Int) -> UInt8 { UInt8(clamping: ss >> precisionBits) }
}
