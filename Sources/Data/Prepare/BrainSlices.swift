/// 2-D slices of a `BrainTissue` volume: which slices are kept, which are held out, and each one as a label map and
/// a T1 image of `size`².
///
/// - Axes: axial (fixed z), coronal (fixed y) and sagittal (fixed x) of a RAS+ volume, in neurological convention:
///   superior (in axial slices, anterior) at the top; x (towards the subject's right) or, in sagittal slices, y
///   (anterior) increasing to the right.
/// - Kept: slices with more than `minBrain` (5 %) of their voxels inside the brain mask. In a volume that is its
///   own mirror image in x (the symmetric template is, voxel for voxel), sagittal slices x and nx − 1 − x are the
///   same picture flipped, so only the midline and the half x ≥ nx / 2 are kept.
/// - Held out by position, in blocks: along each axis, counting p from the first kept slice, the slices with
///   ⌊p / block⌋ mod testEvery = testPhase are the test split (10 mm of every 50 by default), and the `gap` slices on
///   either side of each test block are dropped, so no training slice lies within `gap` mm of a test slice along
///   its own axis. (A test slice still crosses every slice of the other two axes in one line of voxels.)
/// - Then every `step`-th position (p mod step = 0) of both splits is written, to subsample the 1 mm grid.
/// - Resampling: each slice is centred on a square canvas of the volume's largest side (233 voxels: every image of
///   every axis has the same scale), then shrunk to `size`² with PIL's antialiased bicubic (`Image.resized`): the T1
///   directly, and the label as the argmax (ties to the lower class) of the four class probabilities, each resized
///   the same way. So a pixel's class is the tissue that dominates what its T1 value averages over, rather than one
///   voxel picked by nearest neighbour; at `size` = canvas side it is exactly the voxel rule of `BrainTissue`.
public enum BrainSlices {
  public enum Axis: String, CaseIterable, Sendable {
    case axial, coronal, sagittal

    /// The volume axis (0 = x, 1 = y, 2 = z) that a slice fixes.
    var fixed: Int {
      switch self {
      case .axial: return 2
      case .coronal: return 1
      case .sagittal: return 0
      }
    }
  }

  public enum Split: String, Sendable { case train, test }

  public struct Options: Sendable {
    public var size = 64
    public var minBrain = 0.05
    public var block = 10
    public var testEvery = 5
    public var testPhase = 2
    public var gap = 3
    public var step = 1
    public init() {}
  }

  /// One slice to write.
  public struct Slice: Equatable, Sendable {
    public let axis: Axis
    public let index: Int
    public let split: Split
    /// `axial_087`: the axis and the voxel index along it.
    public var name: String { axis.rawValue + "_" + PrepareOutput.digits(index, 3) }
  }

  /// The slices of `tissue` to write, axis by axis in `Axis` order, by index.
  public static func plan(_ tissue: BrainTissue, options: Options = Options()) -> [Slice] {
    let symmetric = isMirrorSymmetricInX(tissue)
    var slices: [Slice] = []
    for axis in Axis.allCases {
      let n = tissue.shape[axis.fixed]
      let first = axis == .sagittal && symmetric ? n / 2 : 0
      let kept = (first..<n).filter { brainFraction(tissue, axis, $0) > options.minBrain }
      slices += split(kept, options: options).map { Slice(axis: axis, index: $0.index, split: $0.split) }
    }
    return slices
  }

  /// The held-out blocks, the dropped gaps around them and the `step` subsampling, applied to the kept positions
  /// of one axis (ascending).
  static func split(_ kept: [Int], options: Options) -> [(index: Int, split: Split)] {
    guard let first = kept.first else { return [] }
    let test = Set(kept.filter { ($0 - first) / options.block % options.testEvery == options.testPhase })
    return kept.compactMap { index in
      guard (index - first) % options.step == 0 else { return nil }
      if test.contains(index) { return (index, .test) }
      let nearTest = ((index - options.gap)...(index + options.gap)).contains { test.contains($0) }
      return nearTest ? nil : (index, .train)
    }
  }

  /// The fraction of slice `index` along `axis` that lies inside the brain mask.
  static func brainFraction(_ tissue: BrainTissue, _ axis: Axis, _ index: Int) -> Double {
    let plane = slice(tissue.probabilities[BrainTissue.Class.background.rawValue], shape: tissue.shape, axis, index)
    return Double(plane.pixels.lazy.filter { $0 == 0 }.count) / Double(plane.pixels.count)
  }

  /// True when every plane of `tissue` equals its mirror image in x.
  static func isMirrorSymmetricInX(_ tissue: BrainTissue) -> Bool {
    let nx = tissue.shape[0], rows = tissue.t1.count / nx
    for volume in [tissue.t1] + tissue.probabilities {
      for row in 0..<rows {
        let base = row * nx
        for x in 0..<(nx / 2) where volume[base + x] != volume[base + nx - 1 - x] { return false }
      }
    }
    return true
  }

  /// Slice `index` along `axis` of a volume (x fastest) as a gray image, oriented as the type comment says.
  static func slice(_ volume: [UInt8], shape: [Int], _ axis: Axis, _ index: Int) -> Image {
    let (nx, ny, nz) = (shape[0], shape[1], shape[2])
    // (width, height, voxel of column c in row r).
    let (width, height): (Int, Int)
    let voxel: (Int, Int) -> Int
    switch axis {
    case .axial: (width, height, voxel) = (nx, ny, { c, r in c + nx * ((ny - 1 - r) + ny * index) })
    case .coronal: (width, height, voxel) = (nx, nz, { c, r in c + nx * (index + ny * (nz - 1 - r)) })
    case .sagittal: (width, height, voxel) = (ny, nz, { c, r in index + nx * (c + ny * (nz - 1 - r)) })
    }
    var pixels = [UInt8](repeating: 0, count: width * height)
    for r in 0..<height { for c in 0..<width { pixels[r * width + c] = volume[voxel(c, r)] } }
    return Image(width: width, height: height, channels: 1, pixels: pixels)
  }

  /// The label map (class ids) and T1 image of `slice`, each `size`², resampled as the type comment says.
  public static func images(_ tissue: BrainTissue, _ slice: Slice, size: Int) -> (label: Image, t1: Image) {
    let side = tissue.shape.max()!
    func square(_ volume: [UInt8], fill: UInt8) -> Image {
      centred(Self.slice(volume, shape: tissue.shape, slice.axis, slice.index), side: side, fill: fill)
        .resized(width: size, height: size, filter: .bicubic)
    }
    let planes = tissue.probabilities.enumerated().map { square($0.element, fill: $0.offset == 0 ? 255 : 0).pixels }
    let ids = (0..<(size * size)).map { Int(BrainTissue.argmax(planes[0][$0], planes[1][$0], planes[2][$0], planes[3][$0])) }
    return (Image(ids: ids, width: size, height: size), square(tissue.t1, fill: 0))
  }

  /// `image` in the middle of a `side`² canvas of `fill` (the extra column or row right or below when odd).
  static func centred(_ image: Image, side: Int, fill: UInt8) -> Image {
    let left = (side - image.width) / 2, top = (side - image.height) / 2
    var pixels = [UInt8](repeating: fill, count: side * side)
    for y in 0..<image.height {
      for x in 0..<image.width { pixels[(y + top) * side + x + left] = image.pixels[y * image.width + x] }
    }
    return Image(width: side, height: side, channels: 1, pixels: pixels)
  }
}
