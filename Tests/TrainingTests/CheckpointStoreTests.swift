import Foundation
import XCTest
@testable import Training

final class CheckpointStoreTests: XCTestCase {
  var root: URL!
  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("i2i-ckpt-\(UUID().uuidString)")
  }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

  func state(_ step: Int) -> CheckpointState {
    CheckpointState(model: "cyclegan", step: step, epoch: 1, cursorEpoch: 1, cursorConsumed: step * 2, worldSize: 2,
                    options: ["lr": "0.0002"])
  }

  func testSaveWritesFilesStateAndLatestAndVerifies() throws {
    let store = CheckpointStore(directory: root, keep: 3)
    let dir = try store.save([("net_G_A.safetensors", Data([1, 2, 3])), ("optim_G.safetensors", Data([4]))], state: state(6))
    XCTAssertEqual(dir.lastPathComponent, "step-00000006")
    let latest = try String(contentsOf: root.appendingPathComponent("latest"), encoding: .utf8)
    XCTAssertEqual(latest, "step-00000006\n")
    let s = try CheckpointStore.verify(dir)
    XCTAssertEqual(s.step, 6)
    XCTAssertEqual(Set(s.files.keys), ["net_G_A.safetensors", "optim_G.safetensors"])
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix(".") }
    XCTAssertEqual(leftovers, [], "no temporary files remain")
  }

  func testOnlyTheNewestKeepRemain() throws {
    let store = CheckpointStore(directory: root, keep: 2)
    for step in [3, 6, 9, 12] { try store.save([("a", Data([UInt8(step)]))], state: state(step)) }
    XCTAssertEqual(store.checkpoints().map(\.lastPathComponent), ["step-00000012", "step-00000009"])
  }

  func testCorruptOrTruncatedFilesAreDetectedAndSkipped() throws {
    let store = CheckpointStore(directory: root, keep: 5)
    try store.save([("net.safetensors", Data(repeating: 7, count: 100))], state: state(3))
    let newest = try store.save([("net.safetensors", Data(repeating: 8, count: 100))], state: state(6))
    let file = newest.appendingPathComponent("net.safetensors")
    var bytes = try Data(contentsOf: file)
    bytes[50] ^= 0x10  // one flipped bit
    try bytes.write(to: file)
    XCTAssertThrowsError(try CheckpointStore.verify(newest)) { XCTAssertTrue("\($0)".contains("net.safetensors is corrupt")) }
    var warnings: [String] = []
    let chosen = store.newestValid { warnings.append($0) }
    XCTAssertEqual(chosen?.state.step, 3)
    XCTAssertEqual(warnings.count, 1)
    XCTAssertTrue(warnings[0].contains("step-00000006"))

    try Data(repeating: 7, count: 99).write(to: store.checkpoints()[1].appendingPathComponent("net.safetensors"))  // truncated
    XCTAssertNil(store.newestValid { _ in })
  }

  func testMissingStateJSONIsInvalid() throws {
    let store = CheckpointStore(directory: root, keep: 5)
    let dir = try store.save([("a", Data([1]))], state: state(1))
    try FileManager.default.removeItem(at: dir.appendingPathComponent("state.json"))
    XCTAssertThrowsError(try CheckpointStore.verify(dir)) { XCTAssertTrue("\($0)".contains("state.json")) }
  }

  func testAnEditedStateJSONIsInvalid() throws {
    let store = CheckpointStore(directory: root, keep: 5)
    let dir = try store.save([("a", Data([1]))], state: state(4))
    let url = dir.appendingPathComponent("state.json")
    let edited = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"step\" : 4", with: "\"step\" : 40")
    try Data(edited.utf8).write(to: url)
    XCTAssertThrowsError(try CheckpointStore.verify(dir)) { XCTAssertTrue("\($0)".contains("state.json is corrupt or was edited"), "\($0)") }
  }

  func testStaleTemporariesOfDeadWritersAreRemovedAndLiveOnesKept() throws {
    let store = CheckpointStore(directory: root, keep: 5)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let dead = root.appendingPathComponent(".step-00000005.tmp-999999"), live = root.appendingPathComponent(".step-00000005.tmp-1")
    for url in [dead, live] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    var warnings: [String] = []
    store.removeStaleTemporaries { warnings.append($0) }
    XCTAssertFalse(FileManager.default.fileExists(atPath: dead.path))
    XCTAssertTrue(FileManager.default.fileExists(atPath: live.path), "pid 1 is running: its write may be under way")
    XCTAssertEqual(warnings.count, 1)
  }

  /// The value the word-at-a-time FNV-1a gave before it moved onto `FNV1a64` (checkpoints on disk carry it).
  func testChecksumValueIsStable() {
    XCTAssertEqual(Checksum.of(Data("abcdefghij".utf8)), "fnv1a64:207f54d10197afbf")
  }

  func testChecksumSeesEveryByteAndTheLength() {
    let a = Data((0..<1000).map { UInt8($0 % 251) })
    var b = a; b[999] ^= 1
    XCTAssertNotEqual(Checksum.of(a), Checksum.of(b))
    XCTAssertNotEqual(Checksum.of(a), Checksum.of(a.prefix(999)))
    XCTAssertNotEqual(Checksum.of(Data(count: 8)), Checksum.of(Data(count: 16)))
  }
}
