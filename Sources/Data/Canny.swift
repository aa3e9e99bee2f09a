import Foundation

/// ECGAN's ground-truth edge detector: `scripts/canny.m` of Ha0Tang/ECGAN@984be01, step by step (spec
/// ecgan-mclnet-egscit.md §2.3). Each step below quotes the canny.m lines it mirrors; all arithmetic is in Double,
/// as MATLAB's, with the operations in the order `scripts/canny_reference.py` (the numpy port that is this code's
/// test oracle) performs them, so the two agree bit for bit; only `atan2` comes from the C library.
///
/// Two departures from canny.m, both at the ends:
/// - canny.m finishes with `imresize(edge_final, [256, 512])`, a hard resize to Cityscapes' 512×256 (bicubic and
///   antialiased, so its files are not even 0/255). That size is Cityscapes-specific (the spec notes it must be
///   changed for other data sets), so edges here stay at the image's own size, 0/255, and the data pipeline
///   resizes them with the image, as the reference loader resizes the edge files with the image's transform.
/// - An image whose suppressed magnitude is 0 everywhere (constant, or under 3 pixels high or wide) makes canny.m
///   index outside the image in its hysteresis loop and fail; here it has no edges.
/// canny.m reads files with MATLAB's `imread`, which keeps 16-bit samples and returns a palette image's indices;
/// here the input is an 8-bit `Image` (16-bit files rounded to 8 bits, palettes expanded to their colours).
public enum Canny {
  /// `edge_final = uint8(T_res.*255)`: 255 on an edge, 0 elsewhere, one gray channel of the input's size. A gray
  /// image is used as it is, an RGB one through MATLAB's `rgb2gray` (not PIL's `convert("L")`).
  public static func edges(of image: Image) -> Image {
    let smoothed = gaussian(gray(image))
    let gradient = sobel(smoothed)
    let suppressed = nms(magnitude(gradient), directions(gradient))
    let t = thresholds(suppressed)
    return hysteresis(suppressed, low: t.low, high: t.high)
  }

  /// Doubles in row-major (H, W) order: an image, its gradient components or magnitudes.
  public struct Plane: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var values: [Double]

    public init(width: Int, height: Int, values: [Double]) {
      precondition(values.count == width * height, "Canny.Plane: \(values.count) values for \(width)x\(height)")
      (self.width, self.height, self.values) = (width, height, values)
    }

