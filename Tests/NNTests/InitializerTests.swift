import XCTest
import NN
import Tensors

/// A conv-shaped test layer that `initWeights` reaches.
final class ConvLike: Module, UnaryLayer, WeightInitializable {
  let weight: Tensor, bias: Tensor
  let filter = Tensor.ones([3])

  init(_ shape: [Int]) {
    weight = Tensor(zeros: shape).requiringGrad()
    bias = Tensor.ones([shape[0]]).requiringGrad()
    super.init()
    registerParameter("weight", weight)
    registerParameter("bias", bias)
    registerBuffer("filt", filter)
  }

  func callAsFunction(_ x: Tensor) -> Tensor { x }

  func initializeWeights(_ scheme: WeightInit, gain: Float, _ rng: inout RandomStream) {
    Init.weightAndBias(weight, bias, scheme, gain: gain, &rng)
  }
}

final class InitializerTests: XCTestCase {
  func stats(_ t: Tensor) -> (mean: Double, std: Double) {
    let xs = t.scalars.map(Double.init)
    let mean = xs.reduce(0, +) / Double(xs.count)
    return (mean, (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)).squareRoot())
  }

  func assertStd(_ t: Tensor, _ expected: Double, mean: Double = 0, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    let s = stats(t)
    XCTAssertEqual(s.std, expected, accuracy: 0.1 * expected, "\(what) std", file: file, line: line)
    XCTAssertEqual(s.mean, mean, accuracy: 0.1 * expected, "\(what) mean", file: file, line: line)
  }

  func testFansCountTheKernelArea() {
    XCTAssertTrue(Init.fans([64, 32, 3, 3]) == (288, 576))
    XCTAssertTrue(Init.fans([16, 8, 3, 3]) == (72, 144), "a transposed conv [in, out, kh, kw]: PyTorch's fan_in is out·k²")
    XCTAssertTrue(Init.fans([10, 20]) == (20, 10))
  }

  func testInitialiserStatisticsOnALargeTensor() {
    var rng = RandomStream(seed: 11)
    let w = Tensor(zeros: [128, 64, 3, 3])  // fan_in 576, fan_out 1152
    Init.normal(w, std: 0.02, &rng)
    assertStd(w, 0.02, "normal")
    Init.normal(w, mean: 1, std: 0.02, &rng)
    assertStd(w, 0.02, mean: 1, "normal(1, gain)")
    Init.xavierNormal(w, gain: 0.02, &rng)
    assertStd(w, 0.02 * (2.0 / 1728).squareRoot(), "xavier")
    Init.kaimingNormal(w, &rng)
    assertStd(w, (2.0 / 576).squareRoot(), "kaiming")
  }

  func testInitWeightsReachesEveryLayerAndSparesBuffers() {
    let net = Sequential(ConvLike([64, 32, 3, 3]), Twice(), Sequential(ConvLike([128, 64, 3, 3])))
    var rng = RandomStream(seed: 3)
    net.initWeights(.xavierNormal, gain: 0.02, rng: &rng)
    let first = net.module(at: "0") as! ConvLike, inner = net.module(at: "2.0") as! ConvLike
    assertStd(first.weight, 0.02 * (2.0 / (288 + 576)).squareRoot(), "layer 0")
    assertStd(inner.weight, 0.02 * (2.0 / (576 + 1152)).squareRoot(), "layer 2.0")
    XCTAssertTrue(first.bias.scalars.allSatisfy { $0 == 0 })
    XCTAssertEqual(first.filter.scalars, [1, 1, 1])

    let again = Sequential(ConvLike([64, 32, 3, 3]), Twice(), Sequential(ConvLike([128, 64, 3, 3])))
    var same = RandomStream(seed: 3)
    again.initWeights(.xavierNormal, gain: 0.02, rng: &same)
    XCTAssertEqual(again.parameters().map(\.scalars), net.parameters().map(\.scalars), "seeded: repeatable")
  }
}
