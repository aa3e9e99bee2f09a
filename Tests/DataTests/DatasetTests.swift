import Foundation
import XCTest
@testable import Data
import Tensors

final class DatasetTests: XCTestCase {
  /// root/trainA: 5 RGB images (one in a subfolder, plus a non-image), root/trainB: 3 gray images.
  private func unpairedRoot() throws -> String {
    let root = try temporaryFolder(self)
    for i in 0..<4 { try writeImage(testImage(width: 12, height: 10, channels: 3, seed: i), root + "/trainA", "a\(i).png") }
    try writeImage(testImage(width: 12, height: 10, channels: 3, seed: 4), root + "/trainA/more", "a4.png")
    try Data("notes".utf8).write(to: URL(fileURLWithPath: root + "/trainA/README.txt"))
    for i in 0..<3 { try writeImage(testImage(width: 11, height: 9, channels: 1, seed: 10 + i), root + "/trainB", "b\(i).png") }
    return root
  }

  func testImageFolderListsRecursivelySortedAndReportsProblems() throws {
    let root = try unpairedRoot()
    let files = try ImageFolder.list(root + "/trainA")
    XCTAssertEqual(files.map { String($0.dropFirst(root.count)) },
                   ["/trainA/a0.png", "/trainA/a1.png", "/trainA/a2.png", "/trainA/a3.png", "/trainA/more/a4.png"])
    XCTAssertEqual(try ImageFolder.list(root + "/trainA", limit: 2).count, 2)
    assertNamedError(root + "/nope", containing: "no such folder") { _ = try ImageFolder.list(root + "/nope") }
    try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: false)
    assertNamedError(root + "/empty", containing: "no images") { _ = try ImageFolder.list(root + "/empty") }
    try Data([0x42, 0x4D]).write(to: URL(fileURLWithPath: root + "/trainB/x.bmp"))
    assertNamedError(root + "/trainB/x.bmp", containing: "not supported") { _ = try ImageFolder.list(root + "/trainB") }
  }

  func testUnalignedPairing() throws {
    let root = try unpairedRoot()
    let transform = TransformOptions(preprocess: .crop, cropSize: 8)
    let serial = try UnalignedDataset(root: root, kindB: .image(channels: 1), transform: transform, serialBatches: true)
    XCTAssertEqual(serial.count, 5)
    var partners = Set<Int>()
    let random = try UnalignedDataset(root: root, kindB: .image(channels: 1), transform: transform)
    for position in 0..<40 {
      let slot = SampleSlot(epoch: 0, position: position, index: position % 5)
      let sample = try serial.sample(slot, seed: 3)
      XCTAssertEqual(sample.fields["A"]?.path, serial.pathsA[slot.index])
      XCTAssertEqual(sample.fields["B"]?.path, serial.pathsB[slot.index % 3])
      XCTAssertEqual(sample.fields["A"]?.image.channels, 3)
      XCTAssertEqual(sample.fields["B"]?.image.channels, 1)
      partners.insert(random.partner(slot, seed: 3))
      XCTAssertEqual(random.partner(slot, seed: 3), random.partner(slot, seed: 3))
    }
    XCTAssertEqual(partners, [0, 1, 2], "random partners cover B")
    // A sample is a pure function of (slot, seed).
    let slot = SampleSlot(epoch: 2, position: 7, index: 3)
    let first = try random.sample(slot, seed: 9), again = try random.sample(slot, seed: 9)
    XCTAssertEqual(first.fields["A"]?.image, again.fields["A"]?.image)
    XCTAssertEqual(first.fields["B"]?.image, again.fields["B"]?.image)
  }

  func testTestPhaseFallsBackToValFolders() throws {
    let root = try temporaryFolder(self)
    try writeImage(testImage(width: 8, height: 8, channels: 3), root + "/valA", "a.png")
    try writeImage(testImage(width: 8, height: 8, channels: 3), root + "/valB", "b.png")
    let dataset = try UnalignedDataset(root: root, phase: "test", transform: TransformOptions(preprocess: .none))
    XCTAssertTrue(dataset.pathsA[0].hasSuffix("/valA/a.png"))
    assertNamedError(root + "/trainA", containing: "no such folder") { _ = try UnalignedDataset(root: root) }
  }

  /// Side-by-side AB whose halves are equal: A and B come out equal, so they shared the crop and the flip.
  func testAlignedSideBySideSharesCropAndFlip() throws {
    let root = try temporaryFolder(self)
    let half = testImage(width: 10, height: 9, channels: 3)
    // Each row: A's row, the same row again, and an extra pixel (an odd width gives B the extra column, which
    // A's crop window never reaches).
    var pixels: [UInt8] = []
    for y in 0..<9 { let row = half.pixels[(y * 30)..<((y + 1) * 30)]; pixels += row + row + [1, 2, 3] }
    try writeImage(Image(width: 21, height: 9, channels: 3, pixels: pixels), root + "/train", "ab.png")
    let dataset = try AlignedDataset(root: root, transform: TransformOptions(preprocess: .crop, cropSize: 4))
    var startsAtOrigin = Set<Bool>()
    for position in 0..<30 {
      let sample = try dataset.sample(SampleSlot(epoch: 0, position: position, index: 0), seed: 1)
      XCTAssertEqual(sample.fields["A"]?.image, sample.fields["B"]?.image)
      startsAtOrigin.insert(sample.fields["A"]!.image.pixels[0] == half.pixels[0])
    }
    XCTAssertEqual(dataset.count, 1)
    XCTAssertEqual(startsAtOrigin.count, 2, "different slots draw different crops")
  }

  func testAlignedFoldersMatchByNameWithLabelMaps() throws {
    let root = try temporaryFolder(self)
    try writeImage(testImage(width: 8, height: 8, channels: 3), root + "/trainA", "x.png")
    try writeImage(testImage(width: 8, height: 8, channels: 3, seed: 1), root + "/trainA/sub", "y.png")
    let ids = Image(width: 8, height: 8, channels: 1, pixels: (0..<64).map { UInt8($0 % 5) })
    try writeImage(ids, root + "/trainB", "x.png")
    try writeImage(ids, root + "/trainB/sub", "y.png")
    let dataset = try AlignedDataset(root: root, kindB: .labelMap, transform: TransformOptions(preprocess: .none, flip: false))
    XCTAssertEqual(dataset.pairs.map { URL(fileURLWithPath: $0.b!).lastPathComponent }, ["y.png", "x.png"], "sorted by path: sub/y before x")
    let sample = try dataset.sample(SampleSlot(epoch: 0, position: 0, index: 0), seed: 1)
    let batch = try Batch(stacking: [sample], slots: [SampleSlot(epoch: 0, position: 0, index: 0)], cursor: SamplerCursor())
    XCTAssertEqual(batch["B"].shape, [1, 1, 8, 8])
    XCTAssertEqual(batch["B"].scalars, ids.pixels.map { Float($0) })
    XCTAssertEqual(batch["A"].shape, [1, 3, 8, 8])

    try writeImage(ids, root + "/trainB", "z.png")
    XCTAssertThrowsError(try AlignedDataset(root: root)) { error in
      XCTAssertEqual("\(error)", "paired folders do not match by file name; only in \(root)/trainB: z.png")
    }
  }

  func testSingleDatasetAndBatchSizeMismatch() throws {
    let root = try temporaryFolder(self)
    try writeImage(testImage(width: 8, height: 8, channels: 3), root, "a.png")
    let odd = try writeImage(testImage(width: 12, height: 8, channels: 3), root, "b.png")
    let dataset = try SingleDataset(folder: root, transform: TransformOptions(preprocess: .none, flip: false))
    let slots = (0..<2).map { SampleSlot(epoch: 0, position: $0, index: $0) }
    let samples = try slots.map { try dataset.sample($0, seed: 1) }
    XCTAssertEqual(samples[0].fields["A"]?.image, testImage(width: 8, height: 8, channels: 3))
    assertNamedError(odd, containing: "does not match") { _ = try Batch(stacking: samples, slots: slots, cursor: SamplerCursor()) }
  }
}
