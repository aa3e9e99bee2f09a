import Foundation
import XCTest
import NN
import Tensors
import TestSupport

final class StateDictTests: XCTestCase {
  func makeNet() -> Sequential { Sequential(Affine(3), Twice(), Block()) }

  func randomize(_ m: Module, seed: UInt64) {
    var rng = RandomStream(seed: seed)
    for (_, t) in m.stateDict() { t.assign(Tensor.randn(t.shape, &rng)) }
  }

  func temporaryFile() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("nn-\(UUID()).safetensors")
  }

  func testRoundTripThroughAFileKeepsParameterIdentity() throws {
    let a = makeNet(), b = makeNet()
    randomize(a, seed: 1)
    let url = temporaryFile()
    defer { try? FileManager.default.removeItem(at: url) }
    try a.save(to: url, metadata: ["format": "pt"])
    let storages = b.parameters().map(\.storage)
    try b.load(from: url)
    for ((na, ta), (nb, tb)) in zip(a.stateDict(), b.stateDict()) {
      XCTAssertEqual(na, nb)
      XCTAssertEqual(ta.scalars, tb.scalars, na)
    }
    XCTAssertTrue(zip(storages, b.parameters().map(\.storage)).allSatisfy { $0 === $1 },
                  "loading writes into the parameters: optimisers holding them see the new values")
    XCTAssertTrue(b.parameters().allSatisfy(\.requiresGrad))
    XCTAssertEqual(try SafeTensors.read(url).metadata["format"], "pt")
  }

  func testLoadErrorsNameTheKey() {
    let net = makeNet()
    var state = Dictionary(uniqueKeysWithValues: makeNet().stateDict().map { ($0.name, $0.tensor.copy()) })
    for (_, t) in state { t.assign(Tensor(repeating: 7, t.shape)) }

    var missing = state
    missing["2.conv_block.2.bias"] = nil
    XCTAssertThrowsError(try net.loadStateDict(missing)) { e in
      XCTAssertEqual(e as? StateDictError, .missingKeys(["2.conv_block.2.bias"]))
      XCTAssertTrue("\(e)".contains("2.conv_block.2.bias"))
    }
    var unexpected = state
    unexpected["3.weight"] = Tensor(zeros: [3])
    XCTAssertThrowsError(try net.loadStateDict(unexpected)) { e in
      XCTAssertEqual(e as? StateDictError, .unexpectedKeys(["3.weight"]))
      XCTAssertTrue("\(e)".contains("3.weight"))
    }
    state["2.conv_block.0.weight"] = Tensor(zeros: [4])
    XCTAssertThrowsError(try net.loadStateDict(state)) { e in
      XCTAssertEqual(e as? StateDictError, .shapeMismatch(key: "2.conv_block.0.weight", expected: [3], got: [4]))
      XCTAssertTrue("\(e)".contains("2.conv_block.0.weight"))
    }
    XCTAssertTrue(net.stateDict().allSatisfy { !$0.tensor.scalars.contains(7) }, "a failed load changes nothing")
    XCTAssertThrowsError(try net.loadStateDict(state, strict: false), "a shape mismatch is an error even when not strict")
  }

  func testNonStrictLoadIgnoresMissingAndUnexpectedKeys() throws {
    let net = makeNet()
    try net.loadStateDict(["0.bias": Tensor([1, 2, 3], [3]), "head.weight": Tensor(zeros: [2])], strict: false)
    XCTAssertEqual(net.module(at: "0")!.localParameters[1].tensor.scalars, [1, 2, 3])
    XCTAssertEqual(net.module(at: "0")!.localParameters[0].tensor.scalars, [1, 1, 1])
  }

  func testLoadedBufferIsUpdatedInPlace() throws {
    let net = makeNet()
    try net.loadStateDict(["0.num_calls": Tensor(scalar: 5)], strict: false)
    XCTAssertEqual((net.module(at: "0") as! Affine).calls.item, 5)
  }
}
