import Tensors

/// Semantic label maps with their images, the layout of SPADE's and ECGAN's "custom" data set:
/// - `<root>/<phase>_label/`: label maps, class ids stored as gray values;
/// - `<root>/<phase>_img/`: the images;
/// - `<root>/<phase>_inst/` (only when an instance field is asked for): instance maps, ids as gray values;
/// - `<root>/<phase>_edge/` (only when an edge field is asked for, and optional): ECGAN's ground-truth edges,
///   gray 0/255 at the label map's size;
/// matched by file name (path below the folder, extension ignored, as `AlignedDataset.match` pairs), never by
/// sorted order. Without an edge folder the edges are computed at load: `Canny` (ECGAN's canny.m) of the image
/// file as it is stored, before augmentation.
///
/// Label and instance maps are loaded with their ids exact (`ImageFile.loadIds`: palette indices, 16-bit values)
/// and resized with nearest (ids stay exact and unnormalised); the image and the edge map bicubic (EdgeMap.swift).
/// All fields of a sample share one crop and one flip, drawn for the label map's size. The label map's raw ids are
/// first mapped by `labelIds` (`LabelIdShift`), then checked, before augmentation.
public struct LabelFolderDataset: ImageDataset {
  /// The files of one sample.
  public struct Example: Equatable, Sendable {
    public let label: String
    public let image: String
    public let instance: String?
    /// The edge file; nil: the edges are computed from the image.
    public let edge: String?
    public init(label: String, image: String, instance: String? = nil, edge: String? = nil) {
      self.label = label
      self.image = image
      self.instance = instance
      self.edge = edge
    }
  }

  public let examples: [Example]
  /// A `.labelMap` field.
  public let label: BatchField
  /// An `.image` field.
  public let image: BatchField
  /// An `.instanceMap` field, or nil; when set, every example has an instance file.
  public let instance: BatchField?
  /// An `.edgeMap` field, or nil; an example without an edge file has its edges computed at load.
  public let edge: BatchField?
  public let transform: TransformOptions
  /// How the raw ids of the label files become class ids.
  public let labelIds: LabelIdShift

  /// Reads the folders of `phase` below `root`; the `_inst` folder only if `instance` is set, the `_edge` folder
  /// only if `edge` is set and the folder exists. At most `maxSize` examples, in the order of their names.
  public init(root: String, phase: String = "train", label: BatchField, image: BatchField, instance: BatchField? = nil,
              edge: BatchField? = nil, transform: TransformOptions = TransformOptions(), maxSize: Int = .max) throws {
    let base = root + "/" + phase
    let edges = edge != nil && ImageFolder.isDirectory(base + "_edge") ? (base + "_edge", FileNaming.suffix("")) : nil
    let examples = try Self.examples(labels: (base + "_label", ""), images: (base + "_img", ""),
                                     instances: instance == nil ? nil : (base + "_inst", ""), edges: edges,
                                     maxSize: maxSize)
    self.init(examples: examples, label: label, image: image, instance: instance, edge: edge, transform: transform)
  }

  /// The examples of label files paired with image files (and instance files) by name (`AlignedDataset.match`,
  /// each folder with its file-name suffix), and with edge files by the names `edges.naming` gives them, which
  /// must be the label files' names without their suffix; at most `maxSize`, in the order of the label names.
  public static func examples(labels: (folder: String, suffix: String), images: (folder: String, suffix: String),
                              instances: (folder: String, suffix: String)? = nil,
                              edges: (folder: String, naming: FileNaming)? = nil, maxSize: Int = .max) throws -> [Example] {
    let pairs = try AlignedDataset.match(folderA: labels.folder, folderB: images.folder, suffixA: labels.suffix,
                                         suffixB: images.suffix)
    var instanceOf: [String: String] = [:], edgeOf: [String: String] = [:]
    if let instances {
      for pair in try AlignedDataset.match(folderA: labels.folder, folderB: instances.folder, suffixA: labels.suffix,
                                           suffixB: instances.suffix) { instanceOf[pair.a] = pair.b }
    }
    if let edges {
      for pair in try AlignedDataset.match(folderA: labels.folder, folderB: edges.folder, namingA: .suffix(labels.suffix),
                                           namingB: edges.naming) { edgeOf[pair.a] = pair.b }
    }
    return pairs.prefix(maxSize).map { Example(label: $0.a, image: $0.b!, instance: instanceOf[$0.a], edge: edgeOf[$0.a]) }
  }

