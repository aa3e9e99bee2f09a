import Foundation
import XCTest
@testable import Data
import Tensors

final class DatasetLayoutTests: XCTestCase {
  private let labelField = BatchField("label", .labelMap(classes: 150, dontCare: 255))
  private let imageField = BatchField("image", .image(channels: 3))
  private let instanceField = BatchField("instance", .instanceMap)
  private let fixed = TransformOptions(preprocess: .none, flip: false)

  // MARK: Registry

  func testRegistryFindsEveryLayoutByNameAndNamesTheAcceptedModes() throws {
    XCTAssertEqual(DatasetLayouts.all.map { $0.name }, ["unaligned", "aligned", "label_folders", "cityscapes", "ade20k"])
    XCTAssertTrue(try DatasetLayouts.named("unaligned") == UnalignedLayout.self)
    XCTAssertTrue(try DatasetLayouts.named("aligned") == AlignedLayout.self)
    XCTAssertTrue(try DatasetLayouts.named("label_folders") == LabelFolderLayout.self)
    XCTAssertThrowsError(try DatasetLayouts.named("paired")) { error in
      XCTAssertEqual("\(error)", "--dataset-mode: unknown mode 'paired' (expected unaligned, aligned, label_folders, cityscapes, ade20k)")
    }
  }

  func testUnalignedViaRegistryGivesTheSamplesOfTheDatasetBuiltDirectly() throws {
    let root = try temporaryFolder(self)
    for i in 0..<3 { try writeImage(testImage(width: 12, height: 10, channels: 3, seed: i), root + "/trainA", "a\(i).png") }
    for i in 0..<2 { try writeImage(testImage(width: 11, height: 9, channels: 1, seed: 5 + i), root + "/trainB", "b\(i).png") }
    let transform = TransformOptions(preprocess: .resizeAndCrop, loadSize: 12, cropSize: 8)
    // B before A: the order of the request's fields does not matter.
    let request = DatasetRequest(root: root, fields: [BatchField("B", .image(channels: 1)), BatchField("A", .image(channels: 3))],
                                 transform: transform, maxSize: 2)
    let viaRegistry = try DatasetLayouts.named("unaligned").make(request)
    let direct = try UnalignedDataset(root: root, kindA: .image(channels: 3), kindB: .image(channels: 1), transform: transform,
                                      maxSize: 2)
    try assertSameSamples(viaRegistry, direct, fields: ["A", "B"])
    XCTAssertEqual(viaRegistry.count, 2, "maxSize reaches the dataset")

    var serialRequest = request
    serialRequest.serialBatches = true
    let serial = try UnalignedLayout.make(serialRequest) as? UnalignedDataset
    XCTAssertEqual(serial?.serialBatches, true)
  }

  func testAlignedViaRegistryGivesTheSamplesOfTheDatasetBuiltDirectly() throws {
    let root = try temporaryFolder(self)
    for i in 0..<3 {
      try writeImage(testImage(width: 12, height: 10, channels: 3, seed: i), root + "/trainA", "x\(i).png")
      try writeImage(testImage(width: 12, height: 10, channels: 1, seed: 9 + i), root + "/trainB", "x\(i).png")
    }
    let transform = TransformOptions(preprocess: .resizeAndCrop, loadSize: 14, cropSize: 8)
    let request = DatasetRequest(root: root, fields: [BatchField("A", .image(channels: 3)), BatchField("B", .image(channels: 1))],
                                 transform: transform)
    let viaRegistry = try AlignedLayout.make(request)
    let direct = try AlignedDataset(root: root, kindA: .image(channels: 3), kindB: .image(channels: 1), transform: transform)
    try assertSameSamples(viaRegistry, direct, fields: ["A", "B"])

    // AlignedDataset's outputs are still those of one draw for A's size applied to A and B (the inline code it had).
    let slot = SampleSlot(epoch: 1, position: 4, index: 2)
    var random = slot.random(seed: 7, .augmentA)
    let a = try ImageFile.load(direct.pairs[2].a, channels: 3), b = try ImageFile.load(direct.pairs[2].b!, channels: 1)
    let parameters = try transform.drawParameters(width: 14, height: 14, path: direct.pairs[2].a, random: &random)
    let sample = try direct.sample(slot, seed: 7)
    XCTAssertEqual(sample.fields["A"]?.image, try transform.apply(a, parameters, path: "a"))
    XCTAssertEqual(sample.fields["B"]?.image, try transform.apply(b, parameters, path: "b"))
  }

