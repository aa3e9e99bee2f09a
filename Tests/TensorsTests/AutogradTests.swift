import Foundation
import XCTest
import Tensors
import TestSupport

final class AutogradTests: XCTestCase {
  func testFanOutAccumulates() throws {
    let x = Tensor([1, 2, 3], [3]).requiringGrad()
    let y = x * x + x  // dy/dx = 2x + 1
    try y.backward(Tensor.ones([3]))
    XCTAssertEqual(x.grad?.scalars, [3, 5, 7])
  }

  func testLeafGradientAccumulatesAcrossBackwardCalls() throws {
    let x = Tensor([1, 2], [2]).requiringGrad()
    try (x * 3).backward(Tensor.ones([2]))
    try (x * 3).backward(Tensor.ones([2]))
    XCTAssertEqual(x.grad?.scalars, [6, 6])
  }

  func testSeedIsNotAliasedByLeafGradient() throws {
    let x = Tensor([1, 2], [2]).requiringGrad()
    let seed = Tensor([1, 1], [2])
    try (x + Tensor([0, 0], [2])).backward(seed)
    try (x + Tensor([0, 0], [2])).backward(seed)
    XCTAssertEqual(seed.scalars, [1, 1])
    XCTAssertEqual(x.grad?.scalars, [2, 2])
  }

  func testNoGradRecordsNothing() {
    let x = Tensor([1], [1]).requiringGrad()
    let y = noGrad { x * x }
    XCTAssertFalse(y.requiresGrad)
    XCTAssertTrue((x * x).requiresGrad)
    XCTAssertFalse(x.detached().requiresGrad)
  }

  func testInPlaceWriteToSavedTensorIsAnError() {
    let x = Tensor([1, 2], [2]).requiringGrad()
    let w = Tensor([3, 4], [2])
    let y = x * w
    w[flat: 0] = 10  // mul saved w for its backward
    XCTAssertThrowsError(try y.backward(Tensor.ones([2]))) { error in
      XCTAssertEqual(error as? AutogradError, .savedTensorModified(op: "mul"))
    }
  }

  func testSecondBackwardThroughReleasedGraphIsAnError() throws {
    let x = Tensor([1, 2], [2]).requiringGrad()
    let y = x * x
    try y.backward(Tensor.ones([2]))
    XCTAssertThrowsError(try y.backward(Tensor.ones([2])))
    let z = x * x
    try z.backward(Tensor.ones([2]), retainGraph: true)
    XCTAssertNoThrow(try z.backward(Tensor.ones([2])))
  }

  func testNonScalarBackwardNeedsAGradient() {
    let x = Tensor([1, 2], [2]).requiringGrad()
    XCTAssertThrowsError(try (x * x).backward())
  }

  func testBackwardReleasesSavedBuffers() throws {
    let before = LiveStorage.count
    do {
      let x = Tensor.ones([4, 4]).requiringGrad()
      var y = x * x
      for _ in 0..<10 { y = y * x + x }
      try y.backward(Tensor.ones([4, 4]))
    }
    XCTAssertEqual(LiveStorage.count, before, "every storage of the graph is freed once the tensors go out of scope")
  }

  func testDeepChainDoesNotOverflowTheStack() throws {
    let x = Tensor([1], [1]).requiringGrad()
    var y = x
    for _ in 0..<20_000 { y = y + 0 }
    try y.backward(Tensor.ones([1]))
    XCTAssertEqual(x.grad?.scalars, [1])
  }

  func testBroadcastingGradientsSumBackToInputShape() {
    var rng = RandomStream(seed: 3)
    let a = Tensor.randn([2, 3, 4, 5], &rng), b = Tensor.randn([1, 3, 1, 1], &rng), c = Tensor.randn([5], &rng)
    gradCheck("add broadcast", [a, b]) { $0[0] + $0[1] }
    gradCheck("sub broadcast", [a, c]) { $0[0] - $0[1] }
    gradCheck("mul broadcast", [a, b]) { $0[0] * $0[1] }
    gradCheck("div broadcast", [a, b * b + 1]) { $0[0] / $0[1] }
    gradCheck("scalar ops", [a]) { (2 - $0[0] * 3 + 1) / 4 }
  }

  func testRandomStreamIsAFunctionOfSeedAndKey() {
    var a = RandomStream(seed: 1, key: [2, 3]), b = RandomStream(seed: 1, key: [2, 3]), c = RandomStream(seed: 1, key: [2, 4])
    let xa = (0..<10).map { _ in a.nextUInt32() }, xb = (0..<10).map { _ in b.nextUInt32() }
    let xc = (0..<10).map { _ in c.nextUInt32() }
    XCTAssertEqual(xa, xb)
    XCTAssertNotEqual(xa, xc)
    var n = RandomStream(seed: 9)
    let samples = (0..<20_000).map { _ in Double(n.nextNormal()) }
    let mean = samples.reduce(0, +) / 20_000, variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20_000
    XCTAssertEqual(mean, 0, accuracy: 0.03)
    XCTAssertEqual(variance, 1, accuracy: 0.05)
  }

  func testSafeTensorsRoundTripAndErrors() throws {
    let t = Tensor([1, -2.5, 3, 4, 5, 6], [2, 3])
    let data = try SafeTensors.encode([("a.weight", t)], metadata: ["k": "v"])
    let back = try SafeTensors.decode(data, file: "mem")
    XCTAssertEqual(back.tensors["a.weight"]?.scalars, t.scalars)
    XCTAssertEqual(back.tensors["a.weight"]?.shape, [2, 3])
    XCTAssertEqual(back.metadata, ["k": "v"])
    XCTAssertThrowsError(try SafeTensors.decode(data.prefix(data.count - 1), file: "cut.safetensors")) { e in
      XCTAssertTrue("\(e)".contains("cut.safetensors"))
    }
    XCTAssertThrowsError(try SafeTensors.decode(Data(), file: "empty.safetensors"))
  }
}

final class AutogradLeafTests: XCTestCase {
  func testFrozenLeafGetsNoGradient() throws {
    let w = Tensor([2], [1]).requiringGrad()
    let x = Tensor([3], [1]).requiringGrad()
    w.node?.isFrozen = true
    XCTAssertFalse(w.requiresGrad)
    try (w * x).backward(Tensor.ones([1]))
    XCTAssertNil(w.grad)
    XCTAssertEqual(x.grad?.scalars, [2])
    w.node?.isFrozen = false
    try (w * x).backward(Tensor.ones([1]))
    XCTAssertEqual(w.grad?.scalars, [3])
  }

  func testGradientReadyHookFiresOnceWithTheCompleteGradient() throws {
    let w = Tensor([2], [1]).requiringGrad()
    var seen: [Float] = []
    w.node?.gradientReadyHook = { n in seen.append(n.grad!.item) }
    let y = w * 3 + w * 4 + w  // three consumers: the hook sees the sum once
    try y.backward(Tensor.ones([1]))
    XCTAssertEqual(seen, [8])
  }

  func testGradientAccumulatesInPlaceIntoAnExistingBuffer() throws {
    let w = Tensor([1, 1], [2]).requiringGrad()
    let bucket = Tensor(zeros: [4])
    w.grad = Tensor(storage: TensorStorage(borrowing: bucket.storage.base + 1, count: 2, owner: bucket.storage), shape: [2])
    try (w * Tensor([5, 6], [2])).backward(Tensor.ones([2]))
    XCTAssertEqual(bucket.scalars, [0, 5, 6, 0])
  }
}
