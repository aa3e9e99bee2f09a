import XCTest
import Replicas
import Models
import NN
import Tensors
import TestSupport

/// The per-class FIFO of pixel keys (`--pixel-memory`).
final class PixelMemoryBankTests: XCTestCase {
  /// Key i is [i, −i]: its value says when it arrived.
  static func keys(_ range: Range<Int>) -> Tensor { Tensor(range.flatMap { [Float($0), Float(-$0)] }, [range.count, 2]) }

  func testFirstInFirstOutPerClass() {
    let bank = PixelMemoryBank(classes: 3, capacity: 3, width: 2)
    bank.enqueue(Self.keys(0..<4), labels: [0, 2, 0, 0])
    XCTAssertEqual(bank.counts, [3, 0, 1])
    bank.enqueue(Self.keys(4..<7), labels: [0, 0, 2])  // class 0 now holds keys 3, 4, 5: 0 and 2 are gone
    XCTAssertEqual(bank.counts, [3, 0, 2])
    XCTAssertEqual(bank.count, 5)
    let (keys, labels) = bank.contents()
    XCTAssertEqual(labels, [0, 0, 0, 2, 2])
    let arrivals = (0..<5).map { Int(keys[flat: 2 * $0]) }
    XCTAssertEqual(Set(arrivals[0..<3]), [3, 4, 5])
    XCTAssertEqual(arrivals[3...], [1, 6])
    XCTAssertEqual((0..<5).map { keys[flat: 2 * $0 + 1] }, arrivals.map { Float(-$0) }, "whole rows move together")
  }

  func testStateRoundTripKeepsTheRingPosition() throws {
    let bank = PixelMemoryBank(classes: 2, capacity: 3, width: 2)
    bank.enqueue(Self.keys(0..<5), labels: [1, 1, 1, 1, 0])
    let state = bank.stateDict()
    XCTAssertEqual(state.map(\.name), ["keys", "count", "next"])
    XCTAssertEqual(state.map(\.tensor.shape), [[2, 3, 2], [2], [2]])
    let copy = PixelMemoryBank(classes: 2, capacity: 3, width: 2)
    try copy.loadStateDict(Dictionary(uniqueKeysWithValues: state.map { ($0.name, $0.tensor) }))
    for b in [bank, copy] { b.enqueue(Self.keys(5..<7), labels: [1, 0]) }  // the next key overwrites the same slot
    XCTAssertEqual(copy.contents().keys.scalars, bank.contents().keys.scalars)
    XCTAssertEqual(copy.counts, bank.counts)
    XCTAssertEqual(copy.next, bank.next)
  }

  func testBadStateIsAnErrorThatChangesNothing() {
    let bank = PixelMemoryBank(classes: 2, capacity: 3, width: 2)
    bank.enqueue(Self.keys(0..<1), labels: [1])
    let good = Dictionary(uniqueKeysWithValues: bank.stateDict().map { ($0.name, $0.tensor) })
    var cases: [(String, [String: Tensor])] = []
    var d = good; d["next"] = nil; cases.append(("missing key pixel_memory.next", d))
    d = good; d["extra"] = Tensor(scalar: 0); cases.append(("unexpected key pixel_memory.extra", d))
    d = good; d["keys"] = Tensor(zeros: [2, 4, 2]); cases.append(("pixel_memory.keys: expected shape [2, 3, 2]", d))
    d = good; d["count"] = Tensor([4, 0], [2]); cases.append(("class 0 holds 4.0 keys", d))
    d = good; d["next"] = Tensor([2, 1], [2]); cases.append(("class 0 holds 0.0 keys with next slot 2.0", d))
    d = good; d["count"] = Tensor([0.5, 1], [2]); cases.append(("class 0 holds 0.5 keys", d))
    for (says, state) in cases {
      let target = PixelMemoryBank(classes: 2, capacity: 3, width: 2)
      target.enqueue(Self.keys(7..<8), labels: [0])
      XCTAssertThrowsError(try target.loadStateDict(state)) { XCTAssertTrue("\($0)".contains(says), "\($0)") }
      XCTAssertEqual(target.counts, [1, 0], says)
      XCTAssertEqual(target.contents().keys.scalars, [7, -7], says)
    }
  }

  /// Every rank takes rank 0's bank; on one process that is a no-op that keeps the contents.
  func testSynchronizeFromRootOnOneProcess() throws {
    let bank = PixelMemoryBank(classes: 2, capacity: 2, width: 2)
    bank.enqueue(Self.keys(0..<3), labels: [0, 0, 0])
    try bank.synchronizeFromRoot(context: LocalReplicaContext())
    XCTAssertEqual(bank.counts, [2, 0])
    XCTAssertEqual(bank.next, [1, 0])
    XCTAssertEqual(Set(bank.contents().keys.scalars), [2, -2, 1, -1])
  }
}
