import Tensors

/// `--dataset-mode cityscapes`: the Cityscapes release as unpacked (ECGAN/SPADE `data/cityscapes_dataset.py`):
/// - `<root>/gtFine/<phase>/<city>/<stem>_gtFine_labelIds.png`: label ids of 35 classes, 0...34 (spec §1.1:
///   label_nc 35, no don't-care channel; a don't-care id is whatever the requested field names, else an error);
/// - `<root>/gtFine/<phase>/<city>/<stem>_gtFine_instanceIds.png` (only when an instance field is asked for):
///   16-bit instance ids (class · 1000 + k for things, the class id otherwise), read exactly;
/// - `<root>/leftImg8bit/<phase>/<city>/<stem>_leftImg8bit.png`: the images;
/// - `<root>/edge/<phase>/` (only when an edge field is asked for, and optional): ECGAN's ground-truth edges, gray
///   0/255 at the image's size, named `<city>_<seq>_<frame>…` (canny.m keeps the image's name), in `<city>/`
///   folders or flat as canny.m writes them; without the folder the edges are computed at load by `Canny`;
/// paired by `<city>/<stem>` (`<city>_<seq>_<frame>`), never by sorted order (the reference pairs its edges by
/// sorted order only); the other gtFine files (`_color.png`, polygons) are ignored. A `LabelFolderDataset` of
/// those examples.
///
/// NOTE: canny.m resizes the edges it writes to 256×512, which is not the size of the gtFine labels (2048×1024);
/// such files are refused by size, naming the file. Without the folder the edges are computed at the image's own
/// size (spec §2.3).
public enum CityscapesLayout: DatasetLayout {
  public static let name = "cityscapes"
  public static let classes = 35
  public static let summary = "gtFine/<phase>/<city>/*_gtFine_labelIds.png (35 classes), optional *_gtFine_instanceIds.png, leftImg8bit/<phase>/<city>/*_leftImg8bit.png, optional edge/<phase>/, paired by <city>_<seq>_<frame>"
  public static let yields: [(name: String, kinds: String)] = [
    ("any name", "label map of \(classes) classes, from gtFine/<phase>/*_gtFine_labelIds.png"),
    ("any name", "image, from leftImg8bit/<phase>/*_leftImg8bit.png"),
    ("any name", "instance map, optional, from gtFine/<phase>/*_gtFine_instanceIds.png"),
    ("any name", "edge map, optional, from edge/<phase>/ (<city>_<seq>_<frame>*) or else computed by Canny from the image"),
  ]

  public static func make(_ request: DatasetRequest) throws -> any ImageDataset {
    let fields = try labelImageFields(request)
    guard case .labelMap(classes, _) = fields.label.kind else { throw cannotProduce(fields.label) }
    let labels = request.root + "/gtFine/" + request.phase, edges = request.root + "/edge/" + request.phase
    let examples = try LabelFolderDataset.examples(
      labels: (labels, "_gtFine_labelIds"), images: (request.root + "/leftImg8bit/" + request.phase, "_leftImg8bit"),
      instances: fields.instance == nil ? nil : (labels, "_gtFine_instanceIds"),
      edges: fields.edge != nil && ImageFolder.isDirectory(edges) ? (edges, .cityscapesStem) : nil, maxSize: request.maxSize)
    return LabelFolderDataset(examples: examples, label: fields.label, image: fields.image, instance: fields.instance,
                              edge: fields.edge, transform: request.transform)
  }
}