  func testAToBLayoutsRejectOtherFieldsNamingFieldKindAndLayout() throws {
    let root = try temporaryFolder(self)
    let label = BatchField("label", .labelMap(classes: 35, dontCare: nil))
    let request = DatasetRequest(root: root, fields: [BatchField("A", .image(channels: 3)), label], transform: fixed)
    XCTAssertThrowsError(try UnalignedLayout.make(request)) { error in
      XCTAssertEqual("\(error)", "--dataset-mode unaligned: cannot produce field 'label' (label map (35 classes)); it yields 'A' (image), 'B' (image)")
    }
    let labelAsB = DatasetRequest(root: root, fields: [BatchField("A", .image(channels: 3)), BatchField("B", .edgeMap)], transform: fixed)
    XCTAssertThrowsError(try AlignedLayout.make(labelAsB)) { error in
      XCTAssertEqual("\(error)", "--dataset-mode aligned: cannot produce field 'B' (edge map); it yields 'A' (image), 'B' (image)")
    }
    let onlyA = DatasetRequest(root: root, fields: [BatchField("A", .image(channels: 3))], transform: fixed)
    XCTAssertThrowsError(try AlignedLayout.make(onlyA)) { error in
      XCTAssertEqual("\(error)", "--dataset-mode aligned: needs a field 'B' (image); the request has 'A' (image (3 channels))")
    }
  }

  // MARK: label_folders

  /// Example k of `names`: a label map of class id k everywhere, an image whose blue channel is 30·k (a PPM named
  /// `.PPM`, so the extensions differ), an instance map of id 100 + k; the images are written in reverse order.
  private func labelFolders(_ names: [String], instances: Bool = true) throws -> String {
    let root = try temporaryFolder(self)
    for (k, name) in names.enumerated() {
      try writeNested(uniform(UInt8(k), width: 8, height: 4), in: root + "/train_label", name + ".png")
      if instances { try writeNested(uniform(UInt8(100 + k), width: 8, height: 4), in: root + "/train_inst", name + ".png") }
    }
    for (k, name) in names.enumerated().reversed() {
      let pixels = (0..<32).flatMap { _ in [UInt8(10), UInt8(20), UInt8(30 * k)] }
      try writePPM(Image(width: 8, height: 4, channels: 3, pixels: pixels), in: root + "/train_img", name + ".PPM")
    }
    return root
  }

  func testLabelFoldersPairLabelImageAndInstanceByName() throws {
    let root = try labelFolders(["b", "city/a", "a", "a.h"])
    // Sorted by path, "a.h.png" < "a.png" but "a.PPM" < "a.h.PPM": the two folders list their files in
    // different orders, so only the names can pair them.
    let labels = try ImageFolder.list(root + "/train_label").map { ($0 as NSString).lastPathComponent }
    let images = try ImageFolder.list(root + "/train_img").map { ($0 as NSString).lastPathComponent }
    XCTAssertEqual(labels, ["a.h.png", "a.png", "b.png", "a.png"])
    XCTAssertEqual(images, ["a.PPM", "a.h.PPM", "b.PPM", "a.PPM"])
    let request = DatasetRequest(root: root, fields: [imageField, instanceField, labelField], transform: fixed)
    let dataset = try LabelFolderLayout.make(request)
    XCTAssertEqual(dataset.count, 4)
    XCTAssertEqual(dataset.files.count, 12)
    for index in 0..<4 {
      let sample = try dataset.sample(SampleSlot(epoch: 0, position: index, index: index), seed: 1)
      XCTAssertEqual(Set(sample.fields.keys), ["label", "image", "instance"])
      let k = try XCTUnwrap(sample.fields["label"]?.image.pixels.first)
      XCTAssertEqual(sample.fields["image"]?.image.pixels[2], 30 * k, "image of example \(k)")
      XCTAssertEqual(sample.fields["instance"]?.image.pixels.first, 100 + k, "instance map of example \(k)")
      XCTAssertEqual(sample.fields["label"]?.kind, .labelMap)
      XCTAssertEqual(sample.fields["instance"]?.kind, .labelMap, "instance ids are kept as ids")
    }
    let withoutInstances = try LabelFolderLayout.make(DatasetRequest(root: root, fields: [labelField, imageField], transform: fixed))
    let sample = try withoutInstances.sample(SampleSlot(epoch: 0, position: 0, index: 0), seed: 1)
    XCTAssertEqual(Set(sample.fields.keys), ["label", "image"])
    XCTAssertEqual(withoutInstances.files.count, 8)
  }

