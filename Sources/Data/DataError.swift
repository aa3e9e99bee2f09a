import Tensors

/// Everything that can go wrong between a folder on disk and a batch; each message names the file or folder.
public enum DataError: Error, CustomStringConvertible, Equatable {
  /// A file that cannot be read or decoded (corrupt, truncated, empty, unsupported, wrong extension).
  case badImage(path: String, reason: String)
  case missingFolder(String)
  case emptyFolder(String)
  /// Paired folders whose file names do not match (up to a few examples from each side).
  case unmatchedNames(folderA: String, folderB: String, onlyInA: [String], onlyInB: [String])
  case smallerThanCrop(path: String, width: Int, height: Int, crop: Int)
  /// Images of one batch (or one pair) whose sizes differ.
  case sizeMismatch(path: String, expected: String, got: String)
  /// A data source that comes from a system package which is not installed.
  case missingPackage(package: String, path: String)
  case invalidOption(String)
  /// A field that a `--dataset-mode` layout was asked for but cannot produce; `yields` describes what it can.
  case fieldNotProduced(layout: String, field: BatchField, yields: String)
  /// A field that a layout needs but the request lacks (`needed` describes it, e.g. "'B' (an image)").
  case fieldMissing(layout: String, needed: String, requested: [BatchField])
  /// A label map pixel whose class id is outside 0..<classes and is not the don't-care id.
  case classOutOfRange(path: String, id: Int, x: Int, y: Int, classes: Int, dontCare: Int?)
  /// A batch asked for a field it does not hold.
  case noSuchField(name: String, has: [String])

  public var description: String {
    switch self {
    case let .badImage(path, reason): return "\(path): \(reason)"
    case let .missingFolder(path): return "\(path): no such folder"
    case let .emptyFolder(path): return "\(path): no images (looked for \(ImageFile.extensions.joined(separator: ", ")))"
    case let .unmatchedNames(a, b, onlyA, onlyB):
      var parts: [String] = []
      if !onlyA.isEmpty { parts.append("only in \(a): \(onlyA.joined(separator: ", "))") }
      if !onlyB.isEmpty { parts.append("only in \(b): \(onlyB.joined(separator: ", "))") }
      return "paired folders do not match by file name; " + parts.joined(separator: "; ")
    case let .smallerThanCrop(path, w, h, crop):
      return "\(path): image is \(w)x\(h) after resizing, smaller than the \(crop)x\(crop) crop"
    case let .sizeMismatch(path, expected, got): return "\(path): size \(got) does not match \(expected)"
    case let .missingPackage(package, path):
      return "\(path) not found: install the images with `apt-get install \(package)`"
    case let .invalidOption(message): return message
    case let .fieldNotProduced(layout, field, yields):
      return "--dataset-mode \(layout): cannot produce field \(field); it yields \(yields)"
    case let .fieldMissing(layout, needed, requested):
      let has = requested.isEmpty ? "no fields" : requested.map(\.description).joined(separator: ", ")
      return "--dataset-mode \(layout): needs a field \(needed); the request has \(has)"
    case let .classOutOfRange(path, id, x, y, classes, dontCare):
      let notDontCare = dontCare.map { "is not the don't-care id \($0)" } ?? "there is no don't-care id"
      return "\(path): class id \(id) at (\(x), \(y)) is outside 0..<\(classes) and \(notDontCare)"
    case let .noSuchField(name, has):
      return "the batch has no field '\(name)' (it has \(has.map { "'\($0)'" }.joined(separator: ", ")))"
    }
  }
}
