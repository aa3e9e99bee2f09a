import Foundation
import XCTest
@testable import Data
import Tensors

final class BrainPrepareTests: XCTestCase {
  /// uint8 NIfTI volumes of `shape` from (x, y, z) → value.
  private func volume(_ shape: [Int], _ value: (Int, Int, Int) -> Int) throws -> NIfTIVolume {
    var data: [UInt8] = []
    for z in 0..<shape[2] { for y in 0..<shape[1] { for x in 0..<shape[0] { data.append(UInt8(value(x, y, z))) } } }
    return try NIfTIVolume(bytes: handMadeNIfTI(shape: shape, datatype: 2, bitpix: 8, data: data), name: "v.nii")
  }

  private func tissue(_ shape: [Int], t1: (Int, Int, Int) -> Int, grey: (Int, Int, Int) -> Int,
                      white: (Int, Int, Int) -> Int) throws -> BrainTissue {
    try BrainTissue(t1: volume(shape, t1), grey: volume(shape, grey), white: volume(shape, white), names: ("t1", "gm", "wm"))
  }

  /// Outside the mask everything is background, whatever GM says; inside, the largest of 255 − GM − WM, GM, WM,
  /// ties to the lower class.
  func testTissueArgmax() throws {
    // x:        0 outside   1         2         3          4         5 (tie GM=WM)  6 (three-way tie)
    let grey =  [200,        200,      60,       127,       0,        100,           85]
    let white = [0,          50,       60,       128,       0,        100,           85]
    let t1 =    [0,          90,       90,       90,        90,       90,            90]
    let brain = try tissue([7, 1, 1], t1: { x, _, _ in t1[x] }, grey: { x, _, _ in grey[x] }, white: { x, _, _ in white[x] })
    XCTAssertEqual(brain.labels, [0, 2, 1, 3, 1, 2, 1])
    XCTAssertEqual(brain.classCounts, [1, 3, 2, 1])
    XCTAssertEqual(brain.probabilities[0], [255, 0, 0, 0, 0, 0, 0])
    XCTAssertEqual(brain.probabilities[1], [0, 5, 135, 0, 255, 55, 85])
    XCTAssertEqual(brain.probabilities[2][0], 0, "GM outside the mask is dropped")
  }

  func testTissueNeedsOneGrid() throws {
    let a = try volume([2, 2, 2]) { _, _, _ in 1 }, b = try volume([2, 2, 3]) { _, _, _ in 1 }
    assertNamedError("wm.nii", containing: "grid of t1.nii") {
      _ = try BrainTissue(t1: a, grey: a, white: b, names: ("t1.nii", "gm.nii", "wm.nii"))
    }
  }

  /// Axial slices show anterior (high y) at the top, coronal and sagittal superior (high z); x, or y, to the right.
  func testSliceOrientation() throws {
    let shape = [2, 3, 4]
    var v: [UInt8] = []
    for z in 0..<4 { for y in 0..<3 { for x in 0..<2 { v.append(UInt8(100 * x + 10 * y + z)) } } }
    XCTAssertEqual(BrainSlices.slice(v, shape: shape, .axial, 1).pixels, [21, 121, 11, 111, 1, 101])
    let coronal = BrainSlices.slice(v, shape: shape, .coronal, 2)
    XCTAssertEqual([coronal.width, coronal.height], [2, 4])
    XCTAssertEqual(coronal.pixels, [23, 123, 22, 122, 21, 121, 20, 120])
    XCTAssertEqual(BrainSlices.slice(v, shape: shape, .sagittal, 1).pixels, [103, 113, 123, 102, 112, 122, 101, 111, 121, 100, 110, 120])
  }

  /// Along one axis (positions 0..<120 kept): blocks 20–29 and 70–79 held out, 3 slices each side dropped.
  func testSplitHoldsOutBlocksWithGaps() {
    let plan = BrainSlices.split(Array(5..<125), options: BrainSlices.Options())
    let test = plan.filter { $0.split == .test }.map(\.index), train = plan.filter { $0.split == .train }.map(\.index)
    XCTAssertEqual(test, Array(25..<35) + Array(75..<85))
    // Dropped: 3 each side of a held-out block; none at the end, where no block follows.
    let dropped = Set(5..<125).subtracting(test).subtracting(train)
    XCTAssertEqual(dropped, Set([22, 23, 24, 35, 36, 37, 72, 73, 74, 85, 86, 87]))
    for t in train { XCTAssertTrue(test.allSatisfy { abs($0 - t) > 3 }, "train slice \(t) is next to a test slice") }
    var every2 = BrainSlices.Options()
    every2.step = 2
    let sub = BrainSlices.split(Array(5..<125), options: every2)
    XCTAssertEqual(sub.filter { $0.split == .test }.map(\.index), [25, 27, 29, 31, 33, 75, 77, 79, 81, 83])
    XCTAssertTrue(sub.allSatisfy { ($0.index - 5) % 2 == 0 })
  }

