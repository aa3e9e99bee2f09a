import Foundation

/// Tissue label maps → T1 slices of the MNI152 ICBM 2009a symmetric template, from the three NIfTI files that the
/// PyPI `nilearn` wheel carries (MNI/McGill notice: use, copy, modify and distribute with the copyright kept).
///
/// Writes the `label_folders` layout: `train_label/` and `test_label/` (class ids 0–3 as 8-bit gray: background,
/// CSF/other, grey matter, white matter; see `BrainTissue`), `train_img/` and `test_img/` (the T1), paired by name
/// (`axial_087.png`); which slices and how they are resampled is `BrainSlices`.
public enum MNI152Brain {
  public static let wheel = "nilearn==0.14.1"
  /// Where the files sit inside the wheel.
  public static let wheelFolder = "nilearn/datasets/data"
  public static let t1File = "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
  public static let greyFile = "mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz"
  public static let whiteFile = "mni_icbm152_wm_tal_nlin_sym_09a_converted.nii.gz"
  public static let folders = ["train_label", "train_img", "test_label", "test_img"]

  public struct Options: Sendable {
    /// The nilearn wheel (.whl), or a folder holding the three files (itself, or below it as in the wheel).
    public var source = ""
    public var slices = BrainSlices.Options()
    public init() {}
  }

  /// What `prepare` wrote.
  public struct Summary: Equatable, Sendable {
    /// Files per folder.
    public var files: [String: Int] = [:]
    /// Slices per "<axis> <split>".
    public var slices: [String: Int] = [:]
    /// Voxels per class (background, other, grey, white) of the whole volume.
    public var voxels: [Int] = []
  }

  /// Reads the three volumes from `source`: a file is read as the wheel (a zip), a folder as holding the files
  /// (directly, or below `nilearn/datasets/data`, `datasets/data` or `data`); errors name the missing file.
  public static func tissue(from source: String) throws -> BrainTissue {
    let names = [t1File, greyFile, whiteFile]
    var volumes: [NIfTIVolume] = [], paths: [String] = []
    guard FileManager.default.fileExists(atPath: source) else { throw missing(source) }
    if !ImageFolder.isDirectory(source) {
      let archive = try ZipArchive(contentsOf: source)
      for name in names {
        let member = wheelFolder + "/" + name, path = source + ":" + member
        guard let entry = archive.entry(member) else {
          throw DataError.invalidOption("\(source): no \(member) in the archive (is it the \(wheel) wheel?)")
        }
        volumes.append(try NIfTIVolume(bytes: Gzip.decompress(archive.contents(of: entry), name: path), name: path))
        paths.append(path)
      }
    } else {
      let candidates = [source, source + "/" + wheelFolder, source + "/datasets/data", source + "/data"]
      let folder = candidates.first { FileManager.default.fileExists(atPath: $0 + "/" + t1File) } ?? source
      for name in names {
        let path = folder + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { throw missing(path) }
        volumes.append(try NIfTIVolume(contentsOf: path))
        paths.append(path)
      }
    }
    return try BrainTissue(t1: volumes[0], grey: volumes[1], white: volumes[2], names: (paths[0], paths[1], paths[2]))
  }

  /// Writes the four folders below `out` (each must be absent or empty).
  @discardableResult
  public static func prepare(out: String, options: Options) throws -> Summary {
    guard options.slices.size >= 8, options.slices.step >= 1 else {
      throw DataError.invalidOption("need --size ≥ 8 and --slice-step ≥ 1 (got \(options.slices.size), \(options.slices.step))")
    }
    let tissue = try tissue(from: options.source)
    for folder in folders { try PrepareOutput.makeEmptyFolder(out + "/" + folder) }
    var summary = Summary(voxels: tissue.classCounts)
    for folder in folders { summary.files[folder] = 0 }
    for slice in BrainSlices.plan(tissue, options: options.slices) {
      let (label, t1) = BrainSlices.images(tissue, slice, size: options.slices.size)
      let split = slice.split.rawValue
      try ImageFile.writePNG(label, to: out + "/\(split)_label/\(slice.name).png")
      try ImageFile.writePNG(t1, to: out + "/\(split)_img/\(slice.name).png")
      summary.files[split + "_label", default: 0] += 1
      summary.files[split + "_img", default: 0] += 1
      summary.slices[slice.axis.rawValue + " " + split, default: 0] += 1
    }
    return summary
  }

  static func missing(_ path: String) -> DataError {
    .invalidOption("\(path) not found: --from takes the \(wheel) wheel (`pip download \(wheel) --no-deps`) or a folder holding \(t1File), \(greyFile) and \(whiteFile)")
  }
}
