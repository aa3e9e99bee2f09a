import Foundation

/// Two Fashion-MNIST classes as an unpaired set (`trainA`, `trainB`, `testA`, `testB` of gray PNGs), from the IDX
/// files of Debian's `dataset-fashion-mnist` (Zalando, MIT licence).
public enum FashionMNIST {
  public static let package = "dataset-fashion-mnist"
  public static let defaultSource = "/usr/share/datasets/fashion-mnist"
  public static let classes = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
                               "ankle-boot"]

  /// A class by name (case-insensitive; `_`, space and `-` are alike; "t-shirt/top" and "ankle boot" work) or id 0–9.
  public static func classIndex(_ name: String) throws -> Int {
    let key = name.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: " ", with: "-")
      .replacingOccurrences(of: "/top", with: "")
    if let id = Int(key), classes.indices.contains(id) { return id }
    if let id = classes.firstIndex(where: { $0 == key || $0.replacingOccurrences(of: "-", with: "") == key }) { return id }
    throw DataError.invalidOption("unknown Fashion-MNIST class '\(name)'; use one of \(classes.joined(separator: ", ")) or 0-9")
  }

  public struct Options: Sendable {
    public var classA = 7  // sneaker
    public var classB = 9  // ankle boot
    /// Side of the written images; the 28×28 originals are centred on a black canvas of this size.
    public var size = 32
    /// At most this many images per domain and split, the first ones in file order.
    public var trainLimit = Int.max
    public var testLimit = Int.max
    public var source = FashionMNIST.defaultSource
    public init() {}
  }

  /// One image of an IDX file: its index in the file, its class id and the image centred on a `size`² canvas.
  public struct Example: Sendable {
    public let index: Int, label: Int
    public let image: Image
  }

  /// The images of `classes` in split `train` (the `train` files) or `test` (`t10k`), in file order, each centred
  /// on a black `size`² canvas; at most `limit` per class, after skipping the first `skip` of each class.
  public static func examples(split: String, classes: [Int], size: Int = 32, skip: Int = 0, limit: Int = .max,
                              source: String = defaultSource) throws -> [Example] {
    guard size >= 28 else { throw DataError.invalidOption("--size must be at least 28 (got \(size))") }
    guard split == "train" || split == "test" else { throw DataError.invalidOption("unknown split '\(split)'") }
    let file = split == "train" ? "train" : "t10k"
    let imagesPath = source + "/\(file)-images-idx3-ubyte.gz", labelsPath = source + "/\(file)-labels-idx1-ubyte.gz"
    guard FileManager.default.fileExists(atPath: imagesPath) else {
      throw DataError.missingPackage(package: package, path: imagesPath)
    }
    let images = try IDXArray(gzipFile: imagesPath), labels = try IDXArray(gzipFile: labelsPath)
    guard images.shape.count == 3, images.shape[1] == 28, images.shape[2] == 28, labels.shape == [images.shape[0]] else {
      throw DataError.badImage(path: imagesPath, reason: "unexpected shape \(images.shape) with labels \(labels.shape)")
    }
    var seen = [Int: Int](), out: [Example] = []
    for i in 0..<images.shape[0] {
      let label = Int(labels.values[i])
      guard classes.contains(label) else { continue }
      let rank = seen[label, default: 0]
      seen[label] = rank + 1
      guard rank >= skip && rank - skip < limit else { continue }
      let pixels = Array(images.values[(i * 784)..<((i + 1) * 784)])
      out.append(Example(index: i, label: label, image: pad(Image(width: 28, height: 28, channels: 1, pixels: pixels), to: size)))
    }
    return out
  }

  /// Writes `<out>/{train,test}{A,B}/<split>_<index>.png`; returns the number of files per folder.
  @discardableResult
  public static func prepare(out: String, options: Options) throws -> [String: Int] {
    guard options.classA != options.classB else { throw DataError.invalidOption("the two classes must differ") }
    var counts: [String: Int] = [:]
    for split in ["train", "test"] {
      let limit = split == "train" ? options.trainLimit : options.testLimit
      let examples = try FashionMNIST.examples(split: split, classes: [options.classA, options.classB],
                                               size: options.size, limit: limit, source: options.source)
      for (domain, label) in [("A", options.classA), ("B", options.classB)] {
        let folder = out + "/\(split)\(domain)"
        try PrepareOutput.makeEmptyFolder(folder)
        for example in examples where example.label == label {
          try ImageFile.writePNG(example.image, to: folder + "/\(split)_\(PrepareOutput.digits(example.index, 5)).png")
        }
        counts["\(split)\(domain)"] = examples.filter { $0.label == label }.count
      }
    }
    return counts
  }

  /// Centres `image` on a black square canvas of side `size` (extra pixel right/bottom when odd).
  static func pad(_ image: Image, to size: Int) -> Image {
    let left = (size - image.width) / 2, top = (size - image.height) / 2
    var pixels = [UInt8](repeating: 0, count: size * size)
    for y in 0..<image.height {
      for x in 0..<image.width { pixels[(y + top) * size + x + left] = image.pixels[y * image.width + x] }
    }
    return Image(width: size, height: size, channels: 1, pixels: pixels)
  }
}

enum PrepareOutput {
  /// `n` in decimal, zero-padded to `width` digits.
  static func digits(_ n: Int, _ width: Int) -> String {
    let text = String(n)
    return String(repeating: "0", count: max(0, width - text.count)) + text
  }

  /// Creates `folder` (and parents); refuses one that already holds files, so runs never mix.
  static func makeEmptyFolder(_ folder: String) throws {
    let fm = FileManager.default
    if ImageFolder.isDirectory(folder) {
      let contents = (try? fm.contentsOfDirectory(atPath: folder)) ?? []
      guard contents.isEmpty else {
        throw DataError.invalidOption("\(folder) already holds \(contents.count) files; remove it or choose another --out")
      }
    }
    do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
      throw DataError.invalidOption("\(folder): cannot create folder: \(error.localizedDescription)")
    }
  }
}
