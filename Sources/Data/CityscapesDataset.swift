import Tensors

/// `--dataset-mode cityscapes`: the Cityscapes release as unpacked (ECGAN/SPADE `data/cityscapes_dataset.py`):
/// - `<root>/gtFine/<phase>/<city>/<stem>_gtFine_labelIds.png`: label ids of 35 classes, 0...34 (spec §1.1:
///   label_nc 35, no don't-care channel; a don't-care id is whatever the requested field names, else an error);
/// - `<root>/gtFine/<phase>/<city>/<stem>_gtFine_instanceIds.png` (only when an instance field is asked for):
///   16-bit instance ids (class · 1000 + k for things, the class id otherwise), read exactly;
/// - `<root>/leftImg8bit/<phase>/<city>/<stem>_leftImg8bit.png`: the images;
/// paired by `<city>/<stem>` (`<city>_<seq>_<frame>`), never by sorted order; the other gtFine files
/// (`_color.png`, polygons) are ignored. A `LabelFolderDataset` of those examples.
public enum CityscapesLayout: DatasetLayout {
  public static let name = "cityscapes"
  public static let classes = 35
  public static let summary = "gtFine/<phase>/<city>/*_gtFine_labelIds.png (35 classes), optional *_gtFine_instanceIds.png, leftImg8bit/<phase>/<city>/*_leftImg8bit.png, paired by <city>_<seq>_<frame>"
  public static let yields: [(name: String, kinds: String)] = [
    ("any name", "label map of \(classes) classes, from gtFine/<phase>/*_gtFine_labelIds.png"),
    ("any name", "image, from leftImg8bit/<phase>/*_leftImg8bit.png"),
    ("any name", "instance map, optional, from gtFine/<phase>/*_gtFine_instanceIds.png"),
  ]

  public static func make(_ request: DatasetRequest) throws -> any ImageDataset {
    let fields = try labelImageFields(request)
    guard case .labelMap(classes, _) = fields.label.kind else { throw cannotProduce(fields.label) }
    let labels = request.root + "/gtFine/" + request.phase
    let examples = try LabelFolderDataset.examples(
      labels: (labels, "_gtFine_labelIds"), images: (request.root + "/leftImg8bit/" + request.phase, "_leftImg8bit"),
      instances: fields.instance == nil ? nil : (labels, "_gtFine_instanceIds"), maxSize: request.maxSize)
    return LabelFolderDataset(examples: examples, label: fields.label, image: fields.image, instance: fields.instance,
                              transform: request.transform)
  }
}
