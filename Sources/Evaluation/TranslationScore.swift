import Data
import Foundation
import Tensors

/// How well a folder of translated images shows the target class: the fraction the classifier judges to be of
/// that class, and the KID between their classifier features and those of real images of the class.
public struct TranslationScore: Sendable {
  public let images: Int
  public let judgedTarget: Int
  public var judgedFraction: Double { Double(judgedTarget) / Double(images) }
  /// KID(translated, real) in the classifier's features; nil without a real folder.
  public let kid: Double?
  public let realImages: Int

  /// Scores every image file in `folder` (sorted by name) against class `target` (an index into the classifier's
  /// classes) and, when given, the real images in `realFolder`. Images are read as `channels`-channel images of the
  /// classifier's input size; a file of another size is an error naming it.
  public static func measure(_ file: ClassifierFile, folder: String, target: Int, realFolder: String?) throws
    -> TranslationScore {
    let translated = try loadImages(folder, channels: file.classifier.inputChannels)
    // One classifier pass: the classes come from the same features KID uses.
    let featureBatches = ClassifierTraining.batched(translated) { file.classifier.features($0) }
    let predicted = featureBatches.flatMap { batch in ClassifierTraining.argmaxRows(noGrad { file.classifier.fc(batch) }) }
    let judged = predicted.filter { $0 == target }.count
    guard let realFolder else { return TranslationScore(images: translated.count, judgedTarget: judged, kid: nil, realImages: 0) }
    let real = try loadImages(realFolder, channels: file.classifier.inputChannels)
    let kid = KID.squaredMMD(scaled(featureBatches, file), features(file, real), features: ImageClassifier.featureCount)
    return TranslationScore(images: translated.count, judgedTarget: judged, kid: kid, realImages: real.count)
  }

  /// The classifier's features of `images`, divided by the file's `featureRMS`, so that x·y/d is of order 1 as
  /// for the Inception features KID was defined on (raw, the cubic kernel's values and the estimate's spread grow
  /// with the sixth power of the features' scale).
  static func features(_ file: ClassifierFile, _ images: [Image]) -> [Float] {
    scaled(ClassifierTraining.batched(images) { file.classifier.features($0) }, file)
  }

  /// Feature batches as one row-major array, divided by the file's `featureRMS`.
  static func scaled(_ batches: [Tensor], _ file: ClassifierFile) -> [Float] {
    batches.flatMap { UnsafeBufferPointer(start: $0.storage.base, count: $0.count).map { $0 / file.featureRMS } }
  }

  /// All images of `folder`: at least 2, all of the classifier's input size.
  static func loadImages(_ folder: String, channels: Int) throws -> [Image] {
    let paths = try ImageFolder.list(folder)
    guard paths.count >= 2 else { throw DataError.invalidOption("\(folder): needs at least 2 images, found \(paths.count)") }
    let images = try paths.map { try ImageFile.load($0, channels: channels) }
    for (path, image) in zip(paths, images) where image.width != images[0].width || image.height != images[0].height {
      throw DataError.badImage(path: path, reason: "is \(image.sizeDescription), the first image of \(folder) "
                               + "\(images[0].sizeDescription); score folders of one size")
    }
    let side = ImageClassifier.inputSide
    guard images[0].width == side && images[0].height == side else {
      throw DataError.badImage(path: paths[0], reason: "\(images[0].sizeDescription): the classifier judges \(side)×\(side) images")
    }
    return images
  }
}