  /// A 9×6×5 brain: a box of tissue (x 2...6, y 1...4, z 1...3), mirror-symmetric in x.
  private func boxBrain(symmetric: Bool = true) throws -> BrainTissue {
    let inside = { (x: Int, y: Int, z: Int) in (2...6).contains(x) && (1...4).contains(y) && (1...3).contains(z) }
    return try tissue([9, 6, 5], t1: { x, y, z in inside(x, y, z) ? 100 + y + (symmetric ? 0 : x) : 0 },
                      grey: { x, y, z in inside(x, y, z) && y < 3 ? 200 : 0 }, white: { x, y, z in inside(x, y, z) && y >= 3 ? 180 : 0 })
  }

  func testPlanKeepsSlicesWithBrainAndOneSagittalHalfOfASymmetricVolume() throws {
    var options = BrainSlices.Options()
    options.block = 1  // positions 2, 7, … after each axis's first slice are held out, no gaps
    options.gap = 0
    let plan = BrainSlices.plan(try boxBrain(), options: options)
    // Axial z 1...3, coronal y 1...4; sagittal x 4...6 (x 2, 3 mirror 6, 5): each more than 5 % brain.
    XCTAssertEqual(plan.map(\.name), ["axial_001", "axial_002", "axial_003", "coronal_001", "coronal_002", "coronal_003",
                                      "coronal_004", "sagittal_004", "sagittal_005", "sagittal_006"])
    XCTAssertEqual(plan.filter { $0.split == .test }.map(\.name), ["axial_003", "coronal_003", "sagittal_006"])
    XCTAssertTrue(BrainSlices.isMirrorSymmetricInX(try boxBrain()))
    XCTAssertFalse(BrainSlices.isMirrorSymmetricInX(try boxBrain(symmetric: false)))
    let asymmetric = BrainSlices.plan(try boxBrain(symmetric: false), options: options)
    XCTAssertEqual(asymmetric.filter { $0.axis == .sagittal }.map(\.index), [2, 3, 4, 5, 6])
    XCTAssertEqual(BrainSlices.brainFraction(try boxBrain(), .axial, 2), 20.0 / 54.0, accuracy: 1e-12)
  }

  /// At the canvas side no resampling happens: the label map is the voxel rule and the T1 the padded slice; smaller,
  /// each pixel takes the class whose resized probability is largest.
  func testImagesPadAndResample() throws {
    let brain = try boxBrain()
    let slice = BrainSlices.Slice(axis: .coronal, index: 2, split: .train)
    let full = BrainSlices.images(brain, slice, size: 9)
    let labels = BrainSlices.slice(brain.labels, shape: brain.shape, .coronal, 2)
    XCTAssertEqual(full.label, BrainSlices.centred(labels, side: 9, fill: 0))
    XCTAssertEqual(full.t1, BrainSlices.centred(BrainSlices.slice(brain.t1, shape: brain.shape, .coronal, 2), side: 9, fill: 0))
    XCTAssertEqual(Set(full.label.pixels), [0, 2])
    let small = BrainSlices.images(brain, slice, size: 3)
    XCTAssertEqual([small.label.width, small.label.height, small.t1.width], [3, 3, 3])
    XCTAssertEqual(small.label.pixels[4], 2, "the centre pixel is grey matter")
    XCTAssertEqual(small.t1, full.t1.resized(width: 3, height: 3))
  }

  /// The three files in a folder, as .nii.gz, and the same files inside a wheel.
  private func templateFiles(_ brain: (Int, Int, Int) -> (Int, Int, Int)) throws -> (folder: String, wheel: String) {
    let folder = try temporaryFolder(self), data = folder + "/nilearn/datasets/data"
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    var members: [(name: String, content: [UInt8], method: Int, data: [UInt8])] = []
    for (k, name) in [MNI152Brain.t1File, MNI152Brain.greyFile, MNI152Brain.whiteFile].enumerated() {
      var values: [UInt8] = []
      for z in 0..<4 { for y in 0..<5 { for x in 0..<6 {
        let v = brain(x, y, z)
        values.append(UInt8([v.0, v.1, v.2][k]))
      } } }
      let path = data + "/" + (name as NSString).deletingPathExtension
      try writeGzip(handMadeNIfTI(shape: [6, 5, 4], datatype: 2, bitpix: 8, data: values), path)
      let gz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
      members.append(("nilearn/datasets/data/" + name, gz, 8, try deflated(gz, folder: folder)))
    }
    let wheel = folder + "/nilearn-0.14.1-py3-none-any.whl"
    try Data(handMadeZip(members)).write(to: URL(fileURLWithPath: wheel))
    return (folder, wheel)
  }