  public init(examples: [Example], label: BatchField, image: BatchField, instance: BatchField? = nil,
              edge: BatchField? = nil, transform: TransformOptions = TransformOptions(), labelIds: LabelIdShift = .none) {
    precondition(!examples.isEmpty, "LabelFolderDataset needs at least one example")
    guard case .labelMap = label.kind, case .image = image.kind, instance.map({ $0.kind == .instanceMap }) ?? true,
          edge.map({ $0.kind == .edgeMap }) ?? true else {
      preconditionFailure("LabelFolderDataset: fields \(label), \(image), \(instance.map(\.description) ?? "-"), \(edge.map(\.description) ?? "-") are not a label map, an image, an instance map and an edge map")
    }
    precondition(instance == nil || examples.allSatisfy { $0.instance != nil }, "LabelFolderDataset: an example lacks its instance map")
    self.examples = examples
    self.label = label
    self.image = image
    self.instance = instance
    self.edge = edge
    self.transform = transform
    self.labelIds = labelIds
  }

  /// The fields every sample holds, in this order.
  public var fields: [BatchField] { [label, image] + [instance, edge].compactMap { $0 } }
  public var count: Int { examples.count }
  public var files: [String] {
    examples.flatMap { [$0.label, $0.image] + [$0.instance, edge == nil ? nil : $0.edge].compactMap { $0 } }
  }

  public func sample(_ slot: SampleSlot, seed: UInt64) throws -> Sample {
    let example = examples[slot.index]
    let labelMap = dontCareAsField(labelIds.apply(to: try ImageFile.loadIds(example.label)))
    try checkClassIds(labelMap, path: example.label)
    let stored = try ImageFile.read(example.image), channels = image.kind.channels
    var loaded = [Sample.Field(image: labelMap, path: example.label, kind: .labelMap),
                  try matching(Image(stored, channels: channels), example.image, kind: .image(channels: channels), labelMap,
                               label: example.label)]
    // Instance ids are ids like class ids: one channel, nearest, unnormalised.
    if let path = example.instance {
      loaded.append(try matching(ImageFile.loadIds(path), path, kind: .labelMap, labelMap, label: example.label))
    }
    if edge != nil {
      if let path = example.edge {
        loaded.append(try matching(ImageFile.load(path, channels: 1), path, kind: .edgeMap, labelMap, label: example.label))
      } else {
        // Computed from the file's own pixels (rgb2gray of its colours, as canny.m), before the shared crop and flip.
        loaded.append(Sample.Field(image: Canny.edges(of: stored), path: example.image, kind: .edgeMap))
      }
    }
    var random = slot.random(seed: seed, .augmentA)
    let augmented = try augmentAligned(loaded, transform: transform, random: &random)
    return Sample(fields: Dictionary(uniqueKeysWithValues: zip(fields.map(\.name), augmented)))
  }

  /// `loaded` (from the file at `path`) as a field of `kind`; it must have the size of the label map `labelMap`
  /// (loaded from `label`).
  private func matching(_ loaded: Image, _ path: String, kind: ImageKind, _ labelMap: Image, label: String) throws
    -> Sample.Field
  {
    guard loaded.width == labelMap.width && loaded.height == labelMap.height else {
      throw DataError.sizeMismatch(path: path, expected: "the \(labelMap.sizeDescription) of its label map \(label)",
                                   got: loaded.sizeDescription)
    }
    return Sample.Field(image: loaded, path: path, kind: kind)
  }

