import Tensors

/// `--dataset-mode ade20k`: ADEChallengeData2016 as released (ECGAN/SPADE `data/ade20k_dataset.py`):
/// - `<root>/images/{training,validation}/ADE_*.jpg`: the images;
/// - `<root>/annotations/{training,validation}/ADE_*.png`: stored ids 0...150, 0 = unknown;
/// - `<root>/edges/{training,validation}/ADE_*` (only when an edge field is asked for, and optional): ECGAN's
///   ground-truth edges, gray 0/255 at the image's size (canny.m writes them under the image's name, so as JPEG);
///   without the folder the edges are computed at load by `Canny`;
/// phase `train` reads `training`, `val` and `test` read `validation`; paired by file name (extension ignored),
/// never by sorted order (the reference pairs its edges by sorted order only).
/// The stored ids are shifted as the reference postprocess does (`LabelIdShift.zeroIsUnknown`): 0 → 150 and
/// k → k − 1, so the label field must be 150 classes with don't-care 150 (spec §1.1: 150 + 1 = 151 channels).
/// No instance maps. A `LabelFolderDataset` of those examples.
public enum ADE20KLayout: DatasetLayout {
  public static let name = "ade20k"
  public static let label = FieldKind.labelMap(classes: 150, dontCare: 150)
  public static let summary = "images/{training,validation}/*.jpg, annotations/{training,validation}/*.png, optional edges/{training,validation}/, paired by name; ids 0 (unknown) → 150, k → k−1"
  public static let yields: [(name: String, kinds: String)] = [
    ("any name", "\(label), from annotations/<training|validation>/"),
    ("any name", "image, from images/<training|validation>/"),
    ("any name", "edge map, optional, from edges/<training|validation>/ or else computed by Canny from the image"),
  ]

  /// The release's folder for `phase`.
  public static func folder(phase: String) throws -> String {
    switch phase {
    case "train": return "training"
    case "val", "test": return "validation"
    default: throw DataError.invalidOption("--dataset-mode \(name): --phase '\(phase)' has no folder (expected train, val or test)")
    }
  }

  public static func make(_ request: DatasetRequest) throws -> any ImageDataset {
    let fields = try labelImageFields(request)
    guard fields.label.kind == label else { throw cannotProduce(fields.label) }
    if let instance = fields.instance { throw cannotProduce(instance) }
    let split = try folder(phase: request.phase)
    let edges = request.root + "/edges/" + split
    let examples = try LabelFolderDataset.examples(
      labels: (request.root + "/annotations/" + split, ""), images: (request.root + "/images/" + split, ""),
      edges: fields.edge != nil && ImageFolder.isDirectory(edges) ? (edges, .suffix("")) : nil, maxSize: request.maxSize)
    return LabelFolderDataset(examples: examples, label: fields.label, image: fields.image, edge: fields.edge,
                              transform: request.transform, labelIds: .zeroIsUnknown(unknown: 150))
  }
}
