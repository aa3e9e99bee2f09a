// swift-tools-version:6.0
import PackageDescription

// Layers (see DESIGN.md): i2i → NN → Tensors → system libraries. A target imports only the ones below it.
let release: [SwiftSetting] = []

let package = Package(
  name: "swift-i2i",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "i2i", targets: ["i2i"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),

    .target(name: "Tensors", dependencies: ["CBLAS"], swiftSettings: release),
    .target(name: "NN", dependencies: ["Tensors"], swiftSettings: release),
    // NOTE: libjpeg reports errors by calling error_exit, which must not return; Swift cannot longjmp, so the
    // decode runs inside this C shim's setjmp. It also exposes zlib for the gzip'd IDX files of `data prepare`.
    .target(name: "CImageShim", dependencies: ["CJPEG"], linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("z")]),
    .target(name: "Data", dependencies: ["Tensors", "CPNG", "CJPEG", "CImageShim"], swiftSettings: release),
    // NOTE: the replica context protocol and its single-process implementation have a target without MPI, so that
    // Models (and Training, and their tests) cannot reach MPI: only i2i and the multi-rank tests link Distributed.
    .target(name: "Replicas", dependencies: ["Tensors", "NN"], swiftSettings: release),
    .target(name: "Distributed", dependencies: ["Tensors", "NN", "Replicas", "CMPI"], swiftSettings: release),
    .target(name: "Models", dependencies: ["Tensors", "NN", "Replicas"], swiftSettings: release),
    .target(name: "Evaluation", dependencies: ["Tensors", "NN", "Data"], swiftSettings: release),
    .target(name: "Training", dependencies: ["Tensors", "NN", "Data", "Replicas", "Models"], swiftSettings: release),
    .executableTarget(
      name: "i2i",
      dependencies: [
        "Tensors", "NN", "Data", "Replicas", "Distributed", "Models", "Training", "Evaluation",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: release),

    .executableTarget(name: "i2i-mpi-tests", dependencies: ["Distributed", "Replicas", "Models", "NN", "Tensors"],
                     path: "Tests/MultiRank"),
    .target(name: "TestSupport", dependencies: ["Tensors", "NN"], path: "Tests/TestSupport"),
    .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "Tensors", "TestSupport"]),
    .testTarget(name: "DataTests", dependencies: ["Data", "Tensors", "TestSupport"], exclude: ["Resources"]),
    .testTarget(name: "ReplicasTests", dependencies: ["Replicas", "Tensors", "TestSupport"]),
    .testTarget(name: "ModelsTests", dependencies: ["Models", "NN", "Tensors", "Replicas", "TestSupport"]),
    .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Data", "NN", "Tensors", "TestSupport"]),
    .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "Data", "Replicas", "NN", "Tensors", "TestSupport"]),
  ],
  swiftLanguageModes: [.v5]
)
