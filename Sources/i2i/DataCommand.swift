import ArgumentParser
import Data

/// `i2i data`: prepare real data sets from system packages that carry the images.
struct DataCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data", abstract: "Prepare data sets.", subcommands: [Prepare.self])

  struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Build an unpaired data set (trainA, trainB, testA, testB) from a Debian package's images.",
      discussion: """
        fashion     two Fashion-MNIST classes, gray PNGs (apt-get install \(FashionMNIST.package))
        wallpapers  KDE photos (A) vs illustrations (B), RGB patches (apt-get install \(PlasmaWallpapers.package))
        """)

    enum Name: String, ExpressibleByArgument, CaseIterable { case fashion, wallpapers }

    @Argument(help: "fashion | wallpapers") var name: Name
    @Option(help: "Output folder (its train/test folders must not exist or be empty).") var out: String
    @Option(help: "Where the package's files are (default: the package's install location).") var source: String?

    @Option(name: .customLong("class-a"), help: "fashion: class of domain A (name or 0-9).") var classA = "sneaker"
    @Option(name: .customLong("class-b"), help: "fashion: class of domain B (name or 0-9).") var classB = "ankle-boot"
    @Option(help: "fashion: side of the square canvas the 28x28 images are centred on.") var size = 32
    @Option(help: "fashion: at most this many training images per domain (first in file order).") var trainLimit: Int?
    @Option(help: "fashion: at most this many test images per domain.") var testLimit: Int?

    @Option(help: "wallpapers: width each wallpaper is resized to before cutting.") var width = 640
    @Option(help: "wallpapers: side of the square patches.") var patch = 64
    @Option(help: "wallpapers: every n-th wallpaper of each domain goes to the test split.") var testEvery = 5

    func validate() throws {
      for (name, value, range) in [("--size", size, 28...1024), ("--train-limit", trainLimit ?? 0, 0...Int.max),
                                   ("--test-limit", testLimit ?? 0, 0...Int.max), ("--width", width, 16...8192),
                                   ("--patch", patch, 8...4096), ("--test-every", testEvery, 1...Int.max)]
      where !range.contains(value) {
        throw ValidationError("\(name): must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
      }
    }

    func run() throws {
      let counts: [String: Int]
      switch name {
      case .fashion:
        var options = FashionMNIST.Options()
        options.classA = try FashionMNIST.classIndex(classA)
        options.classB = try FashionMNIST.classIndex(classB)
        options.size = size
        options.trainLimit = trainLimit ?? .max
        options.testLimit = testLimit ?? .max
        if let source { options.source = source }
        counts = try FashionMNIST.prepare(out: out, options: options)
      case .wallpapers:
        var options = PlasmaWallpapers.Options()
        options.width = width
        options.patch = patch
        options.testEvery = testEvery
        if let source { options.source = source }
        counts = try PlasmaWallpapers.prepare(out: out, options: options)
      }
      let summary = counts.keys.sorted().map { "\($0)=\(counts[$0]!)" }.joined(separator: " ")
      print("prepared \(name.rawValue) in \(out): \(summary)")
    }
  }
}