  /// The stored don't-care id 255 as the field's don't-care id, when that is another (the reference's
  /// `label[label == 255] = label_nc`, so that a field of N classes with don't-care N reads files that mark it 255).
  func dontCareAsField(_ map: Image) -> Image {
    guard case .labelMap(_, let dontCare?) = label.kind, dontCare != 255, map.ids.contains(255) else { return map }
    return Image(ids: map.ids.map { $0 == 255 ? dontCare : $0 }, width: map.width, height: map.height)
  }

  /// Throws for the first pixel (row by row) whose id is not in 0..<classes and is not the don't-care id.
  func checkClassIds(_ labelMap: Image, path: String) throws {
    guard case let .labelMap(classes, dontCare) = label.kind else { return }
    let ids = labelMap.ids
    guard let i = ids.firstIndex(where: { $0 >= classes && $0 != dontCare }) else { return }
    throw DataError.classOutOfRange(path: path, id: ids[i], x: i % labelMap.width,
                                    y: i / labelMap.width, classes: classes, dontCare: dontCare)
  }
}

/// `--dataset-mode label_folders`: `LabelFolderDataset`, with the field names the request gives.
public enum LabelFolderLayout: DatasetLayout {
  public static let name = "label_folders"
  public static let summary = "<phase>_label/ (class ids), <phase>_img/, optional <phase>_inst/ and <phase>_edge/, paired by name; one crop and flip per example"
  public static let yields: [(name: String, kinds: String)] = [
    ("any name", "label map, from <phase>_label/"), ("any name", "image, from <phase>_img/"),
    ("any name", "instance map, optional, from <phase>_inst/"),
    ("any name", "edge map, optional, from <phase>_edge/ or else computed by Canny from the image"),
  ]

  public static func make(_ request: DatasetRequest) throws -> any ImageDataset {
    let fields = try labelImageFields(request)
    return try LabelFolderDataset(root: request.root, phase: request.phase, label: fields.label, image: fields.image,
                                  instance: fields.instance, edge: fields.edge, transform: request.transform,
                                  maxSize: request.maxSize)
  }
}

/// How the raw ids stored in a label file become class ids (before the range check).
public enum LabelIdShift: Equatable, Sendable {
  /// The stored ids are the class ids.
  case none
  /// ADE20K (ECGAN/SPADE `data/ade20k_dataset.py` postprocess): stored id 0 ("unknown") becomes `unknown`, and
  /// every other stored id k becomes k − 1, so 1...150 → 0...149 and 0 → 150.
  case zeroIsUnknown(unknown: Int)

  /// `map` with each id shifted.
  public func apply(to map: Image) -> Image {
    guard case .zeroIsUnknown(let unknown) = self else { return map }
    return Image(ids: map.ids.map { $0 == 0 ? unknown : $0 - 1 }, width: map.width, height: map.height)
  }
}

extension DatasetLayout {
  /// The fields of a layout that yields one label map, one image, an optional instance map and an optional edge
  /// map, with any names: throws for a field of another kind, a second field of one kind, a shared name, or a
  /// missing label or image.
  static func labelImageFields(_ request: DatasetRequest) throws
    -> (label: BatchField, image: BatchField, instance: BatchField?, edge: BatchField?)
  {
    var label: BatchField?, image: BatchField?, instance: BatchField?, edge: BatchField?
    for field in request.fields {
      switch field.kind {
      case .labelMap where label == nil: label = field
      case .image where image == nil: image = field
      case .instanceMap where instance == nil: instance = field
      case .edgeMap where edge == nil: edge = field
      default: throw cannotProduce(field)
      }
    }
    let names = request.fields.map(\.name)
    guard Set(names).count == names.count else {
      throw DataError.invalidOption("--dataset-mode \(name): two fields share a name in \(names)")
    }
    guard let label else { throw DataError.fieldMissing(layout: name, needed: "of kind label map", requested: request.fields) }
    guard let image else { throw DataError.fieldMissing(layout: name, needed: "of kind image", requested: request.fields) }
    return (label, image, instance, edge)
  }
}
