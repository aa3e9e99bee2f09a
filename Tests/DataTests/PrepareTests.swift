import Foundation
import XCTest
@testable import Data

final class PrepareTests: XCTestCase {
  private func idx(_ shape: [Int], _ values: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
    for d in shape { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
    return bytes + values
  }


  func testIDXParsing() throws {
    let array = try IDXArray(bytes: idx([2, 3], [1, 2, 3, 4, 5, 6]), name: "a.idx")
    XCTAssertEqual(array.shape, [2, 3])
    XCTAssertEqual(array.values, [1, 2, 3, 4, 5, 6])
    assertNamedError("b.idx", containing: "values for shape") { _ = try IDXArray(bytes: idx([2, 3], [1, 2]), name: "b.idx") }
    assertNamedError("c.idx", containing: "bad magic") { _ = try IDXArray(bytes: [1, 0, 8, 1], name: "c.idx") }
  }

  func testFashionClassNames() throws {
    XCTAssertEqual(try FashionMNIST.classIndex("Ankle boot"), 9)
    XCTAssertEqual(try FashionMNIST.classIndex("ankle_boot"), 9)
    XCTAssertEqual(try FashionMNIST.classIndex("T-shirt/top"), 0)
    XCTAssertEqual(try FashionMNIST.classIndex("sneaker"), 7)
    XCTAssertEqual(try FashionMNIST.classIndex("3"), 3)
    XCTAssertThrowsError(try FashionMNIST.classIndex("hat"))
  }

  /// Six 28×28 training images (labels 7 9 7 0 9 7) and two test ones; sneakers (7) → A, ankle boots (9) → B.
  /// A Fashion-MNIST source folder of 6 training images (labels 7 9 7 0 9 7) and 2 test images (9 7); returns the
  /// folder and the training pixels.
  private func syntheticFashionSource() throws -> (String, [UInt8]) {
    let source = try temporaryFolder(self)
    let labels: [UInt8] = [7, 9, 7, 0, 9, 7]
    var pixels: [UInt8] = []
    for i in 0..<6 { for p in 0..<784 { pixels.append(UInt8((p * 3 + i * 40) % 256)) } }
    try writeGzip(idx([6, 28, 28], pixels), source + "/train-images-idx3-ubyte")
    try writeGzip(idx([6], labels), source + "/train-labels-idx1-ubyte")
    try writeGzip(idx([2, 28, 28], Array(pixels[0..<(2 * 784)])), source + "/t10k-images-idx3-ubyte")
    try writeGzip(idx([2], [9, 7]), source + "/t10k-labels-idx1-ubyte")
    return (source, pixels)
  }

  /// fashion-labels: per class and split the first images, each as a label map (0 background, class + 1 where the
  /// pixel is ≥ the threshold) and the image, named alike; a second run into the same folder is refused.
  func testFashionLabelsWriteSilhouettesByClass() throws {
    let (source, pixels) = try syntheticFashionSource()
    let out = try temporaryFolder(self) + "/labels"
    var options = FashionLabels.Options()
    (options.source, options.trainPerClass, options.testPerClass, options.threshold) = (source, 2, 1, 100)
    let counts = try FashionLabels.prepare(out: out, options: options)
    // Training labels 7 9 7 0 9 7: two per class at most → indices 0 1 2 3 4; test 9 7 → both.
    XCTAssertEqual(counts, ["train_label": 5, "train_img": 5, "test_label": 2, "test_img": 2])
    let label = try ImageFile.loadIds(out + "/train_label/train_00001.png")
    let image = try ImageFile.load(out + "/train_img/train_00001.png", channels: 1)
    XCTAssertEqual(label.width, 32)
    // Image 1 is an ankle boot (label 9): id 10 on its silhouette, 0 elsewhere (the canvas border too).
    let original = Array(pixels[784..<1568])
    XCTAssertEqual(label.ids[2 * 32 + 2], original[0] >= 100 ? 10 : 0)
    XCTAssertEqual(Set(label.ids), [0, 10])
    XCTAssertEqual(zip(label.ids, image.pixels).filter { ($0 == 10) != ($1 >= 100) }.count, 0)
    XCTAssertThrowsError(try FashionLabels.prepare(out: out, options: options)) { error in
      XCTAssertTrue("\(error)".contains("already holds"), "\(error)")
    }
  }

  /// `examples` skips and limits per class, in file order (the evaluation classifier trains on what the
  /// embedded set leaves out this way).
  func testFashionExamplesSkipAndLimitPerClass() throws {
    let (source, _) = try syntheticFashionSource()
    let all = try FashionMNIST.examples(split: "train", classes: [7, 9], source: source)
    XCTAssertEqual(all.map(\.index), [0, 1, 2, 4, 5])
    XCTAssertEqual(all.map(\.label), [7, 9, 7, 9, 7])
    let rest = try FashionMNIST.examples(split: "train", classes: [7, 9], skip: 1, source: source)
    XCTAssertEqual(rest.map(\.index), [2, 4, 5])
    let some = try FashionMNIST.examples(split: "train", classes: [7, 9], skip: 1, limit: 1, source: source)
    XCTAssertEqual(some.map(\.index), [2, 4])
    XCTAssertEqual(try FashionMNIST.examples(split: "test", classes: [7], source: source).map(\.index), [1])
    XCTAssertEqual(all[0].image.width, 32)
    XCTAssertThrowsError(try FashionMNIST.examples(split: "val", classes: [7], source: source))
  }

  func testFashionPrepareWritesPaddedClassFolders() throws {
    let (source, pixels) = try syntheticFashionSource()
    let out = try temporaryFolder(self) + "/set"
    var options = FashionMNIST.Options()
    options.source = source
    options.trainLimit = 2
    let counts = try FashionMNIST.prepare(out: out, options: options)
    XCTAssertEqual(counts, ["trainA": 2, "trainB": 2, "testA": 1, "testB": 1])
    XCTAssertEqual(try ImageFolder.list(out + "/trainA").map { URL(fileURLWithPath: $0).lastPathComponent },
                   ["train_00000.png", "train_00002.png"])
    let image = try ImageFile.read(out + "/trainB/train_00004.png")
    XCTAssertEqual([image.width, image.height, image.channels, image.bitDepth], [32, 32, 1, 8])
    for y in 0..<32 { for x in 0..<32 {
      let inside = (2..<30).contains(x) && (2..<30).contains(y)
      let source: Int = 4 * 784 + (y - 2) * 28 + (x - 2)
      let expected: UInt16 = inside ? UInt16(pixels[source]) : 0
      XCTAssertEqual(image.samples[y * 32 + x], expected)
    } }
    // A second run into the same folder refuses to mix files.
    XCTAssertThrowsError(try FashionMNIST.prepare(out: out, options: options))
  }

  func testMissingPackagesSayWhatToInstall() throws {
    var fashion = FashionMNIST.Options()
    fashion.source = "/nonexistent/fashion-mnist"
    XCTAssertThrowsError(try FashionMNIST.prepare(out: try temporaryFolder(self), options: fashion)) { error in
      XCTAssertTrue("\(error)".contains("apt-get install dataset-fashion-mnist"), "\(error)")
    }
    var wallpapers = PlasmaWallpapers.Options()
    wallpapers.source = "/nonexistent/wallpapers"
    XCTAssertThrowsError(try PlasmaWallpapers.prepare(out: try temporaryFolder(self), options: wallpapers)) { error in
      XCTAssertTrue("\(error)".contains("apt-get install plasma-workspace-wallpapers"), "\(error)")
    }
  }

  /// Two photos and two illustrations (the largest real file of each, symlinks ignored), cut into patches.
  func testWallpaperPatches() throws {
    let source = try temporaryFolder(self), out = try temporaryFolder(self) + "/set"
    for (name, size) in [("Kite", (48, 30)), ("Path", (48, 30)), ("Altai", (96, 60)), ("Volna", (48, 30))] {
      let folder = source + "/\(name)/contents/images"
      let file = try writeImage(testImage(width: size.0, height: size.1, channels: 3), folder, "\(size.0)x\(size.1).png")
      try writeImage(testImage(width: 8, height: 8, channels: 3), folder, "10x10.png")
      try FileManager.default.createSymbolicLink(atPath: folder + "/9000x9000.png", withDestinationPath: file)
    }
    var options = PlasmaWallpapers.Options()
    options.source = source
    options.width = 24
    options.patch = 8
    options.testEvery = 2
    let counts = try PlasmaWallpapers.prepare(out: out, options: options)
    // Each wallpaper → 24×15 → 3×1 patches; the second of each domain goes to test.
    XCTAssertEqual(counts, ["trainA": 3, "testA": 3, "trainB": 3, "testB": 3])
    XCTAssertEqual(try ImageFolder.list(out + "/trainB").map { URL(fileURLWithPath: $0).lastPathComponent },
                   ["Altai_00_00.png", "Altai_00_01.png", "Altai_00_02.png"])
    let expected = testImage(width: 96, height: 60, channels: 3).resized(width: 24, height: 15).cropped(x: 8, y: 0, width: 8, height: 8)
    XCTAssertEqual(try ImageFile.load(out + "/trainB/Altai_00_01.png", channels: 3), expected)
  }
}