  func testLabelFoldersNeedNoInstanceFolderUnlessAnInstanceFieldIsRequested() throws {
    let root = try labelFolders(["x", "y"], instances: false)
    XCTAssertEqual(try LabelFolderLayout.make(DatasetRequest(root: root, fields: [labelField, imageField], transform: fixed)).count, 2)
    assertNamedError(root + "/train_inst", containing: "no such folder") {
      _ = try LabelFolderLayout.make(DatasetRequest(root: root, fields: [labelField, imageField, instanceField], transform: fixed))
    }
  }

  /// The label map holds each pixel's position (id y·12 + x), the image the position again (red 20·x, green
  /// 20·y) and the instance map 255 − id: after augmentation every output pixel must still agree, which holds
  /// only if all three were cropped at one corner and flipped together.
  func testLabelFoldersShareOneCropAndFlip() throws {
    let root = try temporaryFolder(self)
    let (w, h) = (12, 10)
    let positions = (0..<(w * h)).map { UInt8($0) }
    try writeImage(Image(width: w, height: h, channels: 1, pixels: positions), root + "/train_label", "p.png")
    try writeImage(Image(width: w, height: h, channels: 1, pixels: positions.map { 255 - $0 }), root + "/train_inst", "p.png")
    let rgb: [UInt8] = positions.flatMap { p -> [UInt8] in [UInt8(Int(p) % w * 20), UInt8(Int(p) / w * 20), 99] }
    try writeImage(Image(width: w, height: h, channels: 3, pixels: rgb), root + "/train_img", "p.png")
    let request = DatasetRequest(root: root, fields: [labelField, imageField, instanceField],
                                 transform: TransformOptions(preprocess: .crop, cropSize: 8))
    let dataset = try LabelFolderLayout.make(request)
    var corners = Set<UInt8>(), flips = Set<Bool>()
    for position in 0..<40 {
      let sample = try dataset.sample(SampleSlot(epoch: 0, position: position, index: 0), seed: 5)
      let label = try XCTUnwrap(sample.fields["label"]?.image), image = try XCTUnwrap(sample.fields["image"]?.image)
      let instance = try XCTUnwrap(sample.fields["instance"]?.image)
      XCTAssertEqual([label.width, label.height, image.width, image.height], [8, 8, 8, 8])
      let expectedImage = label.pixels.flatMap { id -> [UInt8] in [UInt8(Int(id) % w * 20), UInt8(Int(id) / w * 20), 99] }
      XCTAssertEqual(image.pixels, expectedImage, "red and green = x and y of the label's position, slot \(position)")
      XCTAssertEqual(instance.pixels, label.pixels.map { 255 - $0 }, "instance = 255 − label, slot \(position)")
      corners.insert(label.pixels.min()!)
      flips.insert(label.pixels[1] < label.pixels[0])
    }
    XCTAssertGreaterThan(corners.count, 3, "slots draw different crops")
    XCTAssertEqual(flips, [false, true], "slots draw both flips")
  }

  /// Resized 12×10 → 20×20 and cropped to 16: the label map is resized with nearest (ids exact, don't-care 255
  /// kept, never blended) and reaches the batch unnormalised; the image is resized bicubic.
  func testLabelFoldersKeepIdsExactUnderResize() throws {
    let root = try temporaryFolder(self)
    let ids = (0..<120).map { UInt8($0 % 7 == 3 ? 255 : $0 % 35) }
    let label = Image(width: 12, height: 10, channels: 1, pixels: ids), image = testImage(width: 12, height: 10, channels: 3)
    try writeImage(label, root + "/train_label", "q.png")
    try writeImage(image, root + "/train_img", "q.png")
    let transform = TransformOptions(preprocess: .resizeAndCrop, loadSize: 20, cropSize: 16)
    let request = DatasetRequest(root: root, fields: [BatchField("seg", .labelMap(classes: 35, dontCare: 255)), imageField],
                                 transform: transform)
    let dataset = try LabelFolderLayout.make(request)
    for position in 0..<6 {
      let slot = SampleSlot(epoch: 0, position: position, index: 0)
      var random = slot.random(seed: 3, .augmentA)
      let parameters = try transform.drawParameters(width: 20, height: 20, path: "q", random: &random)
      let sample = try dataset.sample(slot, seed: 3)
      let seg = try XCTUnwrap(sample.fields["seg"]?.image)
      XCTAssertEqual(seg, try transform.apply(label, parameters, filter: .nearest, path: "q"))
      XCTAssertEqual(sample.fields["image"]?.image, try transform.apply(image, parameters, filter: .bicubic, path: "q"))
      XCTAssertTrue(Set(seg.pixels).isSubset(of: Set(ids)), "only ids of the source")
      let batch = try Batch(stacking: [sample], slots: [slot], cursor: SamplerCursor())
      XCTAssertEqual(try batch.field("seg").scalars, seg.pixels.map { Float($0) }, "ids as floats, unnormalised")
    }
    XCTAssertNotEqual(image.resized(width: 20, height: 20, filter: .bicubic), image.resized(width: 20, height: 20, filter: .nearest),
                      "the image check above can tell the filters apart")
  }

