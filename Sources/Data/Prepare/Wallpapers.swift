import Foundation

/// Photos ↔ illustrations as an unpaired set of RGB patches, cut from the wallpapers of Debian's
/// `plasma-workspace-wallpapers` (KDE, LGPLv3 per wallpaper metadata; GPL-2+ for the package).
///
/// Each wallpaper's largest image (JPEG or PNG) is resized (PIL bicubic) to `width` pixels wide and cut into
/// non-overlapping `patch` × `patch` squares, row by row. Whole wallpapers go to the test split (every
/// `testEvery`-th of each domain, in name order), so no test patch shares a picture with a training patch.
public enum PlasmaWallpapers {
  public static let package = "plasma-workspace-wallpapers"
  public static let defaultSource = "/usr/share/wallpapers"
  /// The photographs (domain A); every other wallpaper is an illustration or digital painting (domain B).
  public static let photos: Set<String> = ["BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow",
                                           "FallenLeaf", "Grey", "Kite", "OneStandsOut", "Path", "summer_1am"]

  public struct Options: Sendable {
    public var width = 640
    public var patch = 64
    public var testEvery = 5
    public var source = PlasmaWallpapers.defaultSource
    public init() {}
  }

  /// Writes `<out>/{train,test}{A,B}/<Wallpaper>_<row>_<column>.png`; returns the number of files per folder.
  @discardableResult
  public static func prepare(out: String, options: Options) throws -> [String: Int] {
    guard options.patch >= 4, options.width >= options.patch, options.testEvery >= 2 else {
      throw DataError.invalidOption("need --patch ≥ 4, --width ≥ --patch and --test-every ≥ 2")
    }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: options.source)) ?? []).sorted()
    let wallpapers = names.compactMap { name in largestImage(options.source + "/" + name).map { (name, $0) } }
    guard !wallpapers.isEmpty else { throw DataError.missingPackage(package: package, path: options.source) }
    var counts: [String: Int] = [:]
    for folder in ["trainA", "trainB", "testA", "testB"] {
      try PrepareOutput.makeEmptyFolder(out + "/" + folder)
      counts[folder] = 0
    }
    var seen = ["A": 0, "B": 0]
    for (name, path) in wallpapers {
      let domain = photos.contains(name) ? "A" : "B"
      let split = seen[domain]! % options.testEvery == options.testEvery - 1 ? "test" : "train"
      seen[domain]! += 1
      let image = try ImageFile.load(path, channels: 3)
      let height = max(options.patch, image.height * options.width / image.width)
      let scaled = image.resized(width: options.width, height: height)
      for row in 0..<(scaled.height / options.patch) {
        for column in 0..<(scaled.width / options.patch) {
          let patch = scaled.cropped(x: column * options.patch, y: row * options.patch, width: options.patch,
                                     height: options.patch)
          try ImageFile.writePNG(patch, to: out + "/\(split)\(domain)/\(name)_\(PrepareOutput.digits(row, 2))_\(PrepareOutput.digits(column, 2)).png")
          counts[split + domain]! += 1
        }
      }
    }
    return counts
  }

  /// The largest regular (non-symlink) image in `<wallpaper>/contents/images`, by the W×H in its name.
  static func largestImage(_ wallpaper: String) -> String? {
    let folder = wallpaper + "/contents/images"
    let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    var best: (pixels: Int, path: String)?
    for file in files {
      let path = folder + "/" + file
      guard ImageFile.format(ofExtension: (file as NSString).pathExtension) != nil,
            (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == nil else { continue }
      let size = (file as NSString).deletingPathExtension.split(separator: "x").compactMap { Int($0) }
      guard size.count == 2 else { continue }
      if best == nil || size[0] * size[1] > best!.pixels { best = (size[0] * size[1], path) }
    }
    return best?.path
  }
}
