/// Two unpaired domains: `<root>/<phase>A` and `<root>/<phase>B` (reference `data/unaligned_dataset.py`).
///
/// Length max(|A|, |B|). Sample i takes A[i mod |A|] and a B drawn uniformly from all of B (or B[i mod |B|]
/// with serial batches); A and B get independent crops and flips.
public struct UnalignedDataset: ImageDataset {
  public let pathsA: [String]
  public let pathsB: [String]
  public let kindA: ImageKind
  public let kindB: ImageKind
  public let transform: TransformOptions
  public let serialBatches: Bool

  /// With `phase` "test" and no `testA` folder, falls back to `valA`/`valB` as CUT does.
  public init(root: String, phase: String = "train", kindA: ImageKind = .image(channels: 3),
              kindB: ImageKind = .image(channels: 3), transform: TransformOptions = TransformOptions(),
              serialBatches: Bool = false, maxSize: Int = .max) throws {
    var folder = root + "/" + phase
    if phase == "test" && !ImageFolder.isDirectory(folder + "A") && ImageFolder.isDirectory(root + "/valA") {
      folder = root + "/val"
    }
    self.init(pathsA: try ImageFolder.list(folder + "A", limit: maxSize),
              pathsB: try ImageFolder.list(folder + "B", limit: maxSize),
              kindA: kindA, kindB: kindB, transform: transform, serialBatches: serialBatches)
  }

  public init(pathsA: [String], pathsB: [String], kindA: ImageKind = .image(channels: 3),
              kindB: ImageKind = .image(channels: 3), transform: TransformOptions = TransformOptions(),
              serialBatches: Bool = false) {
    precondition(!pathsA.isEmpty && !pathsB.isEmpty, "UnalignedDataset needs files in both domains")
    self.pathsA = pathsA
    self.pathsB = pathsB
    self.kindA = kindA
    self.kindB = kindB
    self.transform = transform
    self.serialBatches = serialBatches
  }

  public var count: Int { max(pathsA.count, pathsB.count) }
  public var files: [String] { pathsA + pathsB }

  /// Index into B of sample `slot`: serial, or uniform from the slot's pairing stream.
  public func partner(_ slot: SampleSlot, seed: UInt64) -> Int {
    if serialBatches { return slot.index % pathsB.count }
    var random = slot.random(seed: seed, .pairing)
    return random.nextInt(below: pathsB.count)
  }

  public func sample(_ slot: SampleSlot, seed: UInt64) throws -> Sample {
    var randomA = slot.random(seed: seed, .augmentA), randomB = slot.random(seed: seed, .augmentB)
    let a = try loadAugmented(pathsA[slot.index % pathsA.count], kind: kindA, transform: transform, random: &randomA)
    let b = try loadAugmented(pathsB[partner(slot, seed: seed)], kind: kindB, transform: transform, random: &randomB)
    return Sample(fields: ["A": a, "B": b])
  }
}

/// `--dataset-mode unaligned`: `UnalignedDataset` of images "A" and "B".
public enum UnalignedLayout: DatasetLayout {
  public static let name = "unaligned"
  public static let summary = "<phase>A/ and <phase>B/, unpaired; each image its own crop and flip"
  public static let yields: [(name: String, kinds: String)] = [("A", "image"), ("B", "image")]

  public static func make(_ request: DatasetRequest) throws -> any ImageDataset {
    let kinds = try imageKindsAB(request)
    return try UnalignedDataset(root: request.root, phase: request.phase, kindA: kinds.a, kindB: kinds.b,
                                transform: request.transform, serialBatches: request.serialBatches,
                                maxSize: request.maxSize)
  }
}
