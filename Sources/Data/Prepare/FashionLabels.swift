import Foundation

/// Fashion-MNIST as a label map → image set for ECGAN (issue 15's second embedded set): each garment's silhouette
/// coloured by its class is the label map, the garment itself the image. In label-folder layout,
/// `{train,test}_label/<split>_<index>.png` (8-bit ids) and `{train,test}_img/<split>_<index>.png` (gray), from the
/// IDX files of Debian's `dataset-fashion-mnist`.
///
/// Label ids: 0 is the background, class c (0 t-shirt … 9 ankle boot) is id c + 1, so a model reads it with
/// `--label-nc 11`. A pixel belongs to the silhouette when its value is at least `threshold` (16 of 255 by default:
/// Fashion-MNIST's backgrounds are 0, and the faint anti-aliased rim below 16 is not part of the garment's shape).
/// The label map then tells the generator what to draw (the class) and where (the silhouette); the texture, the
/// shading and the inner edges are the generator's to make.
public enum FashionLabels {
  public struct Options: Sendable {
    /// Side of the square canvas the 28×28 images are centred on.
    public var size = 32
    /// At most this many images per class and split, the first ones in file order.
    public var trainPerClass = 50
    public var testPerClass = 10
    public var threshold: UInt8 = 16
    public var source = FashionMNIST.defaultSource
    public init() {}
  }

  /// The label map of `image` (a garment of class `label`): id label + 1 where the pixel is ≥ `threshold`, else 0.
  public static func silhouette(_ image: Image, label: Int, threshold: UInt8) -> Image {
    Image(ids: image.pixels.map { $0 >= threshold ? label + 1 : 0 }, width: image.width, height: image.height)
  }

  /// Writes the four folders; returns the number of files in each.
  @discardableResult
  public static func prepare(out: String, options: Options) throws -> [String: Int] {
    guard options.threshold >= 1 else { throw DataError.invalidOption("--threshold must be at least 1") }
    var counts: [String: Int] = [:]
    for (split, perClass) in [("train", options.trainPerClass), ("test", options.testPerClass)] {
      let examples = try FashionMNIST.examples(split: split, classes: Array(0..<10), size: options.size, limit: perClass,
                                               source: options.source)
      let labels = out + "/\(split)_label", images = out + "/\(split)_img"
      try PrepareOutput.makeEmptyFolder(labels)
      try PrepareOutput.makeEmptyFolder(images)
      for example in examples {
        let name = "/\(split)_\(PrepareOutput.digits(example.index, 5)).png"
        try ImageFile.writePNG(silhouette(example.image, label: example.label, threshold: options.threshold), to: labels + name)
        try ImageFile.writePNG(example.image, to: images + name)
      }
      (counts["\(split)_label"], counts["\(split)_img"]) = (examples.count, examples.count)
    }
    return counts
  }
}
