import Data
import Foundation
import NN
import Tensors

/// Trains the `ImageClassifier` of `i2i eval` on Fashion-MNIST images that the embedded set does not contain
/// (`data/fashion-shoes` holds the first 400 training and the first 100 test images of each class), and measures
/// it on held-out test images. Deterministic for a seed: the weights come from one keyed random stream, the batch
/// order from another.
public enum ClassifierTraining {
  public struct Options: Sendable {
    /// Fashion-MNIST class ids, in logit order.
    public var classes = [7, 9]  // sneaker, ankle boot
    public var source = FashionMNIST.defaultSource
    /// The first `skipTrain` training and `skipTest` test images of each class are left out (the embedded set's).
    public var skipTrain = 400, skipTest = 100
    public var size = 32
    public var epochs = 10, batchSize = 64
    public var learningRate: Float = 1e-3
    public var seed: UInt64 = 1
    public init() {}
  }

  public struct Report: Sendable {
    public let trainImages: Int, testImages: Int
    /// Fraction of the held-out test images classified correctly.
    public let testAccuracy: Double
    /// Root mean square of the features over the held-out test images (KID's scale).
    public let featureRMS: Float
  }

  public static func train(_ options: Options, log: (String) -> Void = { _ in }) throws -> (ImageClassifier, Report) {
    let train = try FashionMNIST.examples(split: "train", classes: options.classes, size: options.size,
                                          skip: options.skipTrain, source: options.source)
    let test = try FashionMNIST.examples(split: "test", classes: options.classes, size: options.size,
                                         skip: options.skipTest, source: options.source)
    guard !train.isEmpty, !test.isEmpty else {
      throw DataError.invalidOption("no Fashion-MNIST images of classes \(options.classes) after skipping the first "
                                    + "\(options.skipTrain) training / \(options.skipTest) test images of each class")
    }
    let classifier = ImageClassifier(inputChannels: 1, classCount: options.classes.count)
    var weights = RandomStream(seed: options.seed, key: [0xC1A5, 1])
    classifier.initWeights(.kaimingNormal, rng: &weights)
    let optimizer = Adam(classifier.parameters(), lr: options.learningRate)
    let labelOf = Dictionary(uniqueKeysWithValues: options.classes.enumerated().map { ($1, $0) })
    for epoch in 0..<options.epochs {
      var order = RandomStream(seed: options.seed, key: [0xC1A5, 2, UInt64(epoch)])
      let permutation = order.permutation(train.count)
      var lossSum = 0.0, batches = 0
      for start in stride(from: 0, to: train.count, by: options.batchSize) {
        let picked = permutation[start..<min(start + options.batchSize, train.count)].map { train[$0] }
        let loss = crossEntropy(classifier(batchTensor(picked.map(\.image))), targets: picked.map { labelOf[$0.label]! })
        optimizer.zeroGrad()
        try loss.backward()
        optimizer.step()
        lossSum += Double(loss.item)
        batches += 1
      }
      log("epoch \(epoch + 1)/\(options.epochs): mean cross-entropy \(String(format: "%.4f", lossSum / Double(batches)))")
    }
    let predicted = predict(classifier, test.map(\.image))
    let correct = zip(predicted, test).filter { $0 == labelOf[$1.label]! }.count
    let features = Self.features(classifier, test.map(\.image))
    let rms = Float((features.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(features.count)).squareRoot())
    return (classifier, Report(trainImages: train.count, testImages: test.count,
                               testAccuracy: Double(correct) / Double(test.count), featureRMS: rms))
  }

  /// The class index (into the classifier's classes) of each image, in batches of 100, without gradients.
  public static func predict(_ classifier: ImageClassifier, _ images: [Image]) -> [Int] {
    batched(images) { classifier($0) }.flatMap(argmaxRows)
  }

  /// The index of the largest logit of each row of (N, classes).
  static func argmaxRows(_ logits: Tensor) -> [Int] {
    (0..<logits.shape[0]).map { row in
      let values = (0..<logits.shape[1]).map { logits.storage.base[row * logits.shape[1] + $0] }
      return values.indices.max { values[$0] < values[$1] }!
    }
  }

  /// The (N × 64) features of `images`, row-major.
  public static func features(_ classifier: ImageClassifier, _ images: [Image]) -> [Float] {
    batched(images) { classifier.features($0) }.flatMap { Array(UnsafeBufferPointer(start: $0.storage.base, count: $0.count)) }
  }

  /// `body` on batches of at most 100 images, without gradients.
  static func batched(_ images: [Image], _ body: (Tensor) -> Tensor) -> [Tensor] {
    stride(from: 0, to: images.count, by: 100).map { start in
      noGrad { body(batchTensor(Array(images[start..<min(start + 100, images.count)]))) }
    }
  }

  /// Images of one size → (N, C, H, W) in [−1, 1].
  static func batchTensor(_ images: [Image]) -> Tensor {
    let first = images[0]
    let plane = first.channels * first.height * first.width
    let batch = Tensor(uninitialized: [images.count, first.channels, first.height, first.width])
    for (n, image) in images.enumerated() {
      precondition(image.width == first.width && image.height == first.height && image.channels == first.channels,
                   "batchTensor: images of different sizes")
      let t = image.tensor()
      (batch.storage.base + n * plane).update(from: t.storage.base, count: plane)
    }
    batch.storage.markModified()
    return batch
  }
}
