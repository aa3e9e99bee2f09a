import Data
import Foundation

/// Full-reference scores of a translation against its ground truth, for tasks that have one (the brain slices of a
/// label map, EGSC-IT's recoloured digits), on 8-bit images:
///
///     L1   = mean |x − y| / 255                                        (0: identical)
///     PSNR = 10·log10(255² / mean (x − y)²) dB                          (∞ for identical images)
///     SSIM = mean over the valid positions of
///            (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)),  C1 = (0.01·255)², C2 = (0.03·255)²
///
/// SSIM as Wang et al. 2004 define it and their `ssim_index.m` computes it: local statistics under an 11×11
/// Gaussian window (σ 1.5, normalised to sum 1), population (not sample) variances, only the positions where the
/// window fits ('valid'), averaged; the same as scikit-image's `structural_similarity(x, y, data_range=255,
/// gaussian_weights=True, sigma=1.5, use_sample_covariance=False)`. Images with several channels are scored per
/// channel and the channels averaged (scikit-image's `channel_axis`); L1 and PSNR over all samples.
public enum PairedMetrics {
  public struct Scores: Equatable, Sendable {
    public var l1: Double, psnr: Double, ssim: Double
  }

  /// The scores of `x` against the reference `y`, of the same size and channels.
  public static func scores(_ x: Image, _ y: Image) -> Scores {
    precondition(x.width == y.width && x.height == y.height && x.channels == y.channels,
                 "PairedMetrics: \(x.width)x\(x.height)x\(x.channels) against \(y.width)x\(y.height)x\(y.channels)")
    var absolute = 0.0, squared = 0.0
    for (a, b) in zip(x.pixels, y.pixels) {
      let d = Double(a) - Double(b)
      absolute += abs(d)
      squared += d * d
    }
    let n = Double(x.pixels.count)
    let mse = squared / n
    let channels = (0..<x.channels).map { c in ssim(plane(x, c), plane(y, c), width: x.width, height: x.height) }
    return Scores(l1: absolute / n / 255, psnr: mse == 0 ? .infinity : 10 * log10(255 * 255 / mse),
                  ssim: channels.reduce(0, +) / Double(channels.count))
  }

  /// Channel `c` of an interleaved image as doubles.
  static func plane(_ image: Image, _ c: Int) -> [Double] {
    stride(from: c, to: image.pixels.count, by: image.channels).map { Double(image.pixels[$0]) }
  }

  /// The 11-tap Gaussian of σ 1.5, normalised (ssim_index.m's `fspecial('gaussian', 11, 1.5)` is its outer product).
  static let window: [Double] = {
    let taps = (-5...5).map { exp(-Double($0 * $0) / (2 * 1.5 * 1.5)) }
    let total = taps.reduce(0, +)
    return taps.map { $0 / total }
  }()

  /// Mean SSIM of two planes over the positions where the 11×11 window fits; NaN for an image smaller than the
  /// window, which has no such position.
  static func ssim(_ x: [Double], _ y: [Double], width: Int, height: Int) -> Double {
    let (k1, k2): (Double, Double) = (0.01 * 255, 0.03 * 255)
    let (c1, c2) = (k1 * k1, k2 * k2)
    let mx = filter(x, width, height), my = filter(y, width, height)
    let xx = filter(x.map { $0 * $0 }, width, height), yy = filter(y.map { $0 * $0 }, width, height)
    let xy = filter(zip(x, y).map { $0 * $1 }, width, height)
    var total = 0.0
    for i in mx.indices {
      let (ux, uy) = (mx[i], my[i])
      let (vx, vy, cxy) = (xx[i] - ux * ux, yy[i] - uy * uy, xy[i] - ux * uy)
      total += (2 * ux * uy + c1) * (2 * cxy + c2) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    }
    return mx.isEmpty ? .nan : total / Double(mx.count)
  }

  /// The separable Gaussian filter, 'valid': (height − 10) × (width − 10) values, row-major.
  static func filter(_ p: [Double], _ width: Int, _ height: Int) -> [Double] {
    let k = window.count
    guard width >= k && height >= k else { return [] }
    let (w, h) = (width - k + 1, height - k + 1)
    var rows = [Double](repeating: 0, count: w * height)
    for y in 0..<height {
      for x in 0..<w {
        var s = 0.0
        for t in 0..<k { s += window[t] * p[y * width + x + t] }
        rows[y * w + x] = s
      }
    }
    var out = [Double](repeating: 0, count: w * h)
    for y in 0..<h {
      for x in 0..<w {
        var s = 0.0
        for t in 0..<k { s += window[t] * rows[(y + t) * w + x] }
        out[y * w + x] = s
      }
    }
    return out
  }

  /// The mean scores of every image of `folder` against the file of the same name in `reference`, both read with
  /// the reference's channels (an RGB translation of a gray reference becomes gray by ITU-R 601 luma, as PIL's
  /// "L"); `i2i translate --all-outputs`' extra files (`_edge`, `_image1`) are skipped. Errors name the missing or
  /// mismatched file.
  public static func folders(_ folder: String, reference: String) throws -> (scores: Scores, images: Int) {
    let files = try ImageFolder.list(folder).filter {
      let stem = URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent
      return !stem.hasSuffix("_edge") && !stem.hasSuffix("_image1")
    }
    var sum = Scores(l1: 0, psnr: 0, ssim: 0)
    for path in files {
      let name = URL(fileURLWithPath: path).lastPathComponent
      let truthPath = URL(fileURLWithPath: reference).appendingPathComponent(name).path
      guard FileManager.default.fileExists(atPath: truthPath) else {
        throw DataError.invalidOption("\(path): no image of the same name in \(reference)")
      }
      let raster = try ImageFile.read(truthPath)
      let truth = Image(raster, channels: raster.colorChannels == 1 ? 1 : 3)
      let image = try ImageFile.load(path, channels: truth.channels)
      guard image.width == truth.width && image.height == truth.height else {
        throw DataError.sizeMismatch(path: path, expected: "the \(truth.sizeDescription) of \(truthPath)", got: image.sizeDescription)
      }
      let s = scores(image, truth)
      (sum.l1, sum.psnr, sum.ssim) = (sum.l1 + s.l1, sum.psnr + s.psnr, sum.ssim + s.ssim)
    }
    let n = Double(files.count)
    return (Scores(l1: sum.l1 / n, psnr: sum.psnr / n, ssim: sum.ssim / n), files.count)
  }
}
