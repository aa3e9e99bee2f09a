/// Tissue classes of the MNI152 template, from its T1 and its grey- and white-matter probability maps (0–255).
///
/// The template has no CSF map, so the fourth class is what is left of the brain: with the brain mask B = (T1 > 0),
///
///     p(background) = 255 · [not B]
///     p(other)      = [B] · max(0, 255 − GM − WM)      (CSF and whatever else lies inside the mask)
///     p(grey)       = [B] · GM
///     p(white)      = [B] · WM
///
/// and a voxel's class is the argmax, ties going to the lower class. So every voxel outside the mask is background
/// (nilearn's GM map is non-zero on 166 607 voxels there; they are dropped), and inside it the class is the largest of
/// (255 − GM − WM, GM, WM). On the 197×233×189 MNI152 2009a volumes this gives 6 788 750 / 160 496 / 1 090 506 /
/// 635 537 voxels, the spec's 6.79M / 0.16M / 1.09M / 0.64M. The four maps sum to 255 wherever GM + WM ≤ 255 (all
/// of the template), so they are also the planes that slices are resampled in (`BrainSlices`).
public struct BrainTissue: Sendable {
  public enum Class: Int, CaseIterable, Sendable {
    case background = 0, other = 1, grey = 2, white = 3
  }

  /// x, y, z sizes.
  public let shape: [Int]
  /// The T1 intensities scaled so that the volume's maximum is 255 (nilearn's uint8 T1 peaks at 255: unchanged).
  public let t1: [UInt8]
  /// The four class probabilities, 0–255, one plane per class in `Class` order, x fastest. GM and WM maps whose
  /// maximum is at most 1 (MNI's own float files) are taken as 0–1 and multiplied by 255.
  public let probabilities: [[UInt8]]

  /// From the three volumes, which must share their grid (shape and voxel size); errors name the file at fault.
  public init(t1: NIfTIVolume, grey: NIfTIVolume, white: NIfTIVolume, names: (t1: String, grey: String, white: String)) throws {
    for (volume, name) in [(grey, names.grey), (white, names.white)]
    where volume.shape != t1.shape || volume.header.spacing != t1.header.spacing {
      throw DataError.sizeMismatch(path: name, expected: "the grid of \(names.t1) (\(Self.describe(t1)))",
                                   got: Self.describe(volume))
    }
    guard t1.shape.count == 3 else {
      throw DataError.badImage(path: names.t1, reason: "a 3-D volume is needed, the header has dimensions \(t1.shape)")
    }
    let top = t1.voxels.max() ?? 0, scale = top > 0 ? 255 / top : 1
    let greyScale: Float = (grey.voxels.max() ?? 0) <= 1 ? 255 : 1, whiteScale: Float = (white.voxels.max() ?? 0) <= 1 ? 255 : 1
    let n = t1.voxels.count
    var intensity = [UInt8](repeating: 0, count: n)
    var planes = [[UInt8]](repeating: [UInt8](repeating: 0, count: n), count: 4)
    for i in 0..<n {
      let value = t1.voxels[i]
      guard value > 0 else { planes[0][i] = 255; continue }
      intensity[i] = Self.byte(value * scale)
      let g = Self.byte(grey.voxels[i] * greyScale), w = Self.byte(white.voxels[i] * whiteScale)
      planes[1][i] = UInt8(max(0, 255 - Int(g) - Int(w)))
      planes[2][i] = g
      planes[3][i] = w
    }
    shape = t1.shape
    self.t1 = intensity
    probabilities = planes
  }

  /// The class of each voxel: the argmax of `probabilities`, ties to the lower class.
  public var labels: [UInt8] {
    (0..<t1.count).map { i in Self.argmax(probabilities[0][i], probabilities[1][i], probabilities[2][i], probabilities[3][i]) }
  }

  /// Voxels per class, in `Class` order.
  public var classCounts: [Int] {
    var counts = [0, 0, 0, 0]
    for label in labels { counts[Int(label)] += 1 }
    return counts
  }

  /// The index of the largest of four values, the first on ties.
  @inline(__always) static func argmax(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> UInt8 {
    var best: UInt8 = 0, top = a
    if b > top { (best, top) = (1, b) }
    if c > top { (best, top) = (2, c) }
    if d > top { best = 3 }
    return best
  }

  /// A probability or intensity rounded to a byte (clipped to 0...255).
  @inline(__always) static func byte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }

  static func describe(_ volume: NIfTIVolume) -> String {
    "\(volume.shape.map(String.init).joined(separator: "x")) voxels of \(volume.header.spacing.map { "\($0)" }.joined(separator: "x")) mm"
  }
}
