/// Which files of a folder take part in pairing it with another folder, and the name each is paired by
/// (`AlignedDataset.match`).
public struct FileNaming: Sendable {
  /// What the files that take part look like, for the error when a folder has none: `*_leftImg8bit.<extension>`.
  public let pattern: String
  /// The name a file is paired by, from its path below the folder; nil leaves the file out.
  public let name: @Sendable (String) -> String?

  public init(pattern: String, name: @escaping @Sendable (String) -> String?) {
    self.pattern = pattern
    self.name = name
  }

  /// The path below the folder without its extension and without `suffix`; only files whose name (before the
  /// extension) ends with `suffix` take part. `.suffix("_gtFine_labelIds")` names `c/x_gtFine_labelIds.png` `c/x`.
  public static func suffix(_ suffix: String) -> FileNaming {
    FileNaming(pattern: "*\(suffix).<extension>") { path in
      var name = withoutExtension(path)
      guard name.hasSuffix(suffix) else { return nil }
      name.removeLast(suffix.count)
      return name
    }
  }

  /// Cityscapes' `<city>/<city>_<seq>_<frame>`, from the file name alone (its first three `_`-separated parts,
  /// whatever follows them), in `<city>/` subfolders or not: ECGAN's `scripts/canny.m` writes its edges into one
  /// flat folder under the images' names, and the reference pairs Cityscapes files by those three parts
  /// (`data/cityscapes_dataset.py` paths_match). It equals `.suffix`'s name of the gtFine and leftImg8bit files.
  public static let cityscapesStem = FileNaming(pattern: "<city>_<seq>_<frame>*.<extension>") { path in
    let file = withoutExtension(path).split(separator: "/").last.map(String.init) ?? ""
    let parts = file.split(separator: "_", omittingEmptySubsequences: false)
    guard parts.count >= 3 else { return nil }
    return "\(parts[0])/" + parts[0..<3].joined(separator: "_")
  }

  private static func withoutExtension(_ path: String) -> String {
    guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return path }
    return String(path[..<dot])
  }
}
