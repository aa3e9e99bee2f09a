import Foundation
import XCTest
@testable import Data
import Tensors

/// The edge-map field of the label data sets: read from an edge folder paired by name, or computed at load by
/// `Canny` from the image; either way cropped and flipped with the label map, and written as one channel p/255.
final class EdgeFieldTests: XCTestCase {
  private let edgeField = BatchField("edge", .edgeMap)
  private let imageField = BatchField("image", .image(channels: 3))
  private let fixed = TransformOptions(preprocess: .none, flip: false)

  private func batch(_ dataset: any ImageDataset, _ index: Int, seed: UInt64 = 1) throws -> Batch {
    let slot = SampleSlot(epoch: 0, position: index, index: index)
    return try Batch(stacking: [try dataset.sample(slot, seed: seed)], slots: [slot], cursor: SamplerCursor())
  }

  /// An 8-bit binary PGM (P5) at `folder/name`.
  @discardableResult
  private func writePGM(_ image: Image, _ folder: String, _ name: String) throws -> String {
    try writeBytes(Array("P5\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels, folder, name)
  }

  private func gray(_ width: Int, _ height: Int, _ value: (Int) -> Int) -> Image {
    Image(width: width, height: height, channels: 1, pixels: (0..<(width * height)).map { UInt8(value($0)) })
  }

  private func unit(_ image: Image) -> [Float] { image.pixels.map { Float($0) / 255 } }

  /// The synthetic input of the Canny fixture (40×32 RGB, a multiple of 4) and its committed edges.
  private let synthetic = Resources.path("canny-input-synthetic.png")
  private func syntheticEdges() throws -> Image { try ImageFile.load(Resources.path("canny-synthetic.png"), channels: 1) }

  func testAnEdgeMapReachesItsTensorAsOneChannelInTheUnitInterval() throws {
    let edges = Image(width: 4, height: 1, channels: 1, pixels: [0, 255, 128, 3])
    let sample = Sample(fields: ["edge": Sample.Field(image: edges, path: "e.png", kind: .edgeMap)])
    let slot = SampleSlot(epoch: 0, position: 0, index: 0)
    let tensor = try Batch(stacking: [sample], slots: [slot], cursor: SamplerCursor())["edge"]
    XCTAssertEqual(tensor.shape, [1, 1, 1, 4])
    XCTAssertEqual(tensor.scalars, [0, 1, Float(128) / 255, Float(3) / 255])
  }

  // MARK: label_folders

  func testLabelFoldersReadEdgesFromTheEdgeFolderPairedByName() throws {
    let root = try temporaryFolder(self)
    // Sorted by path "a.h.png" < "a.png" but "a.PGM" < "a.h.PGM": pairing by sorted order would cross them.
    for (k, name) in ["a", "a.h", "b"].enumerated() {
      try writeImage(gray(8, 4) { _ in k }, root + "/train_label", name + ".png")
      try writeImage(testImage(width: 8, height: 4, channels: 3, seed: k), root + "/train_img", name + ".png")
      try writePGM(gray(8, 4) { ($0 + k) % 3 == 0 ? 255 : 0 }, root + "/train_edge", name + ".PGM")
    }
    let request = DatasetRequest(root: root, fields: [BatchField("label", .labelMap(classes: 3, dontCare: nil)), imageField, edgeField],
                                 transform: fixed)
    let dataset = try XCTUnwrap(try LabelFolderLayout.make(request) as? LabelFolderDataset)
    XCTAssertEqual(dataset.examples.map { ($0.label as NSString).lastPathComponent }, ["a.png", "a.h.png", "b.png"])
    XCTAssertEqual(dataset.examples.map { $0.edge.map { ($0 as NSString).lastPathComponent } }, ["a.PGM", "a.h.PGM", "b.PGM"])
    XCTAssertEqual(dataset.files.count, 9)
    for (i, k) in [0, 1, 2].enumerated() {
      let batch = try self.batch(dataset, i)
      XCTAssertEqual(batch["label"].scalars, [Float](repeating: Float(k), count: 32))
      XCTAssertEqual(batch["edge"].shape, [1, 1, 4, 8])
      XCTAssertEqual(batch["edge"].scalars, unit(gray(8, 4) { ($0 + k) % 3 == 0 ? 255 : 0 }), "example \(i)")
      XCTAssertEqual(batch.paths["edge"], [dataset.examples[i].edge!])
    }

    // An edge file without a label, or a label without its edge file, is an error naming it (sorted order would
    // silently pair the wrong files).
    let extra = try writePGM(gray(8, 4) { _ in 0 }, root + "/train_edge", "a0.PGM")
    assertNamedError("\(root)/train_edge: a0.PGM") { _ = try LabelFolderLayout.make(request) }
    try FileManager.default.removeItem(atPath: extra)
    try FileManager.default.removeItem(atPath: root + "/train_edge/b.PGM")
    assertNamedError("\(root)/train_label: b.png") { _ = try LabelFolderLayout.make(request) }
    try writePGM(gray(8, 5) { _ in 0 }, root + "/train_edge", "b.PGM")
    let wrongSize = try LabelFolderLayout.make(request)
    assertNamedError(root + "/train_edge/b.PGM", containing: "size 8x5 does not match the 8x4 of its label map") {
      _ = try wrongSize.sample(SampleSlot(epoch: 0, position: 2, index: 2), seed: 1)
    }
    // The edge folder is read only when an edge field is asked for.
    let withoutEdges = DatasetRequest(root: root, fields: [BatchField("label", .labelMap(classes: 3, dontCare: nil)), imageField],
                                      transform: fixed)
    XCTAssertEqual(try LabelFolderLayout.make(withoutEdges).files.count, 6)
  }

  func testEdgesWithoutAnEdgeFolderAreCannyOfTheImageFile() throws {
    let root = try temporaryFolder(self)
    try writeImage(gray(40, 32) { $0 % 5 }, root + "/train_label", "s.png")
    try FileManager.default.createDirectory(atPath: root + "/train_img", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: synthetic, toPath: root + "/train_img/s.png")
    let request = DatasetRequest(root: root, fields: [edgeField, BatchField("label", .labelMap(classes: 5, dontCare: nil)), imageField],
                                 transform: fixed)
    let dataset = try XCTUnwrap(try LabelFolderLayout.make(request) as? LabelFolderDataset)
    XCTAssertNil(dataset.examples[0].edge)
    XCTAssertEqual(dataset.files.count, 2)
    let batch = try self.batch(dataset, 0)
    XCTAssertEqual(batch["edge"].shape, [1, 1, 32, 40])
    XCTAssertEqual(batch["edge"].scalars, unit(try syntheticEdges()))
    XCTAssertEqual(batch.paths["edge"], [root + "/train_img/s.png"])
  }

  func testComputedEdgesSeeTheFilesColoursEvenForAGrayImageField() throws {
    // Blue 250 | blue 246: rgb2gray gives 29 | 28, an edge; PIL's convert("L") gives 28 | 28, none.
    let root = try temporaryFolder(self)
    let rgb = Image(width: 12, height: 8, channels: 3, pixels: (0..<96).flatMap { [0, 0, $0 % 12 < 6 ? 250 : 246] as [UInt8] })
    try writeImage(rgb, root + "/train_img", "b.png")
    try writeImage(gray(12, 8) { _ in 0 }, root + "/train_label", "b.png")
    let request = DatasetRequest(root: root, fields: [BatchField("label", .labelMap(classes: 1, dontCare: nil)),
                                                      BatchField("image", .image(channels: 1)), edgeField], transform: fixed)
    let batch = try self.batch(try LabelFolderLayout.make(request), 0)
    XCTAssertEqual(batch["image"].scalars, try ImageFile.load(root + "/train_img/b.png", channels: 1).tensor().scalars)
    XCTAssertTrue(Canny.edges(of: rgb.converted(channels: 1)).pixels.allSatisfy { $0 == 0 })
    let edges = Canny.edges(of: rgb)
    XCTAssertTrue(edges.pixels.contains(255))
    XCTAssertEqual(batch["edge"].scalars, unit(edges))
  }

  /// Label ids number the pixels (id = 32·y + x, a 16-bit file), so each sample's label map says where it was
  /// cropped and whether it was flipped; the edge map must have been cut and flipped the same way, for edges from a
  /// file and for edges computed at load (computed on the whole image, before the crop).
  func testEdgesShareTheLabelMapsCropAndFlip() throws {
    let root = try temporaryFolder(self)
    let full = try ImageFile.load(Resources.path("canny-input-photo.png"), channels: 3).cropped(x: 0, y: 0, width: 32, height: 24)
    try writeBytes(handMadePNG(width: 32, height: 24, samples: Array(0..<768), bitDepth: 16), root + "/train_label", "p.png")
    try writeImage(full, root + "/train_img", "p.png")
    let label = BatchField("label", .labelMap(classes: 768, dontCare: nil))
    let crop = TransformOptions(preprocess: .crop, loadSize: 32, cropSize: 8, flip: true)
    let request = DatasetRequest(root: root, fields: [label, imageField, edgeField], transform: crop)
    let computed = try LabelFolderLayout.make(request)
    let canny = Canny.edges(of: full)
    XCTAssertGreaterThan(canny.pixels.filter { $0 == 255 }.count, 100)
    let stored = gray(32, 24) { $0 * 37 % 256 }
    try writeImage(stored, root + "/train_edge", "p.png")
    let fromFile = try LabelFolderLayout.make(request)
    var flips = Set<Bool>(), corners = Set<Int>(), notCannyOfTheCrop = 0
    for seed in UInt64(0)..<12 {
      for (dataset, edges) in [(computed, canny), (fromFile, stored)] {
        let batch = try self.batch(dataset, 0, seed: seed)
        let ids = batch["label"].scalars.map { Int($0) }
        let flip = ids[1] < ids[0], left = flip ? ids[7] : ids[0]
        func cut(_ image: Image) -> Image {
          let window = image.cropped(x: left % 32, y: left / 32, width: 8, height: 8)
          return flip ? window.flippedHorizontally() : window
        }
        XCTAssertEqual(batch["edge"].scalars, unit(cut(edges)), "seed \(seed)")
        XCTAssertEqual(batch["image"].scalars, cut(full).tensor().scalars, "seed \(seed)")
        if edges == canny && Canny.edges(of: cut(full)) != cut(canny) { notCannyOfTheCrop += 1 }
        flips.insert(flip)
        corners.insert(left)
      }
    }
    XCTAssertEqual(flips, [false, true])
    XCTAssertGreaterThan(corners.count, 4)
    XCTAssertEqual(notCannyOfTheCrop, 12, "edges of the crop itself would differ")
  }

  func testResizedEdgesAreBicubicLikeTheImage() throws {
    let root = try temporaryFolder(self)
    try writeImage(gray(40, 32) { $0 % 5 }, root + "/train_label", "s.png")
    try FileManager.default.createDirectory(atPath: root + "/train_img", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: synthetic, toPath: root + "/train_img/s.png")
    let resize = TransformOptions(preprocess: .resizeAndCrop, loadSize: 20, cropSize: 20, flip: false)
    let request = DatasetRequest(root: root, fields: [BatchField("label", .labelMap(classes: 5, dontCare: nil)), imageField, edgeField],
                                 transform: resize)
    let edges = try batch(try LabelFolderLayout.make(request), 0)["edge"].scalars
    XCTAssertEqual(edges, unit(try syntheticEdges().resized(width: 20, height: 20, filter: .bicubic)))
    XCTAssertTrue(edges.contains { $0 > 0 && $0 < 1 }, "bicubic leaves levels between 0 and 1")
  }

  // MARK: Cityscapes and ADE20K

  func testCityscapesEdgesPairByStemFlatOrInCityFolders() throws {
    let label = BatchField("label", .labelMap(classes: 35, dontCare: nil))
    for flat in [true, false] {
      let root = try temporaryFolder(self)
      let stems = [("bremen", "bremen_000001_000019"), ("aachen", "aachen_000010_000019"), ("aachen", "aachen_000002_000019")]
      for (k, (city, stem)) in stems.enumerated() {
        try writeImage(gray(8, 4) { _ in k }, root + "/gtFine/train/" + city, stem + "_gtFine_labelIds.png")
        try writeImage(gray(8, 4) { _ in 9 }, root + "/gtFine/train/" + city, stem + "_gtFine_color.png")
        try writeImage(testImage(width: 8, height: 4, channels: 3, seed: k), root + "/leftImg8bit/train/" + city, stem + "_leftImg8bit.png")
        try writeImage(gray(8, 4) { $0 == k ? 255 : 0 }, root + "/edge/train" + (flat ? "" : "/" + city), stem + "_leftImg8bit.png")
      }
      let request = DatasetRequest(root: root, fields: [label, imageField, edgeField], transform: fixed)
      let dataset = try XCTUnwrap(try CityscapesLayout.make(request) as? LabelFolderDataset)
      for (i, example) in dataset.examples.enumerated() {
        let stem = String((example.label as NSString).lastPathComponent.dropLast("_gtFine_labelIds.png".count))
        XCTAssertEqual((example.edge! as NSString).lastPathComponent, stem + "_leftImg8bit.png")
        let k = Int(try batch(dataset, i)["label"].scalars[0])
        XCTAssertEqual(try batch(dataset, i)["edge"].scalars, unit(gray(8, 4) { $0 == k ? 255 : 0 }), stem)
      }
      // canny.m's own 256×512 files do not fit 8×4 labels: refused by size, naming the file.
      let small = try writeImage(gray(16, 8) { _ in 0 }, root + "/edge/train" + (flat ? "" : "/aachen"), "aachen_000002_000019_leftImg8bit.png")
      assertNamedError(small, containing: "size 16x8 does not match the 8x4") {
        _ = try CityscapesLayout.make(request).sample(SampleSlot(epoch: 0, position: 0, index: 0), seed: 1)
      }
    }
    // Without edge/<phase>/ the edges are computed.
    let root = try temporaryFolder(self)
    try writeImage(gray(8, 8) { $0 % 3 }, root + "/gtFine/val/lindau", "lindau_000000_000019_gtFine_labelIds.png")
    let image = try ImageFile.load(Resources.path("canny-input-photo.png"), channels: 3).cropped(x: 40, y: 30, width: 8, height: 8)
    try writeImage(image, root + "/leftImg8bit/val/lindau", "lindau_000000_000019_leftImg8bit.png")
    let computed = try CityscapesLayout.make(DatasetRequest(root: root, phase: "val", fields: [label, imageField, edgeField], transform: fixed))
    XCTAssertEqual(try batch(computed, 0)["edge"].scalars, unit(Canny.edges(of: image)))
  }

  func testADE20KReadsEdgesFromTheEdgesFolderByName() throws {
    let root = try temporaryFolder(self)
    let label = BatchField("label", .labelMap(classes: 150, dontCare: 150))
    for n in [2, 1] {
      try writeImage(gray(8, 4) { _ in n }, root + "/annotations/training", "ADE_train_0000000\(n).png")
      try writeImage(testImage(width: 8, height: 4, channels: 3, seed: n), root + "/images/training", "ADE_train_0000000\(n).png")
      try writePGM(gray(8, 4) { $0 < 4 * n ? 255 : 0 }, root + "/edges/training", "ADE_train_0000000\(n).pgm")
    }
    let request = DatasetRequest(root: root, fields: [label, imageField, edgeField], transform: fixed)
    let dataset = try ADE20KLayout.make(request)
    for (i, n) in [1, 2].enumerated() {
      XCTAssertEqual(try batch(dataset, i)["edge"].scalars, unit(gray(8, 4) { $0 < 4 * n ? 255 : 0 }))
    }
    try FileManager.default.removeItem(atPath: root + "/edges/training/ADE_train_00000002.pgm")
    assertNamedError("\(root)/annotations/training: ADE_train_00000002.png") { _ = try ADE20KLayout.make(request) }
    try FileManager.default.removeItem(atPath: root + "/edges")
    let computed = try ADE20KLayout.make(request)
    let image = testImage(width: 8, height: 4, channels: 3, seed: 1)
    XCTAssertEqual(try batch(computed, 0)["edge"].scalars, unit(Canny.edges(of: image)))
  }
}
