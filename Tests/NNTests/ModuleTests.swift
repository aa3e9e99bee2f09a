import Foundation
import XCTest
import NN
import Tensors
import TestSupport

/// A minimal parameterised layer for tree tests: y = x · scale + shift, with a `count` buffer.
final class Affine: Module, UnaryLayer {
  let scale: Tensor, shift: Tensor
  let calls = Tensor(zeros: [])

  init(_ n: Int) {
    scale = Tensor.ones([n]).requiringGrad()
    shift = Tensor(zeros: [n]).requiringGrad()
    super.init()
    registerParameter("weight", scale)
    registerParameter("bias", shift)
    registerBuffer("num_calls", calls)
  }

  func callAsFunction(_ x: Tensor) -> Tensor { x * scale + shift }
}

/// A parameterless layer: it must still take an index in a Sequential.
final class Twice: Module, UnaryLayer {
  func callAsFunction(_ x: Tensor) -> Tensor { x * 2 }
}

/// PyTorch's pattern of a block holding a named Sequential: `conv_block.0.weight`.
final class Block: Module, UnaryLayer {
  let body = Sequential(Affine(3), Twice(), Affine(3))
  override init() {
    super.init()
    registerModule("conv_block", body)
  }
  func callAsFunction(_ x: Tensor) -> Tensor { x + body(x) }
}

final class ModuleTests: XCTestCase {
  func makeNet() -> Sequential { Sequential(Affine(3), Twice(), Block(), Sequential(Twice(), Affine(3))) }

  func testNestedSequentialNamesMatchPyTorch() {
    let net = makeNet()
    XCTAssertEqual(net.namedParameters().map(\.name), [
      "0.weight", "0.bias", "2.conv_block.0.weight", "2.conv_block.0.bias",
      "2.conv_block.2.weight", "2.conv_block.2.bias", "3.1.weight", "3.1.bias",
    ])
    XCTAssertEqual(net.namedBuffers().map(\.name), ["0.num_calls", "2.conv_block.0.num_calls",
                                                    "2.conv_block.2.num_calls", "3.1.num_calls"])
    XCTAssertEqual(net.stateDict().map(\.name), [
      "0.weight", "0.bias", "0.num_calls", "2.conv_block.0.weight", "2.conv_block.0.bias", "2.conv_block.0.num_calls",
      "2.conv_block.2.weight", "2.conv_block.2.bias", "2.conv_block.2.num_calls", "3.1.weight", "3.1.bias", "3.1.num_calls",
    ])
    XCTAssertEqual(net.namedModules().map(\.name), ["", "0", "1", "2", "2.conv_block", "2.conv_block.0",
                                                    "2.conv_block.1", "2.conv_block.2", "3", "3.0", "3.1"])
    XCTAssertEqual(net.parameterCount, 8 * 3)
    XCTAssertTrue(net.module(at: "2.conv_block.1") is Twice)
    XCTAssertNil(net.module(at: "2.conv_block.7"))
  }

  func testSequentialForwardChainsLayersInOrder() throws {
    let a = Affine(2), b = Affine(2)
    a.shift.assign(Tensor([1, 1], [2]))
    b.scale.assign(Tensor([3, 3], [2]))
    let net = Sequential(a, b)  // (x + 1) · 3
    XCTAssertEqual(net(Tensor([1, 2], [2])).scalars, [6, 9])
  }

  func testSharedModuleIsListedOnce() {
    let shared = Affine(2)
    let net = Sequential(shared, Twice(), shared)
    XCTAssertEqual(net.namedParameters().map(\.name), ["0.weight", "0.bias"])
    XCTAssertEqual(net.stateDict().count, 6, "the state dict lists a shared module under each path, as PyTorch does")
  }

  func testTrainEvalIsRecursive() {
    let net = makeNet()
    XCTAssertTrue(net.modules().allSatisfy(\.isTraining))
    net.eval()
    XCTAssertTrue(net.modules().allSatisfy { !$0.isTraining })
    net.module(at: "2")!.train()
    XCTAssertTrue(net.module(at: "2.conv_block.1")!.isTraining)
    XCTAssertFalse(net.module(at: "3.1")!.isTraining)
  }

  func testFrozenParametersAreNotTrainableAndGetNoGradient() throws {
    let net = makeNet()
    net.module(at: "2")!.freeze()
    XCTAssertEqual(net.namedTrainableParameters().map(\.name), ["0.weight", "0.bias", "3.1.weight", "3.1.bias"])
    try net(Tensor.ones([3])).backward(Tensor.ones([3]))
    XCTAssertNil(net.module(at: "2.conv_block.0")!.localParameters[0].tensor.grad)
    XCTAssertNotNil(net.module(at: "0")!.localParameters[0].tensor.grad)
    net.unfreeze()
    XCTAssertEqual(net.trainableParameters().count, 8)
  }

  func testZeroGradZeroesInPlaceOrDrops() throws {
    let layer = Affine(2)
    try layer(Tensor([1, 2], [2])).backward(Tensor.ones([2]))
    let before = layer.scale.grad!.storage
    XCTAssertEqual(layer.scale.grad?.scalars, [1, 2])
    layer.zeroGrad()
    XCTAssertTrue(layer.scale.grad!.storage === before, "zeroed in place: a bucket slice stays a bucket slice")
    XCTAssertEqual(layer.scale.grad?.scalars, [0, 0])
    layer.zeroGrad(setToNone: true)
    XCTAssertNil(layer.scale.grad)
  }

  func testDropoutIsSeededScaledAndIdentityInEval() {
    let x = Tensor.ones([4000])
    let a = Dropout(p: 0.25, seed: 5, key: [1]), b = Dropout(p: 0.25, seed: 5, key: [1]), c = Dropout(p: 0.25, seed: 5, key: [2])
    let ya = a(x), yb = b(x), yc = c(x)
    XCTAssertEqual(ya.scalars, yb.scalars, "same seed and key: same mask")
    XCTAssertNotEqual(ya.scalars, yc.scalars)
    XCTAssertNotEqual(a(x).scalars, ya.scalars, "each call draws a new mask")
    XCTAssertTrue(ya.scalars.allSatisfy { $0 == 0 || $0 == Float(1) / 0.75 })
    let dropped = Float(ya.scalars.filter { $0 == 0 }.count) / 4000
    XCTAssertEqual(dropped, 0.25, accuracy: 0.03)
    a.eval()
    let xr = Tensor([1, -2, 3], [3])
    XCTAssertEqual(a(xr).scalars, xr.scalars)
  }

  func testDropoutGradientIsTheMask() throws {
    let d = Dropout(p: 0.5, seed: 1)
    let x = Tensor.ones([64]).requiringGrad()
    let y = d(x)
    try y.backward(Tensor.ones([64]))
    XCTAssertEqual(x.grad?.scalars, y.scalars)
  }
}
