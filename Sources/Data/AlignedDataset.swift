/// Paired images (reference `data/aligned_dataset.py`), in either layout users already have:
/// - `<root>/<phase>/` of pix2pix-style images with A on the left half and B on the right (split at ⌊w/2⌋);
/// - `<root>/<phase>A/` and `<root>/<phase>B/` matched by file name (path below the folder, extension ignored,
///   so `x.jpg` pairs with a label map `x.png`).
/// A and B share one crop and one flip, drawn for A's size.
public struct AlignedDataset: ImageDataset {
  public struct Pair: Equatable, Sendable {
    public let a: String
    /// nil: `a` holds both halves side by side.
    public let b: String?
  }

  public let pairs: [Pair]
  public let kindA: ImageKind
  public let kindB: ImageKind
  public let transform: TransformOptions

  public init(root: String, phase: String = "train", kindA: ImageKind = .image(channels: 3),
              kindB: ImageKind = .image(channels: 3), transform: TransformOptions = TransformOptions(),
              maxSize: Int = .max) throws {
    let folder = root + "/" + phase
    let pairs: [Pair]
    if ImageFolder.isDirectory(folder + "A") || ImageFolder.isDirectory(folder + "B") {
      pairs = try AlignedDataset.match(folderA: folder + "A", folderB: folder + "B")
    } else if ImageFolder.isDirectory(folder) {
      pairs = try ImageFolder.list(folder).map { Pair(a: $0, b: nil) }
    } else {
      throw DataError.missingFolder(folder)
    }
    self.init(pairs: Array(pairs.prefix(maxSize)), kindA: kindA, kindB: kindB, transform: transform)
  }

  public init(pairs: [Pair], kindA: ImageKind = .image(channels: 3), kindB: ImageKind = .image(channels: 3),
              transform: TransformOptions = TransformOptions()) {
    precondition(!pairs.isEmpty, "AlignedDataset needs at least one pair")
    self.pairs = pairs
    self.kindA = kindA
    self.kindB = kindB
    self.transform = transform
  }

  public var count: Int { pairs.count }
  public var files: [String] { pairs.flatMap { [$0.a] + ($0.b.map { [$0] } ?? []) } }

  /// Pairs the files of two folders by name; every file must have exactly one partner. With a suffix, only the
  /// files whose name ends with it (before the extension) take part, and it is not part of the name they are
  /// matched by: `suffixA: "_gtFine_labelIds", suffixB: "_leftImg8bit"` pairs Cityscapes' `c/x_gtFine_labelIds.png`
  /// with `c/x_leftImg8bit.png`. A file without a partner is an error naming it (path below its folder).
  public static func match(folderA: String, folderB: String, suffixA: String = "", suffixB: String = "") throws
    -> [Pair]
  {
    try match(folderA: folderA, folderB: folderB, namingA: .suffix(suffixA), namingB: .suffix(suffixB))
  }

  /// Pairs the files of two folders by the names `namingA` and `namingB` give them, in the order of those names
  /// (bytewise); every file that takes part must have exactly one partner, and two files of one folder must not
  /// share a name. A file without a partner is an error naming it (path below its folder).
  public static func match(folderA: String, folderB: String, namingA: FileNaming, namingB: FileNaming) throws -> [Pair] {
    let a = try keyed(ImageFolder.list(folderA), below: folderA, naming: namingA)
    let b = try keyed(ImageFolder.list(folderB), below: folderB, naming: namingB)
    func below(_ folder: String, _ path: String) -> String { String(path.dropFirst(folder.count + 1)) }
    let onlyA = a.filter { b[$0.key] == nil }.map { below(folderA, $0.value) }.sorted()
    let onlyB = b.filter { a[$0.key] == nil }.map { below(folderB, $0.value) }.sorted()
    guard onlyA.isEmpty && onlyB.isEmpty else {
      throw DataError.unmatchedNames(folderA: folderA, folderB: folderB, onlyInA: Array(onlyA.prefix(5)),
                                     onlyInB: Array(onlyB.prefix(5)))
    }
    return a.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { Pair(a: a[$0]!, b: b[$0]!) }
  }

  /// Files by the name `naming` gives their path below `folder`; files it leaves out are not listed.
  private static func keyed(_ paths: [String], below folder: String, naming: FileNaming) throws -> [String: String] {
    var byName: [String: String] = [:]
    for path in paths {
      guard let key = naming.name(String(path.dropFirst(folder.count + 1))) else { continue }
      if let other = byName[key] {
        throw DataError.invalidOption("\(other) and \(path) have the same name; keep one of them")
      }
      byName[key] = path
    }
    guard !byName.isEmpty else { throw DataError.invalidOption("\(folder): no image named \(naming.pattern)") }
    return byName
  }

  public func sample(_ slot: SampleSlot, seed: UInt64) throws -> Sample {
    let pair = pairs[slot.index]
    let pathB = pair.b ?? pair.a
    let imageA: Image, imageB: Image
    if let b = pair.b {
      imageA = try ImageFile.load(pair.a, channels: kindA.channels)
      imageB = try ImageFile.load(b, channels: kindB.channels)
    } else {
      let ab = try ImageFile.load(pair.a, channels: 3)
      guard ab.width >= 2 else { throw DataError.badImage(path: pair.a, reason: "too narrow to hold A and B side by side") }
      let half = ab.width / 2
      imageA = ab.cropped(x: 0, y: 0, width: half, height: ab.height).converted(channels: kindA.channels)
      imageB = ab.cropped(x: half, y: 0, width: ab.width - half, height: ab.height).converted(channels: kindB.channels)
    }
    var random = slot.random(seed: seed, .augmentA)
    let ab = try augmentAligned([Sample.Field(image: imageA, path: pair.a, kind: kindA),
                                 Sample.Field(image: imageB, path: pathB, kind: kindB)],
                                transform: transform, random: &random)
    return Sample(fields: ["A": ab[0], "B": ab[1]])
  }
}

/// `--dataset-mode aligned`: `AlignedDataset` of images "A" and "B".
public enum AlignedLayout: DatasetLayout {
  public static let name = "aligned"
  public static let summary = "<phase>/ of A|B side by side, or <phase>A/ and <phase>B/ paired by name; one crop and flip per pair"
  public static let yields: [(name: String, kinds: String)] = [("A", "image"), ("B", "image")]

  public static func make(_ request: DatasetRequest) throws -> any ImageDataset {
    let kinds = try imageKindsAB(request)
    return try AlignedDataset(root: request.root, phase: request.phase, kindA: kinds.a, kindB: kinds.b,
                              transform: request.transform, maxSize: request.maxSize)
  }
}