    /// The value in row `y`, column `x`.
    public subscript(x x: Int, y y: Int) -> Double { values[y * width + x] }
  }

  /// The gradient direction quantised to the nearest multiple of 45° (`arah2`), which names the two neighbours
  /// across the edge that non-maximum suppression compares with.
  public enum Direction: Int, Sendable {
    case degrees0 = 0, degrees45 = 45, degrees90 = 90, degrees135 = 135

    /// The (row, column) offsets of the two neighbours, as canny.m's suppression loop indexes them.
    var neighbours: (first: (dy: Int, dx: Int), second: (dy: Int, dx: Int)) {
      switch self {
      case .degrees0: return ((0, 1), (0, -1))
      case .degrees45: return ((1, -1), (-1, 1))
      case .degrees90: return ((1, 0), (-1, 0))
      case .degrees135: return ((1, 1), (-1, -1))
      }
    }
  }

  // MARK: The steps

  /// MATLAB's rgb2gray weights: the first row of inv([1 0.956 0.621; 1 −0.272 −0.647; 1 −1.106 1.703]).
  static let rgb2gray = (r: 0.298936021293775, g: 0.587043074451121, b: 0.114020904255103)

  /// `if size(img,3)==3, img = rgb2gray(img); end; img = double(img);` rgb2gray of uint8 is uint8: the sum
  /// R·0.298936021293775 + G·0.587043074451121 + B·0.114020904255103 in Double, left to right, rounded half away
  /// from zero (MATLAB's cast to uint8).
  static func gray(_ image: Image) -> Plane {
    let n = image.width * image.height
    let values: [Double] = image.pixels.withUnsafeBufferPointer { p in
      if image.channels == 1 { return p.map { Double($0) } }
      return (0..<n).map { i in
        let r = Double(p[3 &* i]), g = Double(p[3 &* i &+ 1]), b = Double(p[3 &* i &+ 2])
        let x = rgb2gray.r * r + rgb2gray.g * g + rgb2gray.b * b
        return min(max(x.rounded(.toNearestOrAwayFromZero), 0), 255)
      }
    }
    return Plane(width: image.width, height: image.height, values: values)
  }

  /// `B = [2 4 5 4 2; 4 9 12 9 4; 5 12 15 12 5; 4 9 12 9 4; 2 4 5 4 2]; B = 1/159.* B;` each weight is
  /// (1/159)·k rounded, not k/159. Row-major 5×5.
  static let gaussianKernel: [Double] = [2, 4, 5, 4, 2, 4, 9, 12, 9, 4, 5, 12, 15, 12, 5, 4, 9, 12, 9, 4, 2, 4, 5, 4, 2]
    .map { (1 / 159) * $0 }

  /// `A = conv2(img, B, 'same');`
  static func gaussian(_ image: Plane) -> Plane { convolveSame(image, gaussianKernel, size: 5) }

  /// `KGx = [-1 0 1; -2 0 2; -1 0 1]; KGy = [1 2 1; 0 0 0; -1 -2 -1];` row-major 3×3.
  static let sobelX: [Double] = [-1, 0, 1, -2, 0, 2, -1, 0, 1]
  static let sobelY: [Double] = [1, 2, 1, 0, 0, 0, -1, -2, -1]

  /// `Filtered_X = conv2(A, KGx, 'same'); Filtered_Y = conv2(A, KGy, 'same');` Being convolutions they flip the
  /// kernels: x = (column left − column right)·[1 2 1], y = (row below − row above)·[1 2 1]. The sign of x is the
  /// opposite of the usual Sobel's, which the 45°/135° neighbours of `Direction` account for.
  static func sobel(_ smoothed: Plane) -> (x: Plane, y: Plane) {
    (convolveSame(smoothed, sobelX, size: 3), convolveSame(smoothed, sobelY, size: 3))
  }

  /// MATLAB's `conv2(a, kernel, 'same')`: out(i, j) = Σ kernel[m, n] · a[i + c − m, j + c − n] over zero padding
  /// (c = size / 2), the terms added to 0 in the order m, then n, from 0 (MATLAB does not document its order; the
  /// numpy port uses this one). Terms outside `a` are skipped: adding w · 0 would not change the sum.
  static func convolveSame(_ a: Plane, _ kernel: [Double], size k: Int) -> Plane {
    precondition(kernel.count == k * k && k % 2 == 1, "Canny.convolveSame: a \(k)x\(k) kernel of \(kernel.count) weights")
    let w = a.width, h = a.height, c = k / 2
    var out = [Double](repeating: 0, count: w * h)
    a.values.withUnsafeBufferPointer { src in
      kernel.withUnsafeBufferPointer { weights in
        out.withUnsafeMutableBufferPointer { dst in
          for i in 0..<h {
            for j in 0..<w {
              var sum = 0.0
              for m in 0..<k {
                let y = i &+ c &- m
                guard y >= 0 && y < h else { continue }
                for n in 0..<k {
                  let x = j &+ c &- n
                  guard x >= 0 && x < w else { continue }
                  sum += weights[m &* k &+ n] * src[y &* w &+ x]
                }
              }
              dst[i &* w &+ j] = sum
            }
          }
        }
      }
    }
    return Plane(width: w, height: h, values: out)
  }

  /// `arah = atan2(Filtered_Y, Filtered_X); arah = arah*180/pi;` and the loop that adds 360 to negative angles:
  /// degrees in [0, 360].
  static func angle(x: Double, y: Double) -> Double {
    let degrees = atan2(y, x) * 180 / Double.pi
    return degrees < 0 ? 360 + degrees : degrees
  }

  /// The quantisation loop, its comparisons as written: 0 for [0, 22.5) ∪ [157.5, 202.5) ∪ [337.5, 360]; 45 for
  /// [22.5, 67.5) ∪ [202.5, 247.5); 90 for [67.5, 112.5) ∪ [247.5, 292.5); 135 for [112.5, 157.5) ∪ [292.5, 337.5).
  static func direction(x: Double, y: Double) -> Direction {
    let a = angle(x: x, y: y)
    if (a >= 0 && a < 22.5) || (a >= 157.5 && a < 202.5) || (a >= 337.5 && a <= 360) { return .degrees0 }
    if (a >= 22.5 && a < 67.5) || (a >= 202.5 && a < 247.5) { return .degrees45 }
    if (a >= 67.5 && a < 112.5) || (a >= 247.5 && a < 292.5) { return .degrees90 }
    return .degrees135
  }

  /// `direction` of every pixel of a gradient, row-major.
  static func directions(_ gradient: (x: Plane, y: Plane)) -> [Direction] {
    zip(gradient.x.values, gradient.y.values).map { direction(x: $0, y: $1) }
  }

  /// `magnitude = (Filtered_X.^2) + (Filtered_Y.^2); magnitude2 = sqrt(magnitude);`
  static func magnitude(_ gradient: (x: Plane, y: Plane)) -> Plane {
    let values = zip(gradient.x.values, gradient.y.values).map { x, y in (x * x + y * y).squareRoot() }
    return Plane(width: gradient.x.width, height: gradient.x.height, values: values)
  }

  /// The non-maximum suppression loop over `i=2:pan-1, j=2:leb-1`, then `BW = BW.*magnitude2;`: a pixel keeps its
  /// magnitude when `magnitude2(i,j) == max([magnitude2(i,j), <its two neighbours>])`, i.e. when it is ≥ both
  /// (a tie keeps both pixels); every other pixel, the outer ring included, becomes 0.
  static func nms(_ magnitude: Plane, _ directions: [Direction]) -> Plane {
    let w = magnitude.width, h = magnitude.height
    var out = [Double](repeating: 0, count: w * h)
    guard w >= 3 && h >= 3 else { return Plane(width: w, height: h, values: out) }
    magnitude.values.withUnsafeBufferPointer { m in
      for i in 1..<(h - 1) {
        for j in 1..<(w - 1) {
          let p = i &* w &+ j, (a, b) = directions[p].neighbours
          let v = m[p]
          if v >= m[(i &+ a.dy) &* w &+ j &+ a.dx] && v >= m[(i &+ b.dy) &* w &+ j &+ b.dx] { out[p] = v }
        }
      }
    }
    return Plane(width: w, height: h, values: out)
  }

  /// `T_Low = T_Low * max(max(BW)); T_High = T_High * max(max(BW));` with T_Low = 0.075, T_High = 0.175.
  static func thresholds(_ suppressed: Plane) -> (low: Double, high: Double) {
    let top = suppressed.values.max() ?? 0
    return (0.075 * top, 0.175 * top)
  }

  /// The single-pass thresholding loop: 0 where `BW < T_Low`; 1 where `BW > T_High`; else 1 where any of the 8
  /// neighbours has `BW > T_High`. The neighbours' test is on BW, not on the result, so nothing propagates: a weak
  /// pixel survives only next to a strong one. Outside the image counts as not strong (canny.m reaches it only
  /// when the maximum is 0, and fails there).
  static func hysteresis(_ suppressed: Plane, low: Double, high: Double) -> Image {
    let w = suppressed.width, h = suppressed.height
    var out = [UInt8](repeating: 0, count: w * h)
    suppressed.values.withUnsafeBufferPointer { bw in
      func strong(_ y: Int, _ x: Int) -> Bool { y >= 0 && y < h && x >= 0 && x < w && bw[y &* w &+ x] > high }
      for i in 0..<h {
        for j in 0..<w {
          let v = bw[i &* w &+ j]
          if v < low { continue }
          if v > high || strong(i + 1, j) || strong(i - 1, j) || strong(i, j + 1) || strong(i, j - 1)
            || strong(i - 1, j - 1) || strong(i - 1, j + 1) || strong(i + 1, j + 1) || strong(i + 1, j - 1) {
            out[i &* w &+ j] = 255
          }
        }
      }
    }
    return Image(width: w, height: h, channels: 1, pixels: out)
  }
}