  func testPrepareFromFolderAndWheelWritesLabelFolders() throws {
    let (folder, wheel) = try templateFiles { x, y, z in
      let inside = (1...4).contains(x) && (1...3).contains(y) && (0...2).contains(z)
      return inside ? (50 + 10 * y, y == 1 ? 255 : 0, y == 3 ? 200 : 0) : (0, 0, 0)
    }
    var options = MNI152Brain.Options()
    options.slices.size = 8
    options.slices.block = 1
    options.slices.gap = 0
    var outputs: [String] = []
    for source in [folder, folder + "/nilearn/datasets/data", wheel] {
      options.source = source
      let out = try temporaryFolder(self) + "/brain"
      let summary = try MNI152Brain.prepare(out: out, options: options)
      XCTAssertEqual(summary.voxels, [120 - 36, 12, 12, 12], source)
      XCTAssertEqual(summary.files, ["train_label": 6, "train_img": 6, "test_label": 2, "test_img": 2], source)
      XCTAssertEqual(summary.slices, ["axial train": 2, "axial test": 1, "coronal train": 2, "coronal test": 1,
                                      "sagittal train": 2], source)
      outputs.append(out)
    }
    for name in ["train_label/axial_001.png", "test_img/coronal_003.png", "train_img/sagittal_004.png"] {
      XCTAssertEqual(try ImageFile.read(outputs[0] + "/" + name), try ImageFile.read(outputs[2] + "/" + name), name)
    }
    let dataset = try LabelFolderDataset(root: outputs[2], phase: "test", label: BatchField("label", .labelMap(classes: 4, dontCare: nil)),
                                         image: BatchField("image", .image(channels: 1)), transform: TransformOptions(preprocess: .none, flip: false))
    XCTAssertEqual(dataset.examples.map { ($0.label as NSString).lastPathComponent }, ["axial_002.png", "coronal_003.png"])
    // A second run refuses to mix files; a missing file is named.
    options.source = wheel
    XCTAssertThrowsError(try MNI152Brain.prepare(out: outputs[2], options: options))
    try FileManager.default.removeItem(atPath: folder + "/nilearn/datasets/data/" + MNI152Brain.whiteFile)
    options.source = folder
    assertNamedError(folder + "/nilearn/datasets/data/" + MNI152Brain.whiteFile, containing: "not found") {
      _ = try MNI152Brain.prepare(out: try temporaryFolder(self), options: options)
    }
    options.source = folder + "/none.whl"
    assertNamedError(folder + "/none.whl", containing: "pip download") {
      _ = try MNI152Brain.prepare(out: try temporaryFolder(self), options: options)
    }
  }

  /// data/brain as committed: the four folders, 64×64, paired by name, ids 0–3 (all four present), every slice 64²;
  /// train and test share no slice and no training slice lies within 3 mm of a test slice of its axis.
  func testEmbeddedBrainSetLoads() throws {
    let root = packageRoot() + "/data/brain"
    let label = BatchField("label", .labelMap(classes: 4, dontCare: nil)), image = BatchField("image", .image(channels: 1))
    var names: [String: [String]] = [:]
    for (phase, count) in [("train", 264), ("test", 70)] {
      let dataset = try LabelFolderDataset(root: root, phase: phase, label: label, image: image,
                                           transform: TransformOptions(preprocess: .none, flip: false))
      XCTAssertEqual(dataset.count, count, phase)
      names[phase] = dataset.examples.map { (($0.label as NSString).lastPathComponent as NSString).deletingPathExtension }
      var seen = Set<Int>()
      for index in stride(from: 0, to: dataset.count, by: 7) {
        let sample = try dataset.sample(SampleSlot(epoch: 0, position: index, index: index), seed: 1)
        let map = try XCTUnwrap(sample.fields["label"]?.image), t1 = try XCTUnwrap(sample.fields["image"]?.image)
        XCTAssertEqual([map.width, map.height, t1.width, t1.height, t1.channels], [64, 64, 64, 64, 1])
        seen.formUnion(map.ids)
      }
      XCTAssertEqual(seen, [0, 1, 2, 3], phase)
    }
    func positions(_ phase: String, _ axis: String) -> [Int] {
      names[phase]!.filter { $0.hasPrefix(axis + "_") }.compactMap { Int($0.split(separator: "_")[1]) }
    }
    for axis in BrainSlices.Axis.allCases.map(\.rawValue) {
      let test = positions("test", axis), train = positions("train", axis)
      XCTAssertFalse(test.isEmpty, axis)
      for t in train { XCTAssertTrue(test.allSatisfy { abs($0 - t) > 3 }, "\(axis) train slice \(t) is next to a test slice") }
    }
  }
}
