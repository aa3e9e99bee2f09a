import Data
import Foundation
import NN
import Tensors
import TestSupport
import XCTest
@testable import Evaluation

final class KIDTests: XCTestCase {
  /// One feature (d = 1), k(u, v) = (u·v + 1)³, worked by hand:
  /// x = {0, 1}: k(0, 1) = 1, so the within-x mean over i ≠ j is 1;
  /// y = {1, 2}: k(1, 2) = 27, within-y mean 27;
  /// cross: k(0,1) + k(0,2) + k(1,1) + k(1,2) = 1 + 1 + 8 + 27 = 37, times 2/(2·2) = 18.5.
  /// MMD² = 1 + 27 − 18.5 = 9.5 (exact in Double).
  func testHandWorkedValue() {
    XCTAssertEqual(KID.squaredMMD([0, 1], [1, 2], features: 1), 9.5)
  }

  /// Symmetric in its two sets, zero in expectation for samples of one distribution and growing with a shift.
  func testSymmetryAndShift() {
    var rng = RandomStream(seed: 3, key: [1])
    let d = 8, n = 200
    let x = (0..<(n * d)).map { _ in rng.nextNormal() }
    let y = (0..<(n * d)).map { _ in rng.nextNormal() }
    let same = KID.squaredMMD(x, y, features: d)
    XCTAssertEqual(same, KID.squaredMMD(y, x, features: d), accuracy: 1e-12 * abs(same) + 1e-15)
    let shifted = y.map { $0 + 0.5 }
    let far = KID.squaredMMD(x, shifted, features: d)
    // Two samples of N(0, I): the estimate's spread is ~1e-2 here; a 0.5 shift in every feature gives ≈ 0.3.
    XCTAssertLessThan(abs(same), 0.05)
    XCTAssertGreaterThan(far, 10 * abs(same))
  }
}

final class ClassifierTests: XCTestCase {
  static let committed = packageRoot() + "/data/classifiers/fashion-shoes.safetensors"

  /// The committed classifier on the embedded test images, which it never saw (it trains on Fashion-MNIST without
  /// the first 400 training and the first 100 test images of each class, which is what data/fashion-shoes holds):
  /// measured 99/100 sneakers and 94/100 boots (held-out accuracy 0.974 on 1800 test images). The images and weights
  /// are fixed, so only an image whose two logits are within rounding of each other could change its verdict on
  /// another machine; ≥ 0.90 leaves room for 4 such flips and still fails a broken classifier (chance is 0.5).
  func testCommittedClassifierJudgesRealTestImages() throws {
    let file = try ClassifierFile.load(Self.committed)
    XCTAssertEqual(file.classes, ["sneaker", "ankle-boot"])
    let data = packageRoot() + "/data/fashion-shoes"
    let sneakers = try TranslationScore.measure(file, folder: data + "/testA", target: 0, realFolder: data + "/trainA")
    let boots = try TranslationScore.measure(file, folder: data + "/testB", target: 1, realFolder: data + "/trainB")
    XCTAssertGreaterThanOrEqual(sneakers.judgedFraction, 0.90)
    XCTAssertGreaterThanOrEqual(boots.judgedFraction, 0.90)
    // The features separate the classes: real test sneakers are far closer to real training sneakers than to boots.
    let crossed = try TranslationScore.measure(file, folder: data + "/testA", target: 0, realFolder: data + "/trainB")
    XCTAssertLessThan(sneakers.kid!, crossed.kid! / 10, "KID(test sneakers, train sneakers) vs KID(test sneakers, boots)")
    XCTAssertLessThan(boots.kid!, crossed.kid! / 10)
  }

  func testNotAClassifierIsANamedError() throws {
    let path = try temporaryFolder(self) + "/weights.safetensors"
    try SafeTensors.write([("w", Tensor([1, 2], [2]))], to: URL(fileURLWithPath: path))
    XCTAssertThrowsError(try ClassifierFile.load(path)) { error in
      XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("i2i eval classifier"), "\(error)")
    }
  }

  func testMixedSizesAreANamedError() throws {
    let folder = try temporaryFolder(self)
    try ImageFile.writePNG(Image(width: 32, height: 32, channels: 1, pixels: .init(repeating: 9, count: 1024)),
                           to: folder + "/a.png")
    try ImageFile.writePNG(Image(width: 28, height: 28, channels: 1, pixels: .init(repeating: 9, count: 784)),
                           to: folder + "/b.png")
    let file = ClassifierFile(classifier: ImageClassifier(classCount: 2), classes: ["x", "y"], featureRMS: 1,
                              metadata: [:])
    XCTAssertThrowsError(try TranslationScore.measure(file, folder: folder, target: 0, realFolder: nil)) { error in
      XCTAssertTrue("\(error)".contains(folder + "/b.png"), "\(error)")
    }
  }

  /// A few steps on two separable synthetic classes (bright upper half vs bright lower half) learn them: the
  /// training loop and the gradients through the classifier work.
  func testLearnsTwoSeparableClasses() throws {
    func image(_ upper: Bool, _ k: Int) -> Image {
      var pixels = [UInt8](repeating: 0, count: 1024)
      for y in 0..<32 { for x in 0..<32 where (y < 16) == upper { pixels[y * 32 + x] = UInt8(150 + (x * k) % 100) } }
      return Image(width: 32, height: 32, channels: 1, pixels: pixels)
    }
    let images = (0..<16).map { image($0 % 2 == 0, $0) }, labels = (0..<16).map { $0 % 2 }
    let classifier = ImageClassifier(classCount: 2)
    var rng = RandomStream(seed: 1, key: [5])
    classifier.initWeights(.kaimingNormal, rng: &rng)
    let optimizer = Adam(classifier.parameters(), lr: 1e-2)
    for _ in 0..<30 {
      let loss = crossEntropy(classifier(ClassifierTraining.batchTensor(images)), targets: labels)
      optimizer.zeroGrad()
      try loss.backward()
      optimizer.step()
    }
    XCTAssertEqual(ClassifierTraining.predict(classifier, images), labels)
  }
}
