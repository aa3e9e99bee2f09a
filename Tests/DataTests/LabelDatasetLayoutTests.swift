import Foundation
import XCTest
@testable import Data
import Tensors

/// The `cityscapes` and `ade20k` layouts on tiny trees laid out as the releases are, and the exact-id decoding of
/// label and instance maps (16-bit gray, palette indices) they rely on.
final class LabelDatasetLayoutTests: XCTestCase {
  private let imageField = BatchField("image", .image(channels: 3))
  private let instanceField = BatchField("instance", .instanceMap)
  private let cityscapesLabel = BatchField("label", .labelMap(classes: 35, dontCare: nil))
  private let adeLabel = BatchField("label", .labelMap(classes: 150, dontCare: 150))
  private let fixed = TransformOptions(preprocess: .none, flip: false)

  private func batch(_ dataset: any ImageDataset, _ index: Int, seed: UInt64 = 1) throws -> Batch {
    let slot = SampleSlot(epoch: 0, position: index, index: index)
    return try Batch(stacking: [try dataset.sample(slot, seed: seed)], slots: [slot], cursor: SamplerCursor())
  }

  // MARK: Exact ids

  func testSixteenBitGrayIdsAreExactEvenWithAGammaChunk() throws {
    let root = try temporaryFolder(self)
    let ids = [0, 1, 255, 256, 1000, 26001, 26002, 33000, 65535, 7, 24000, 258]
    let plain = try writeBytes(handMadePNG(width: 4, height: 3, samples: ids, bitDepth: 16), root, "plain.png")
    // gAMA 0.45455: without dropping it libpng would convert these 16-bit values as light.
    let gamma = try writeBytes(handMadePNG(width: 4, height: 3, samples: ids, bitDepth: 16, gamma: 45455), root, "gamma.png")
    for path in [plain, gamma] {
      let map = try ImageFile.loadIds(path)
      XCTAssertEqual(map.ids, ids, path)
    }
    // Ordinary images still reduce 16 bits to 8 (round(v · 255 / 65535)).
    XCTAssertEqual(try ImageFile.load(plain, channels: 1).pixels, ids.map { UInt8(($0 * 255 + 32767) / 65535) })
    // Pillow's 16-bit file (no gamma chunk) gives its stored values as ids.
    let raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Resources.path("gray16-pil.raw"))))
    XCTAssertEqual(try ImageFile.loadIds(Resources.path("gray16-pil.png")).ids,
                   (0..<(raw.count / 2)).map { Int(raw[2 * $0]) << 8 | Int(raw[2 * $0 + 1]) })
  }

  func testSmallIdsStayOneGrayChannelAndPackedIdsSurviveCropFlipAndNearest() throws {
    XCTAssertEqual(Image(ids: [0, 5, 255, 3], width: 2, height: 2), Image(width: 2, height: 2, channels: 1, pixels: [0, 5, 255, 3]))
    let ids = (0..<48).map { $0 * 1237 + 26001 }
    let map = Image(ids: ids, width: 8, height: 6)
    XCTAssertEqual(map.channels, 3)
    XCTAssertEqual(map.flippedHorizontally().ids, (0..<48).map { ids[($0 / 8) * 8 + 7 - $0 % 8] })
    XCTAssertEqual(map.cropped(x: 2, y: 1, width: 3, height: 2).ids, [10, 11, 12, 18, 19, 20].map { ids[$0] })
    XCTAssertEqual(map.resized(width: 16, height: 12, filter: .nearest).ids,
                   (0..<192).map { ids[($0 / 16 / 2) * 8 + $0 % 16 / 2] })
  }

  func testPaletteLabelMapsKeepTheirIndexAsTheId() throws {
    let root = try temporaryFolder(self)
    let palette: [[UInt8]] = [[0, 0, 0], [128, 64, 128], [244, 35, 232], [70, 70, 70], [255, 255, 255]]
    let indices = [0, 1, 2, 3, 4, 4, 3, 1]
    let path = try writeBytes(handMadePNG(width: 4, height: 2, samples: indices, palette: palette), root, "p.png")
    XCTAssertEqual(try ImageFile.loadIds(path).ids, indices)
    // The ordinary load is the palette colours' luma, not the index.
    XCTAssertEqual(try ImageFile.load(path, channels: 1).pixels[1], 90)
    // Pillow's palette file: indices in 0..<7 whose colours are those of its RGB expansion.
    let pillowIds = try ImageFile.loadIds(Resources.path("palette-pil.png")).ids
    XCTAssertTrue(pillowIds.allSatisfy { (0..<7).contains($0) } && Set(pillowIds).count > 1)
  }

  // MARK: Cityscapes

  /// Writes `<stem>` of `city` in `phase`: label ids (class = (3(x + y) + seed) mod 35), 16-bit instance ids
  /// (class · 1000 + x mod 3 for classes ≥ 24, else the class) and an image; plus a colour file to ignore.
  @discardableResult
  private func writeCityscapes(_ root: String, _ phase: String, _ city: String, _ stem: String, seed: Int,
                               width: Int = 8, height: Int = 8, label: Bool = true, image: Bool = true,
                               instance: Bool = true) throws -> (labels: [Int], instances: [Int]) {
    let labels = (0..<(width * height)).map { (3 * ($0 % width + $0 / width) + seed) % 35 }
    let instances = labels.enumerated().map { p, c in c >= 24 ? c * 1000 + (p % width) % 3 : c }
    let gt = root + "/gtFine/" + phase + "/" + city
    if label { try writeImage(Image(ids: labels, width: width, height: height), gt, stem + "_gtFine_labelIds.png") }
    if instance { try writeBytes(handMadePNG(width: width, height: height, samples: instances, bitDepth: 16), gt, stem + "_gtFine_instanceIds.png") }
    try writeImage(testImage(width: width, height: height, channels: 3, seed: seed + 50), gt, stem + "_gtFine_color.png")
    if image { try writeImage(testImage(width: width, height: height, channels: 3, seed: seed), root + "/leftImg8bit/" + phase + "/" + city, stem + "_leftImg8bit.png") }
    return (labels, instances)
  }

  func testCityscapesPairsByStemAndKeepsSixteenBitInstanceIds() throws {
    let root = try temporaryFolder(self)
    // Written out of order, in two cities; "val" must not leak into "train".
    let b = try writeCityscapes(root, "train", "bremen", "bremen_000001_000019", seed: 2)
    let a = try writeCityscapes(root, "train", "aachen", "aachen_000010_000019", seed: 1)
    let a2 = try writeCityscapes(root, "train", "aachen", "aachen_000002_000019", seed: 3)
    try writeCityscapes(root, "val", "lindau", "lindau_000000_000019", seed: 4)
    let request = DatasetRequest(root: root, phase: "train", fields: [cityscapesLabel, imageField, instanceField], transform: fixed)
    let dataset = try XCTUnwrap(try DatasetLayouts.named("cityscapes").make(request) as? LabelFolderDataset)
    XCTAssertEqual(dataset.examples.map { URL(fileURLWithPath: $0.image).lastPathComponent },
                   ["aachen_000002_000019_leftImg8bit.png", "aachen_000010_000019_leftImg8bit.png", "bremen_000001_000019_leftImg8bit.png"])
    for (i, expected) in [a2, a, b].enumerated() {
      let example = dataset.examples[i]
      let stem = String(URL(fileURLWithPath: example.image).lastPathComponent.dropLast("_leftImg8bit.png".count))
      XCTAssertEqual(URL(fileURLWithPath: example.label).lastPathComponent, stem + "_gtFine_labelIds.png")
      XCTAssertEqual(URL(fileURLWithPath: example.instance!).lastPathComponent, stem + "_gtFine_instanceIds.png")
      let batch = try self.batch(dataset, i)
      XCTAssertEqual(batch["label"].scalars, expected.labels.map(Float.init))
      XCTAssertEqual(batch["instance"].shape, [1, 1, 8, 8])
      XCTAssertEqual(batch["instance"].scalars, expected.instances.map(Float.init))
      XCTAssertEqual(batch["image"].scalars, try ImageFile.load(example.image, channels: 3).tensor().scalars)
    }
    XCTAssertTrue(try batch(dataset, 0)["instance"].scalars.contains { $0 >= 24000 }, "ids above 8 bits were tested")

    // Under a random resize, crop and flip the instance map stays aligned with its label map and exact.
    let augmenting = DatasetRequest(root: root, fields: [cityscapesLabel, imageField, instanceField],
                                    transform: TransformOptions(preprocess: .resizeAndCrop, loadSize: 13, cropSize: 8))
    let augmented = try CityscapesLayout.make(augmenting)
    for seed in UInt64(0)..<6 {
      let batch = try self.batch(augmented, 1, seed: seed)
      for (c, k) in zip(batch["label"].scalars, batch["instance"].scalars) {
        XCTAssertEqual(k >= 1000 ? (k / 1000).rounded(.down) : k, c, "seed \(seed)")
        XCTAssertTrue(a.instances.contains(Int(k)), "instance id \(k) was not in the file")
      }
    }
  }

  func testCityscapesMissingPartnersAndBadIdsAreErrorsNamingTheFiles() throws {
    let root = try temporaryFolder(self)
    try writeCityscapes(root, "train", "aachen", "aachen_000000_000019", seed: 1)
    try writeCityscapes(root, "train", "aachen", "aachen_000001_000019", seed: 2, image: false)
    let request = DatasetRequest(root: root, fields: [cityscapesLabel, imageField], transform: fixed)
    assertNamedError("\(root)/gtFine/train: aachen/aachen_000001_000019_gtFine_labelIds.png") { _ = try CityscapesLayout.make(request) }

    let other = try temporaryFolder(self)
    try writeCityscapes(other, "train", "ulm", "ulm_000000_000019", seed: 1)
    try writeCityscapes(other, "train", "ulm", "ulm_000001_000019", seed: 2, label: false, instance: false)
    assertNamedError("\(other)/leftImg8bit/train: ulm/ulm_000001_000019_leftImg8bit.png") {
      _ = try CityscapesLayout.make(DatasetRequest(root: other, fields: [cityscapesLabel, imageField], transform: fixed))
    }

    let noInstance = try temporaryFolder(self)
    try writeCityscapes(noInstance, "train", "jena", "jena_000000_000019", seed: 1)
    try writeCityscapes(noInstance, "train", "jena", "jena_000001_000019", seed: 2, instance: false)
    let withInstance = DatasetRequest(root: noInstance, fields: [cityscapesLabel, imageField, instanceField], transform: fixed)
    assertNamedError("\(noInstance)/gtFine/train: jena/jena_000001_000019_gtFine_labelIds.png") { _ = try CityscapesLayout.make(withInstance) }
    XCTAssertEqual(try CityscapesLayout.make(DatasetRequest(root: noInstance, fields: [cityscapesLabel, imageField], transform: fixed)).count, 2,
                   "the instance files are read only when asked for")

    let badIds = try temporaryFolder(self)
    try writeCityscapes(badIds, "train", "kiel", "kiel_000000_000019", seed: 1)
    let bad = try writeImage(Image(ids: [3, 35, 2, 1], width: 2, height: 2), badIds + "/gtFine/train/kiel", "kiel_000000_000019_gtFine_labelIds.png")
    try writeImage(testImage(width: 2, height: 2, channels: 3), badIds + "/leftImg8bit/train/kiel", "kiel_000000_000019_leftImg8bit.png")
    let dataset = try CityscapesLayout.make(DatasetRequest(root: badIds, fields: [cityscapesLabel, imageField], transform: fixed))
    assertNamedError(bad, containing: "class id 35 at (1, 0) is outside 0..<35") { _ = try dataset.sample(SampleSlot(epoch: 0, position: 0, index: 0), seed: 1) }

    XCTAssertThrowsError(try CityscapesLayout.make(DatasetRequest(root: root, fields: [BatchField("label", .labelMap(classes: 19, dontCare: 255)), imageField], transform: fixed))) { error in
      XCTAssertTrue("\(error)".hasPrefix("--dataset-mode cityscapes: cannot produce field 'label' (label map (19 classes, don't-care 255))"), "\(error)")
    }
  }

  /// A field of 3 classes with don't-care 3 (ECGAN's `--label-nc 3 --contain-dontcare-label`) reads files that mark
  /// don't care 255, as the reference remaps them; any other id ≥ 3 is still an error naming the file.
  func testStoredDontCare255BecomesTheFieldsDontCareID() throws {
    let root = try temporaryFolder(self)
    // 4×4 (a multiple of 4, which `.none` keeps as it is).
    let stored = [0, 255, 2, 1, 1, 2, 255, 0, 0, 0, 1, 1, 2, 2, 255, 255]
    try writeImage(Image(ids: stored, width: 4, height: 4), root + "/train_label", "a.png")
    try writeImage(testImage(width: 4, height: 4, channels: 3), root + "/train_img", "a.png")
    let label = BatchField("label", .labelMap(classes: 3, dontCare: 3))
    let set = try LabelFolderLayout.make(DatasetRequest(root: root, fields: [label, imageField], transform: fixed))
    let sample = try set.sample(SampleSlot(epoch: 0, position: 0, index: 0), seed: 1)
    XCTAssertEqual(sample.fields["label"]?.image.ids, stored.map { $0 == 255 ? 3 : $0 })
    let bad = try writeImage(Image(ids: stored.map { $0 == 255 ? 254 : $0 }, width: 4, height: 4), root + "/train_label", "a.png")
    assertNamedError(bad, containing: "class id 254") { _ = try set.sample(SampleSlot(epoch: 0, position: 0, index: 0), seed: 1) }
  }

  // MARK: ADE20K

  func testADE20KShiftsEveryIdAndReadsTheReleaseFolders() throws {
    let root = try temporaryFolder(self)
    // Every stored id 0...150, in a 16×12 map (a multiple of 4, so `.none` keeps it as it is).
    let stored = (0..<192).map { ($0 * 7) % 151 }
    try writeImage(Image(ids: stored, width: 16, height: 12), root + "/annotations/training", "ADE_train_00000002.png")
    try writeImage(Image(ids: stored.reversed(), width: 16, height: 12), root + "/annotations/training", "ADE_train_00000001.png")
    for n in [2, 1] { try writeImage(testImage(width: 16, height: 12, channels: 3, seed: n), root + "/images/training", "ADE_train_0000000\(n).png") }
    let request = DatasetRequest(root: root, phase: "train", fields: [adeLabel, imageField], transform: fixed)
    let dataset = try XCTUnwrap(try DatasetLayouts.named("ade20k").make(request) as? LabelFolderDataset)
    XCTAssertEqual(dataset.labelIds, .zeroIsUnknown(unknown: 150))
    XCTAssertEqual(dataset.examples.map { URL(fileURLWithPath: $0.label).lastPathComponent }, ["ADE_train_00000001.png", "ADE_train_00000002.png"])
    let shifted = try batch(dataset, 1)["label"].scalars.map { Int($0) }
    for (raw, id) in zip(stored, shifted) { XCTAssertEqual(id, raw == 0 ? 150 : raw - 1, "stored id \(raw)") }
    XCTAssertEqual(Set(shifted), Set(0...150))
    XCTAssertEqual(try batch(dataset, 0)["label"].scalars.map { Int($0) }, stored.reversed().map { $0 == 0 ? 150 : $0 - 1 })
    XCTAssertEqual(try batch(dataset, 1)["image"].scalars, testImage(width: 16, height: 12, channels: 3, seed: 2).tensor().scalars)

    // val and test read validation/, where a release JPEG pairs with its PNG annotation by name.
    try FileManager.default.createDirectory(atPath: root + "/images/validation", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: Resources.path("tiny-rgb.jpg"), toPath: root + "/images/validation/ADE_val_00000001.jpg")
    let valLabel = try writeImage(Image(ids: (0..<(23 * 19)).map { $0 % 151 }, width: 23, height: 19), root + "/annotations/validation", "ADE_val_00000001.png")
    for phase in ["val", "test"] {
      let val = try XCTUnwrap(try ADE20KLayout.make(DatasetRequest(root: root, phase: phase, fields: [adeLabel, imageField], transform: fixed)) as? LabelFolderDataset)
      XCTAssertEqual(val.examples, [LabelFolderDataset.Example(label: valLabel, image: root + "/images/validation/ADE_val_00000001.jpg")])
    }
    XCTAssertThrowsError(try ADE20KLayout.make(DatasetRequest(root: root, phase: "trainval", fields: [adeLabel, imageField], transform: fixed))) { error in
      XCTAssertEqual("\(error)", "--dataset-mode ade20k: --phase 'trainval' has no folder (expected train, val or test)")
    }
  }

  func testADE20KErrorsNameTheFilesAndTheFieldsItCannotProduce() throws {
    let root = try temporaryFolder(self)
    try writeImage(Image(ids: [0, 1, 150, 2], width: 2, height: 2), root + "/annotations/training", "ADE_train_00000001.png")
    let bad = try writeImage(Image(ids: [0, 1, 152, 2], width: 2, height: 2), root + "/annotations/training", "ADE_train_00000002.png")
    for n in 1...2 { try writeImage(testImage(width: 2, height: 2, channels: 3, seed: n), root + "/images/training", "ADE_train_0000000\(n).png") }
    let dataset = try ADE20KLayout.make(DatasetRequest(root: root, fields: [adeLabel, imageField], transform: fixed))
    XCTAssertNoThrow(try dataset.sample(SampleSlot(epoch: 0, position: 0, index: 0), seed: 1))
    // Stored 152 is class 151 after the shift: outside 0..<150 and not the unknown id.
    assertNamedError(bad, containing: "class id 151 at (0, 1) is outside 0..<150 and is not the don't-care id 150") {
      _ = try dataset.sample(SampleSlot(epoch: 0, position: 1, index: 1), seed: 1)
    }

    try writeImage(testImage(width: 2, height: 2, channels: 3), root + "/images/training", "ADE_train_00000003.png")
    assertNamedError("\(root)/images/training: ADE_train_00000003.png") {
      _ = try ADE20KLayout.make(DatasetRequest(root: root, fields: [adeLabel, imageField], transform: fixed))
    }

    XCTAssertThrowsError(try ADE20KLayout.make(DatasetRequest(root: root, fields: [BatchField("label", .labelMap(classes: 150, dontCare: 255)), imageField], transform: fixed))) { error in
      XCTAssertTrue("\(error)".hasPrefix("--dataset-mode ade20k: cannot produce field 'label' (label map (150 classes, don't-care 255))"), "\(error)")
    }
    XCTAssertThrowsError(try ADE20KLayout.make(DatasetRequest(root: root, fields: [adeLabel, imageField, instanceField], transform: fixed))) { error in
      XCTAssertTrue("\(error)".hasPrefix("--dataset-mode ade20k: cannot produce field 'instance' (instance map)"), "\(error)")
    }
  }
}
