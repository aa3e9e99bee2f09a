import Foundation
import NN
import Tensors

/// An `ImageClassifier` saved as safetensors, with what it was trained on in the metadata (`classes` as
/// Fashion-MNIST names, `test_accuracy`, the skipped images), so that `i2i eval score` can name the classes.
public struct ClassifierFile {
  public let classifier: ImageClassifier
  /// Class names in logit order.
  public let classes: [String]
  public let metadata: [String: String]
  /// Root mean square of its features on held-out real images; `TranslationScore` divides features by it.
  public let featureRMS: Float

  /// A classifier file that cannot be used, and why.
  public struct Error: Swift.Error, CustomStringConvertible {
    public let path: String, reason: String
    public var description: String { "\(path): \(reason)" }
  }

  public init(classifier: ImageClassifier, classes: [String], featureRMS: Float, metadata: [String: String]) {
    self.classifier = classifier
    self.classes = classes
    self.featureRMS = featureRMS
    self.metadata = metadata
  }

  public func save(to path: String) throws {
    var meta = metadata
    meta["format"] = "i2i-eval-classifier"
    meta["classes"] = classes.joined(separator: ",")
    meta["input_channels"] = String(classifier.inputChannels)
    meta["feature_rms"] = String(featureRMS)
    try classifier.save(to: URL(fileURLWithPath: path), metadata: meta)
  }

  public static func load(_ path: String) throws -> ClassifierFile {
    let file = try SafeTensors.read(URL(fileURLWithPath: path))
    guard file.metadata["format"] == "i2i-eval-classifier", let names = file.metadata["classes"],
          let channels = file.metadata["input_channels"].flatMap(Int.init),
          let rms = file.metadata["feature_rms"].flatMap(Float.init), rms > 0 else {
      throw ClassifierFile.Error(path: path, reason: "not a classifier written by `i2i eval classifier` (no format, classes, "
                              + "input_channels or feature_rms in its metadata)")
    }
    let classes = names.split(separator: ",").map(String.init)
    guard classes.count >= 2 else { throw ClassifierFile.Error(path: path, reason: "names fewer than 2 classes: '\(names)'") }
    let classifier = ImageClassifier(inputChannels: channels, classCount: classes.count)
    do { try classifier.loadStateDict(file.tensors) } catch {
      throw ClassifierFile.Error(path: path, reason: "\(error)")
    }
    return ClassifierFile(classifier: classifier, classes: classes, featureRMS: rms, metadata: file.metadata)
  }
}
