import XCTest
@testable import Tensors
import TestSupport

final class ConvTests: XCTestCase {
  // MARK: PyTorch fixtures

  private func checkConvFixture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let f = try Fixture(name)
    let meta = { (key: String) in Int(f.metadata[key] ?? "") ?? 0 }
    let x = f.leaf("x"), w = f.leaf("w"), b = f.tensors["b"].map { $0.copy().requiringGrad() }
    let y = f.metadata["op"] == "conv_transpose2d"
      ? convTranspose2d(x, w, b, stride: meta("stride"), padding: meta("padding"), outputPadding: meta("output_padding"))
      : conv2d(x, w, b, stride: meta("stride"), padding: meta("padding"), groups: max(1, meta("groups")))
    assertCloseForward(y, f["y"], "\(name) y", file: file, line: line)
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "\(name) gx", file: file, line: line)
    assertCloseGradient(w.grad, f["gw"], "\(name) gw", file: file, line: line)
    if let b { assertCloseGradient(b.grad, f["gb"], "\(name) gb", file: file, line: line) }
  }

  func testConv1x1Fixture() throws { try checkConvFixture("conv2d_1x1") }
  func testConvDepthwiseStride2Fixture() throws { try checkConvFixture("conv2d_depthwise_s2") }
  func testConvK4Stride2Pad1Fixture() throws { try checkConvFixture("conv2d_k4_s2_p1") }
  func testConvK7Pad0Fixture() throws { try checkConvFixture("conv2d_k7_p0") }
  func testConvStride2Pad1Fixture() throws { try checkConvFixture("conv2d_s2_p1") }
  func testConvTransposeStride2Pad1OutputPad1Fixture() throws { try checkConvFixture("conv_transpose2d_s2_p1_op1") }

  // MARK: GEMM strategies against the direct loops

  /// (batch, C, H, W, O, kh, kw, stride, padding, groups)
  private let configurations: [(Int, Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
    (2, 3, 9, 7, 5, 3, 3, 1, 1, 1),
    (1, 4, 10, 11, 6, 4, 4, 2, 1, 1),
    (1, 3, 12, 9, 4, 4, 4, 2, 3, 1),
    (2, 6, 8, 5, 4, 1, 1, 1, 0, 2),    // pointwise, grouped
    (1, 3, 6, 8, 4, 1, 1, 2, 1, 1),    // 1×1 with stride and padding goes through im2col
    (1, 6, 7, 9, 6, 3, 3, 2, 0, 6),    // depthwise
    (1, 4, 9, 9, 8, 3, 3, 1, 2, 2),
    (1, 7, 11, 9, 5, 3, 3, 2, 1, 1),   // input gradient split by channels on several threads
    (1, 8, 13, 12, 3, 7, 7, 1, 3, 1),  // few outputs
    (2, 5, 12, 10, 2, 7, 7, 1, 0, 1),  // few outputs, no padding
    (1, 4, 7, 6, 2, 3, 5, 1, 1, 1),    // non-square kernel
    (1, 2, 5, 5, 3, 3, 3, 2, 2, 1),
    (1, 5, 3, 3, 12, 2, 2, 1, 0, 1),   // weight-heavy (more output channels than output pixels)
    (3, 5, 4, 3, 12, 3, 2, 1, 0, 1),   // weight-heavy, images split over workers
    (1, 4, 4, 4, 24, 4, 4, 2, 1, 2),   // weight-heavy, grouped
  ]

  func testGemmStrategiesMatchDirectLoops() {
    var rng = RandomStream(seed: 5, key: [0xC0])
    let savedThreads = ComputeThreads.count
    for (n, c, h, w, o, kh, kw, s, p, g) in configurations {
      var shape = Conv2dShape(batch: n, inChannels: c, height: h, width: w, outChannels: o, kernelH: kh, kernelW: kw,
                              stride: s, padding: p, groups: g)
      let x = Tensor.randn([n, c, h, w], &rng), wt = Tensor.randn([o, c / g, kh, kw], &rng)
      let gy = Tensor.randn([n, o, shape.outHeight, shape.outWidth], &rng)
      let y0 = Tensor(uninitialized: gy.shape), gx0 = Tensor(uninitialized: x.shape), gw0 = Tensor(uninitialized: wt.shape)
      shape.referenceForward(x: x.storage.base, w: wt.storage.base, y: y0.storage.base)
      shape.referenceInputGradient(gy: gy.storage.base, w: wt.storage.base, gx: gx0.storage.base)
      shape.referenceWeightGradient(gy: gy.storage.base, x: x.storage.base, gw: gw0.storage.base)

      let fewOutputsFits = s == 1 && g == 1 && p < min(kh, kw)
      // budget 1: one grid row per band; 3 threads: weight gradients split unevenly over workers
      for strategy in fewOutputsFits ? [.columns, .fewOutputs] : [Conv2dShape.Strategy.columns] {
        for (budget, threads) in [(1 << 20, 1), (1 << 20, 3), (1, 1), (1, 3)] {
          shape.strategy = strategy
          shape.columnBudget = budget
          ComputeThreads.set(threads)
          defer { ComputeThreads.set(savedThreads) }
          let what = "\(n)×\(c)×\(h)×\(w) → \(o), k \(kh)×\(kw), s \(s), p \(p), g \(g), \(strategy), "
            + "budget \(budget), \(threads) threads"
          let y = Tensor(uninitialized: gy.shape), gx = Tensor(uninitialized: x.shape)
          let gw = Tensor(uninitialized: wt.shape), gwAgain = Tensor(uninitialized: wt.shape)
          shape.forwardAndWeightGradient(x: x.storage.base, w: wt.storage.base, y: y.storage.base,
                                         gy: gy.storage.base, gw: gw.storage.base)
          shape.backward(gy: gy.storage.base, w: wt.storage.base, gx: gx.storage.base,
                         x: x.storage.base, gw: gwAgain.storage.base)
          assertClose(gwAgain, gw0, rtol: 1e-4, atol: 1e-4, "weight gradient with input gradient \(what)")
          assertClose(y, y0, rtol: 1e-4, atol: 1e-4, "forward \(what)")
          assertClose(gx, gx0, rtol: 1e-4, atol: 1e-4, "input gradient \(what)")
          assertClose(gw, gw0, rtol: 1e-4, atol: 1e-4, "weight gradient \(what)")
        }
      }
    }
  }

  func testFewOutputChannelsUseTheOutputSideStrategy() {
    let head = Conv2dShape(batch: 1, inChannels: 32, height: 134, width: 134, outChannels: 3, kernelH: 7, kernelW: 7,
                           stride: 1, padding: 0, groups: 1)
    let block = Conv2dShape(batch: 1, inChannels: 128, height: 34, width: 34, outChannels: 128, kernelH: 3, kernelW: 3,
                            stride: 1, padding: 0, groups: 1)
    let patchGANTail = Conv2dShape(batch: 1, inChannels: 256, height: 16, width: 16, outChannels: 512, kernelH: 4,
                                   kernelW: 4, stride: 1, padding: 1, groups: 1)
    XCTAssertEqual(head.strategy, .fewOutputs)
    XCTAssertEqual(block.strategy, .columns)
    XCTAssertFalse(block.isWeightHeavy)
    XCTAssertTrue(patchGANTail.isWeightHeavy)
  }

  /// ⟨convTranspose2d(x), u⟩ = ⟨x, conv2d(u)⟩ with the same weight: the transposed convolution is the adjoint.
  func testConvTransposeIsTheAdjointOfConv() {
    var rng = RandomStream(seed: 9, key: [0xC1])
    for (s, p, op, k) in [(2, 1, 1, 3), (1, 0, 0, 3), (2, 0, 0, 4), (3, 2, 2, 5)] {
      let x = Tensor.randn([2, 4, 5, 6], &rng), w = Tensor.randn([4, 3, k, k], &rng)
      let y = convTranspose2d(x, w, nil, stride: s, padding: p, outputPadding: op)
      let u = Tensor.randn(y.shape, &rng)
      let z = conv2d(u, w, nil, stride: s, padding: p)
      XCTAssertEqual(z.shape, x.shape)
      var lhs = 0.0, rhs = 0.0
      for i in 0..<y.count { lhs += Double(y[flat: i]) * Double(u[flat: i]) }
      for i in 0..<x.count { rhs += Double(x[flat: i]) * Double(z[flat: i]) }
      XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(rhs)), "s \(s) p \(p) op \(op) k \(k)")
    }
  }

  // MARK: Gradients and autograd plumbing

  func testConvGradCheck() {
    var rng = RandomStream(seed: 3, key: [0xC2])
    let x = Tensor.randn([2, 4, 6, 5], &rng), b = Tensor.randn([4], &rng)
    gradCheck("conv2d s2 p1", [x, Tensor.randn([4, 4, 3, 3], &rng), b]) { t in
      conv2d(t[0], t[1], t[2], stride: 2, padding: 1)
    }
    gradCheck("conv2d groups 2", [x, Tensor.randn([6, 2, 3, 2], &rng)]) { t in
      conv2d(t[0], t[1], nil, padding: 1, groups: 2)
    }
    gradCheck("conv2d few outputs", [x, Tensor.randn([2, 4, 3, 3], &rng), Tensor.randn([2], &rng)]) { t in
      conv2d(t[0], t[1], t[2], padding: 1)
    }
  }

  func testConvTransposeGradCheck() {
    var rng = RandomStream(seed: 4, key: [0xC3])
    gradCheck("convTranspose2d s2 p1 op1", [Tensor.randn([2, 3, 4, 3], &rng), Tensor.randn([3, 2, 3, 3], &rng),
                                            Tensor.randn([2], &rng)]) { t in
      convTranspose2d(t[0], t[1], t[2], stride: 2, padding: 1, outputPadding: 1)
    }
  }

  func testGradientsAreSkippedForInputsThatDoNotRequireThem() throws {
    var rng = RandomStream(seed: 6, key: [0xC4])
    let x = Tensor.randn([1, 3, 8, 8], &rng), w = Tensor.randn([4, 3, 3, 3], &rng).requiringGrad()
    let y = conv2d(x, w, nil, padding: 1)
    try y.backward(Tensor.ones(y.shape))
    XCTAssertNotNil(w.grad)
    XCTAssertFalse(x.requiresGrad)
    let frozen = Tensor.randn([4, 3, 3, 3], &rng), xg = x.requiringGrad()
    try conv2d(xg, frozen, nil).backward(Tensor.ones([1, 4, 6, 6]))
    XCTAssertEqual(xg.grad?.shape, [1, 3, 8, 8])
    let b = Tensor([0, 0], [2]).requiringGrad()  // only the bias needs a gradient: gb = Σ gy per channel
    try convTranspose2d(x, Tensor.randn([3, 2, 3, 3], &rng), b, stride: 2).backward(Tensor.ones([1, 2, 17, 17]))
    XCTAssertEqual(b.grad?.scalars, [289, 289])
  }
}