  func testLabelFoldersNameTheFileWithAnOutOfRangeClassId() throws {
    let root = try temporaryFolder(self)
    var ids = [UInt8](repeating: 1, count: 48)
    ids[5] = 255  // the don't-care id is allowed
    ids[2 * 8 + 3] = 40
    let path = try writeImage(Image(width: 8, height: 6, channels: 1, pixels: ids), root + "/train_label", "bad.png")
    try writeImage(testImage(width: 8, height: 6, channels: 3), root + "/train_img", "bad.png")
    let request = DatasetRequest(root: root, fields: [BatchField("label", .labelMap(classes: 35, dontCare: 255)), imageField],
                                 transform: fixed)
    let slot = SampleSlot(epoch: 0, position: 0, index: 0)
    XCTAssertThrowsError(try LabelFolderLayout.make(request).sample(slot, seed: 1)) { error in
      XCTAssertEqual("\(error)", "\(path): class id 40 at (3, 2) is outside 0..<35 and is not the don't-care id 255")
    }
    ids[2 * 8 + 3] = 34
    try writeImage(Image(width: 8, height: 6, channels: 1, pixels: ids), root + "/train_label", "bad.png")
    XCTAssertNoThrow(try LabelFolderLayout.make(request).sample(slot, seed: 1), "34 < 35 and 255 is don't-care")
    ids[2 * 8 + 3] = 35
    try writeImage(Image(width: 8, height: 6, channels: 1, pixels: ids), root + "/train_label", "bad.png")
    assertNamedError(path, containing: "class id 35 at (3, 2)") { _ = try LabelFolderLayout.make(request).sample(slot, seed: 1) }
    let noDontCare = DatasetRequest(root: root, fields: [BatchField("label", .labelMap(classes: 35, dontCare: nil)), imageField],
                                    transform: fixed)
    XCTAssertThrowsError(try LabelFolderLayout.make(noDontCare).sample(slot, seed: 1)) { error in
      XCTAssertEqual("\(error)", "\(path): class id 255 at (5, 0) is outside 0..<35 and there is no don't-care id")
    }
  }

  func testLabelFoldersNameTheImageWhoseSizeDiffersFromItsLabelMap() throws {
    let root = try temporaryFolder(self)
    let label = try writeImage(uniform(0, width: 8, height: 6), root + "/train_label", "m.png")
    let image = try writeImage(testImage(width: 8, height: 7, channels: 3), root + "/train_img", "m.png")
    try writeImage(uniform(0, width: 8, height: 6), root + "/train_inst", "m.png")
    let dataset = try LabelFolderLayout.make(DatasetRequest(root: root, fields: [labelField, imageField], transform: fixed))
    assertNamedError(image, containing: "size 8x7 does not match the 8x6 of its label map \(label)") {
      _ = try dataset.sample(SampleSlot(epoch: 0, position: 0, index: 0), seed: 1)
    }
    try writeImage(testImage(width: 8, height: 6, channels: 3), root + "/train_img", "m.png")
    let inst = try writeImage(uniform(0, width: 9, height: 6), root + "/train_inst", "m.png")
    let withInstances = try LabelFolderLayout.make(DatasetRequest(root: root, fields: [labelField, imageField, instanceField],
                                                                  transform: fixed))
    assertNamedError(inst, containing: "size 9x6 does not match") {
      _ = try withInstances.sample(SampleSlot(epoch: 0, position: 0, index: 0), seed: 1)
    }
  }

