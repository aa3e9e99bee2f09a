import XCTest
import NN
import Tensors
import TestSupport

/// Layers against the op fixtures: parameter layout and names as in PyTorch, modes, initialisation.
final class LayerTests: XCTestCase {
  /// Loads the fixture's tensors into the layer's parameters (`fixture key: parameter name`), runs y = layer(x),
  /// back-propagates gy and compares y, gx and each parameter's gradient.
  func assertLayerMatches(_ layer: any UnaryLayer, _ name: String, parameters: [String: String] = [:],
                          file: StaticString = #filePath, line: UInt = #line) throws {
    let f = try Fixture(name)
    try layer.loadStateDict(Dictionary(uniqueKeysWithValues: parameters.map { ($1, f[$0]) }), strict: false)
    let x = f.leaf("x")
    let y = layer(x)
    assertCloseForward(y, f["y"], "\(name) y", file: file, line: line)
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "\(name) gx", file: file, line: line)
    let named = Dictionary(uniqueKeysWithValues: layer.namedParameters().map { ($0.name, $0.tensor) })
    for (key, p) in parameters { assertCloseGradient(named[p]?.grad, f["g" + key], "\(name) g\(key)", file: file, line: line) }
  }

  func testLayersMatchTheOpFixtures() throws {
    try assertLayerMatches(Linear(6, 4), "linear", parameters: ["w": "weight", "b": "bias"])
    try assertLayerMatches(ConvTranspose2d(4, 3, kernel: 3, stride: 2, padding: 1, outputPadding: 1),
                           "conv_transpose2d_s2_p1_op1", parameters: ["w": "weight", "b": "bias"])
    try assertLayerMatches(InstanceNorm2d(3), "instance_norm")
    try assertLayerMatches(InstanceNorm2d(3, affine: true), "instance_norm_affine", parameters: ["w": "weight", "b": "bias"])
    try assertLayerMatches(ReflectionPad2d(3), "reflection_pad2d_3")
    try assertLayerMatches(ReplicationPad2d(1), "replication_pad2d_1")
    try assertLayerMatches(Upsample(scale: 2, mode: .bilinear), "upsample_bilinear_x2")
    try assertLayerMatches(Upsample(scale: 2), "upsample_nearest_x2")
    try assertLayerMatches(LeakyReLU(0.2), "leaky_relu_0.2")
    try assertLayerMatches(Tanh(), "tanh")
    try assertLayerMatches(Sigmoid(), "sigmoid")
  }

  func testBatchNorm2dTrainsOnBatchStatisticsAndEvaluatesOnRunningOnes() throws {
    let bn = BatchNorm2d(3)
    XCTAssertEqual(bn.stateDict().map(\.name), ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
    try assertLayerMatches(bn, "batch_norm_train", parameters: ["w": "weight", "b": "bias"])
    let running = try Fixture("batch_norm_running")
    assertCloseForward(bn.runningMean, running["running_mean"], "running_mean")
    assertCloseForward(bn.runningVar, running["running_var"], "running_var")
    XCTAssertEqual(bn.numBatchesTracked?.item, 1)

    bn.eval()
    let x = try Fixture("batch_norm_train")["x"]
    let y = bn(x)
    XCTAssertEqual(bn.numBatchesTracked?.item, 1, "eval leaves the running statistics alone")
    assertCloseForward(bn.runningMean, running["running_mean"], "running_mean after eval")
    let (w, b, m, v) = (bn.weight!, bn.bias!, bn.runningMean!, bn.runningVar!)
    for i in [0, 37, 99, 299] {
      let c = (i / 25) % 3
      let expected = (x[flat: i] - m[flat: c]) / (v[flat: c] + 1e-5).squareRoot() * w[flat: c] + b[flat: c]
      XCTAssertEqual(y[flat: i], expected, accuracy: 1e-5)
    }
  }

  func testBatchNorm1dOnRank2And3() {
    let bn = BatchNorm1d(2)
    let x = Tensor([1, 10, 3, 20], [2, 2])
    XCTAssertEqual(bn(x).scalars.map { ($0 * 1000).rounded() / 1000 }, [-1, -1, 1, 1])
    let seq = bn(Tensor([1, 2, 10, 20, 3, 4, 30, 40], [2, 2, 2]))
    XCTAssertEqual(seq.shape, [2, 2, 2])
    XCTAssertEqual(bn.numBatchesTracked?.item, 2)
  }

  func testParameterLayoutAndNames() {
    let conv = Conv2d(6, 4, kernel: 3, groups: 2, bias: false)
    XCTAssertEqual(conv.namedParameters().map(\.name), ["weight"])
    XCTAssertEqual(conv.weight.shape, [4, 3, 3, 3])
    XCTAssertEqual(ConvTranspose2d(4, 2, kernel: 3).weight.shape, [4, 2, 3, 3])
    XCTAssertEqual(Linear(5, 7).namedParameters().map { $0.tensor.shape }, [[7, 5], [7]])
    XCTAssertTrue(InstanceNorm2d(8).stateDict().isEmpty, "CycleGAN's instance norm has no parameters or buffers")
    XCTAssertEqual(LayerNorm([4, 5]).namedParameters().map { $0.tensor.shape }, [[4, 5], [4, 5]])
    XCTAssertTrue(BatchNorm2d(3, affine: false, trackRunningStats: false).stateDict().isEmpty)
    let seq = Sequential(ReflectionPad2d(1), Conv2d(1, 1, kernel: 3), ReLU(), Identity(), Conv2d(1, 1, kernel: 1))
    XCTAssertEqual(seq.namedParameters().map(\.name), ["1.weight", "1.bias", "4.weight", "4.bias"])
  }

  func testLayerNormNormalisesTrailingDimensions() {
    let y = LayerNorm([2])(Tensor([1, 3, 10, 30], [2, 2]))
    XCTAssertEqual(y.scalars.map { ($0 * 1000).rounded() / 1000 }, [-1, 1, -1, 1])
  }

  func testDefaultAndSchemeInitialisation() {
    let conv = Conv2d(16, 8, kernel: 3)  // fan_in 144: U(±1/12)
    XCTAssertTrue(conv.weight.scalars.allSatisfy { abs($0) <= 1.0 / 12 })
    XCTAssertGreaterThan(conv.weight.scalars.map(abs).max()!, 0.07)
    XCTAssertFalse(conv.bias!.scalars.allSatisfy { $0 == 0 })

    let net = Sequential(conv, BatchNorm2d(64), BatchNorm1d(4), Linear(8, 8), ConvTranspose2d(8, 8, kernel: 3))
    var rng = RandomStream(seed: 2)
    net.initWeights(.normal, gain: 0.02, rng: &rng)
    XCTAssertTrue(net.namedParameters().filter { $0.name.hasSuffix("bias") && $0.name != "1.bias" && $0.name != "2.bias" }
      .allSatisfy { $0.tensor.scalars.allSatisfy { $0 == 0 } })
    let bn2 = net.module(at: "1") as! BatchNorm2d, bn1 = net.module(at: "2") as! BatchNorm1d
    XCTAssertEqual(Double(bn2.weight!.scalars.reduce(0, +)) / 64, 1, accuracy: 0.01)
    XCTAssertFalse(bn2.weight!.scalars.allSatisfy { $0 == 1 })
    XCTAssertTrue(bn1.weight!.scalars.allSatisfy { $0 == 1 }, "BatchNorm1d keeps PyTorch's defaults")
    XCTAssertTrue(conv.weight.scalars.allSatisfy { abs($0) < 0.02 * 6 })
  }
}
