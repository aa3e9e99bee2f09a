import Tensors

/// Semantic label maps with their images, the layout of SPADE's and ECGAN's "custom" data set:
/// - `<root>/<phase>_label/`: label maps, class ids stored as gray values;
/// - `<root>/<phase>_img/`: the images;
/// - `<root>/<phase>_inst/` (only when an instance field is asked for): instance maps, ids as gray values;
/// matched by file name (path below the folder, extension ignored, as `AlignedDataset.match` pairs).
///
/// Label and instance maps are loaded with one channel and resized with nearest (ids stay exact and
/// unnormalised); the image bicubic. All fields of a sample share one crop and one flip, drawn for the label
/// map's size. The label map's ids are checked before augmentation.
public struct LabelFolderDataset: ImageDataset {
  /// The files of one sample.
  public struct Example: Equatable, Sendable {
    public let label: String
    public let image: String
    public let instance: String?
    public init(label: String, image: String, instance: String? = nil) {
      self.label = label
      self.image = image
      self.instance = instance
    }
  }

  public let examples: [Example]
  /// A `.labelMap` field.
  public let label: BatchField
  /// An `.image` field.
  public let image: BatchField
  /// An `.instanceMap` field, or nil; when set, every example has an instance file.
  public let instance: BatchField?
  public let transform: TransformOptions

  /// Reads the folders of `phase` below `root`; the `_inst` folder only if `instance` is set. At most `maxSize`
  /// examples, in the order of their names.
  public init(root: String, phase: String = "train", label: BatchField, image: BatchField, instance: BatchField? = nil,
              transform: TransformOptions = TransformOptions(), maxSize: Int = .max) throws {
    let base = root + "/" + phase
    let pairs = try AlignedDataset.match(folderA: base + "_label", folderB: base + "_img")
    var instanceOf: [String: String] = [:]
    if instance != nil {
      for pair in try AlignedDataset.match(folderA: base + "_label", folderB: base + "_inst") { instanceOf[pair.a] = pair.b }
    }
    let examples = pairs.prefix(maxSize).map { Example(label: $0.a, image: $0.b!, instance: instanceOf[$0.a]) }
    self.init(examples: examples, label: label, image: image, instance: instance, transform: transform)
  }

  public init(examples: [Example], label: BatchField, image: BatchField, instance: BatchField? = nil,
              transform: TransformOptions = TransformOptions()) {
    precondition(!examples.isEmpty, "LabelFolderDataset needs at least one example")
    guard case .labelMap = label.kind, case .image = image.kind, instance.map({ $0.kind == .instanceMap }) ?? true else {
      preconditionFailure("LabelFolderDataset: fields \(label), \(image), \(instance.map(\.description) ?? "-") are not a label map, an image and an instance map")
    }
    precondition(instance == nil || examples.allSatisfy { $0.instance != nil }, "LabelFolderDataset: an example lacks its instance map")
    self.examples = examples
    self.label = label
    self.image = image
    self.instance = instance
    self.transform = transform
  }

  /// The fields every sample holds.
  public var fields: [BatchField] { [label, image] + (instance.map { [$0] } ?? []) }
  public var count: Int { examples.count }
  public var files: [String] { examples.flatMap { [$0.label, $0.image] + ($0.instance.map { [$0] } ?? []) } }

  public func sample(_ slot: SampleSlot, seed: UInt64) throws -> Sample {
    let example = examples[slot.index]
    let labelMap = try ImageFile.load(example.label, channels: 1)
    try checkClassIds(labelMap, path: example.label)
    var loaded = [Sample.Field(image: labelMap, path: example.label, kind: .labelMap),
                  try loadMatching(labelMap, example.image, kind: .image(channels: image.kind.channels), label: example.label)]
    // Instance ids are ids like class ids: one channel, nearest, unnormalised.
    if let path = example.instance { loaded.append(try loadMatching(labelMap, path, kind: .labelMap, label: example.label)) }
    var random = slot.random(seed: seed, .augmentA)
    let augmented = try augmentAligned(loaded, transform: transform, random: &random)
    return Sample(fields: Dictionary(uniqueKeysWithValues: zip(fields.map(\.name), augmented)))
  }

  /// Loads the file at `path`, which must have the size of the label map `labelMap` (loaded from `label`).
  private func loadMatching(_ labelMap: Image, _ path: String, kind: ImageKind, label: String) throws -> Sample.Field {
    let loaded = try ImageFile.load(path, channels: kind.channels)
    guard loaded.width == labelMap.width && loaded.height == labelMap.height else {
      throw DataError.sizeMismatch(path: path, expected: "the \(labelMap.sizeDescription) of its label map \(label)",
                                   got: loaded.sizeDescription)
    }
    return Sample.Field(image: loaded, path: path, kind: kind)
  }

  /// Throws for the first pixel (row by row) whose id is not in 0..<classes and is not the don't-care id.
  func checkClassIds(_ labelMap: Image, path: String) throws {
    guard case let .labelMap(classes, dontCare) = label.kind, classes < 256 else { return }
    let outside = labelMap.pixels.firstIndex { Int($0) >= classes && Int($0) != dontCare }
    guard let i = outside else { return }
    throw DataError.classOutOfRange(path: path, id: Int(labelMap.pixels[i]), x: i % labelMap.width,
                                    y: i / labelMap.width, classes: classes, dontCare: dontCare)
  }
}

/// `--dataset-mode label_folders`: `LabelFolderDataset`, with the field names the request gives.
public enum LabelFolderLayout: DatasetLayout {
  public static let name = "label_folders"
  public static let summary = "<phase>_label/ (class ids), <phase>_img/, optional <phase>_inst/, paired by name; one crop and flip per example"
  public static let yields: [(name: String, kinds: String)] = [
    ("any name", "label map, from <phase>_label/"), ("any name", "image, from <phase>_img/"),
    ("any name", "instance map, optional, from <phase>_inst/"),
  ]

  public static func make(_ request: DatasetRequest) throws -> any ImageDataset {
    var label: BatchField?, image: BatchField?, instance: BatchField?
    for field in request.fields {
      switch field.kind {
      case .labelMap where label == nil: label = field
      case .image where image == nil: image = field
      case .instanceMap where instance == nil: instance = field
      default: throw cannotProduce(field)
      }
    }
    let names = request.fields.map(\.name)
    guard Set(names).count == names.count else {
      throw DataError.invalidOption("--dataset-mode \(name): two fields share a name in \(names)")
    }
    guard let label else { throw DataError.fieldMissing(layout: name, needed: "of kind label map", requested: request.fields) }
    guard let image else { throw DataError.fieldMissing(layout: name, needed: "of kind image", requested: request.fields) }
    return try LabelFolderDataset(root: request.root, phase: request.phase, label: label, image: image,
                                  instance: instance, transform: request.transform, maxSize: request.maxSize)
  }
}
