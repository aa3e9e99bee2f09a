/// One folder of images, for inference (reference `data/single_dataset.py`): field "A" only.
public struct SingleDataset: ImageDataset {
  public let paths: [String]
  public let kind: ImageKind
  public let transform: TransformOptions

  public init(folder: String, kind: ImageKind = .image(channels: 3), transform: TransformOptions, maxSize: Int = .max)
    throws
  {
    self.init(paths: try ImageFolder.list(folder, limit: maxSize), kind: kind, transform: transform)
  }

  public init(paths: [String], kind: ImageKind = .image(channels: 3), transform: TransformOptions) {
    precondition(!paths.isEmpty, "SingleDataset needs at least one file")
    self.paths = paths
    self.kind = kind
    self.transform = transform
  }

  public var count: Int { paths.count }
  public var files: [String] { paths }

  public func sample(_ slot: SampleSlot, seed: UInt64) throws -> Sample {
    var random = slot.random(seed: seed, .augmentA)
    return Sample(fields: ["A": try loadAugmented(paths[slot.index], kind: kind, transform: transform, random: &random)])
  }
}