  func testLabelFoldersRejectFieldsTheyCannotYieldAndNameMissingFolders() throws {
    let root = try labelFolders(["x"])
    XCTAssertThrowsError(try LabelFolderLayout.make(DatasetRequest(root: root, fields: [labelField, imageField, BatchField("style", .exemplar(channels: 3))],
                                                                   transform: fixed))) { error in
      XCTAssertEqual("\(error)", "--dataset-mode label_folders: cannot produce field 'style' (exemplar (3 channels)); it yields "
                       + "'any name' (label map, from <phase>_label/), 'any name' (image, from <phase>_img/), "
                       + "'any name' (instance map, optional, from <phase>_inst/), "
                       + "'any name' (edge map, optional, from <phase>_edge/ or else computed by Canny from the image)")
    }
    let twoEdges = [labelField, imageField, BatchField("edge", .edgeMap), BatchField("edge2", .edgeMap)]
    XCTAssertThrowsError(try LabelFolderLayout.make(DatasetRequest(root: root, fields: twoEdges, transform: fixed))) { error in
      XCTAssertTrue("\(error)".contains("cannot produce field 'edge2' (edge map)"), "\(error)")
    }
    let twoImages = [labelField, imageField, BatchField("photo", .image(channels: 3))]
    XCTAssertThrowsError(try LabelFolderLayout.make(DatasetRequest(root: root, fields: twoImages, transform: fixed))) { error in
      XCTAssertTrue("\(error)".contains("cannot produce field 'photo' (image (3 channels))"), "\(error)")
    }
    XCTAssertThrowsError(try LabelFolderLayout.make(DatasetRequest(root: root, fields: [labelField], transform: fixed))) { error in
      XCTAssertEqual("\(error)", "--dataset-mode label_folders: needs a field of kind image; the request has "
                       + "'label' (label map (150 classes, don't-care 255))")
    }
    let sameName = [labelField, BatchField("label", .image(channels: 3))]
    XCTAssertThrowsError(try LabelFolderLayout.make(DatasetRequest(root: root, fields: sameName, transform: fixed))) { error in
      XCTAssertTrue("\(error)".contains("two fields share a name"), "\(error)")
    }
    assertNamedError(root + "/test_label", containing: "no such folder") {
      _ = try LabelFolderLayout.make(DatasetRequest(root: root, phase: "test", fields: [labelField, imageField], transform: fixed))
    }
    try FileManager.default.removeItem(atPath: root + "/train_img")
    assertNamedError(root + "/train_img", containing: "no such folder") {
      _ = try LabelFolderLayout.make(DatasetRequest(root: root, fields: [labelField, imageField], transform: fixed))
    }
  }

  // MARK: Batch

  func testBatchFieldNamesTheMissingFieldAndTheFieldsItHas() throws {
    let root = try labelFolders(["x"])
    let dataset = try LabelFolderLayout.make(DatasetRequest(root: root, fields: [labelField, imageField], transform: fixed))
    let slot = SampleSlot(epoch: 0, position: 0, index: 0)
    let batch = try Batch(stacking: [try dataset.sample(slot, seed: 1)], slots: [slot], cursor: SamplerCursor())
    XCTAssertEqual(try batch.field("image").shape, [1, 3, 4, 8])
    XCTAssertEqual(batch["label"].scalars, try batch.field("label").scalars)
    XCTAssertThrowsError(try batch.field("A")) { error in
      XCTAssertEqual("\(error)", "the batch has no field 'A' (it has 'image', 'label')")
    }
  }

  // MARK: Helpers

  private func assertSameSamples(_ a: any ImageDataset, _ b: any ImageDataset, fields: [String],
                                 file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    XCTAssertEqual(a.files, b.files, file: file, line: line)
    for position in 0..<8 {
      let slot = SampleSlot(epoch: position / 4, position: position, index: position % a.count)
      let x = try a.sample(slot, seed: 11), y = try b.sample(slot, seed: 11)
      for name in fields {
        XCTAssertEqual(x.fields[name]?.image, y.fields[name]?.image, "field \(name) at \(position)", file: file, line: line)
        XCTAssertEqual(x.fields[name]?.path, y.fields[name]?.path, file: file, line: line)
      }
    }
  }

  private func uniform(_ value: UInt8, width: Int, height: Int) -> Image {
    Image(width: width, height: height, channels: 1, pixels: [UInt8](repeating: value, count: width * height))
  }

  /// `writeImage` for a `name` that may hold subfolders ("city/a.png").
  private func writeNested(_ image: Image, in folder: String, _ name: String) throws {
    let path = (folder + "/" + name) as NSString
    try writeImage(image, path.deletingLastPathComponent, path.lastPathComponent)
  }

  /// Writes an RGB image as a binary PPM (P6) at `folder/name`; `name` may hold subfolders.
  private func writePPM(_ image: Image, in folder: String, _ name: String) throws {
    let path = (folder + "/" + name) as NSString
    try FileManager.default.createDirectory(atPath: path.deletingLastPathComponent, withIntermediateDirectories: true)
    let header = Array("P6\n\(image.width) \(image.height)\n255\n".utf8)
    try Data(header + image.pixels).write(to: URL(fileURLWithPath: path as String))
  }
}
