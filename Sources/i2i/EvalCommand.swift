import ArgumentParser
import Data
import Evaluation
import Foundation
import Tensors

/// `i2i eval`: measure translation quality with a classifier trained on images outside the training set.
struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval", abstract: "Measure translation quality (class judged by a classifier, KID; L1, PSNR, SSIM against ground truth).",
    discussion: """
      The committed classifier data/classifiers/fashion-shoes.safetensors was made by `i2i eval classifier` with its
      defaults: Fashion-MNIST sneakers and ankle boots (Debian's \(FashionMNIST.package)) without the images that
      data/fashion-shoes holds. Score a translation with, e.g.:
        i2i eval score --images results/fashion-shoes-cyclegan/AtoB --class ankle-boot --real data/fashion-shoes/testB
      """,
    subcommands: [TrainClassifier.self, Score.self, Paired.self])

  struct TrainClassifier: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "classifier",
      abstract: "Train the evaluation classifier on Fashion-MNIST images that the embedded set does not contain.")

    @Option(help: "Where to write the classifier (safetensors).") var out: String
    @Option(help: "Where the IDX files are (default: the \(FashionMNIST.package) install location).") var source: String?
    @Option(help: "Comma-separated Fashion-MNIST classes (names or 0-9), in logit order.") var classes = "sneaker,ankle-boot"
    @Option(help: "Leave out the first N training images of each class (data/fashion-shoes holds the first 400).")
    var skipTrain = 400
    @Option(help: "Leave out the first N test images of each class (data/fashion-shoes holds the first 100).")
    var skipTest = 100
    @Option(help: "Training epochs.") var epochs = 10
    @Option(help: "Seed of the initial weights and the batch order.") var seed: UInt64 = 1
    @Option(help: "Compute threads (0: all cores).") var threads = 0

    func validate() throws {
      for (name, value, range) in [("--skip-train", skipTrain, 0...Int.max), ("--skip-test", skipTest, 0...Int.max),
                                   ("--epochs", epochs, 1...1000), ("--threads", threads, 0...4096)]
      where !range.contains(value) {
        throw ValidationError("\(name): must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
      }
    }

    func run() throws {
      if threads > 0 { ComputeThreads.set(threads) }
      var options = ClassifierTraining.Options()
      options.classes = try classes.split(separator: ",").map { try FashionMNIST.classIndex(String($0)) }
      guard options.classes.count >= 2, Set(options.classes).count == options.classes.count else {
        throw ValidationError("--classes: needs at least two different classes, got '\(classes)'")
      }
      if let source { options.source = source }
      options.skipTrain = skipTrain
      options.skipTest = skipTest
      options.epochs = epochs
      options.seed = seed
      let (classifier, report) = try ClassifierTraining.train(options) { print($0) }
      let names = options.classes.map { FashionMNIST.classes[$0] }
      let accuracy = String(format: "%.4f", report.testAccuracy)
      try ClassifierFile(classifier: classifier, classes: names, featureRMS: report.featureRMS, metadata: [
        "source": "Fashion-MNIST (\(FashionMNIST.package))", "skip_train": String(skipTrain),
        "skip_test": String(skipTest), "train_images": String(report.trainImages),
        "test_images": String(report.testImages), "test_accuracy": accuracy, "epochs": String(epochs),
        "seed": String(seed),
      ]).save(to: out)
      print("\(out): \(names.joined(separator: " vs ")), trained on \(report.trainImages) images; held-out test "
            + "accuracy \(accuracy) on \(report.testImages) images")
    }
  }

  struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Judge a folder of translated images: the fraction classified as --class, and KID against --real.")

    @Option(help: "The classifier (written by `i2i eval classifier`).")
    var classifier = "data/classifiers/fashion-shoes.safetensors"
    @Option(help: "Folder of translated images (searched recursively; all of one size).") var images: String
    @Option(name: .customLong("class"), help: "The class the images should show (one of the classifier's).")
    var target: String
    @Option(help: "Folder of real images of that class, for KID.") var real: String?
    @Option(help: "Compute threads (0: all cores).") var threads = 0

    func run() throws {
      if threads > 0 { ComputeThreads.set(threads) }
      let file = try ClassifierFile.load(classifier)
      let key = target.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: " ", with: "-")
      guard let index = file.classes.firstIndex(of: key) else {
        throw ValidationError("--class: '\(target)' is not one of \(classifier)'s classes (\(file.classes.joined(separator: ", ")))")
      }
      let score = try TranslationScore.measure(file, folder: images, target: index, realFolder: real)
      var line = "\(images): \(score.images) images, judged \(file.classes[index]) "
        + String(format: "%.3f (%d/%d)", score.judgedFraction, score.judgedTarget, score.images)
      if let kid = score.kid, let real {
        line += String(format: ", KID×10³ vs %@ (%d images) %.3f", real, score.realImages, kid * 1000)
      }
      print(line)
      print("eval: judged=\(String(format: "%.4f", score.judgedFraction)) kid1e3="
            + (score.kid.map { String(format: "%.4f", $0 * 1000) } ?? "none"))
    }
  }

  struct Paired: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Score translations against ground truth of the same names: L1, PSNR and SSIM (Wang et al. 2004).")

    @Option(help: "Folder of translated images.") var images: String
    @Option(help: "Folder of the ground-truth images, the same file names.") var real: String

    func run() throws {
      let (s, n) = try PairedMetrics.folders(images, reference: real)
      print(String(format: "%@ against %@: %d images, L1 %.4f, PSNR %.2f dB, SSIM %.4f", images, real, n, s.l1, s.psnr, s.ssim))
      print(String(format: "eval: l1=%.5f psnr=%.3f ssim=%.5f", s.l1, s.psnr, s.ssim))
    }
  }
}
