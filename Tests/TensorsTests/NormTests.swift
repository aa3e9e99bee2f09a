import XCTest
import Tensors
import TestSupport

final class NormTests: XCTestCase {
  // MARK: Fixtures (PyTorch)

  func testInstanceNormMatchesPyTorch() throws {
    let f = try Fixture("instance_norm")
    let x = f.leaf("x")
    let y = instanceNorm(x)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
  }

  func testAffineInstanceNormMatchesPyTorch() throws {
    let f = try Fixture("instance_norm_affine")
    let (x, w, b) = (f.leaf("x"), f.leaf("w"), f.leaf("b"))
    let y = instanceNorm(x, weight: w, bias: b)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
    assertCloseGradient(w.grad, f["gw"], "gw")
    assertCloseGradient(b.grad, f["gb"], "gb")
  }

  func testTrainingBatchNormMatchesPyTorchAndUpdatesRunningStatistics() throws {
    let f = try Fixture("batch_norm_train"), running = try Fixture("batch_norm_running")
    let (x, w, b) = (f.leaf("x"), f.leaf("w"), f.leaf("b"))
    let (mean, variance) = (Tensor(zeros: [3]), Tensor.ones([3]))
    let y = batchNorm(x, weight: w, bias: b, runningMean: mean, runningVar: variance, training: true)
    assertCloseForward(y, f["y"], "y")
    assertCloseForward(mean, running["running_mean"], "running mean")
    assertCloseForward(variance, running["running_var"], "running var (unbiased)")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
    assertCloseGradient(w.grad, f["gw"], "gw")
    assertCloseGradient(b.grad, f["gb"], "gb")
  }

  // MARK: Semantics

  func testEvalBatchNormUsesRunningStatisticsAndLeavesThemAlone() {
    let x = Tensor([1, 2, 3, 4], [2, 2])
    let (mean, variance) = (Tensor([1, 2], [2]), Tensor([4, 0.25], [2]))
    let y = batchNorm(x, weight: Tensor([2, 1], [2]), bias: Tensor([0, 1], [2]), runningMean: mean,
                      runningVar: variance, training: false, eps: 0)
    // (x − μ)/σ·w + b per column
    XCTAssertEqual(y.scalars, [0, 1, 2, 5])
    XCTAssertEqual(mean.scalars, [1, 2])
    XCTAssertEqual(variance.scalars, [4, 0.25])
  }

  func testBatchNormWithoutRunningStatisticsUsesBatchStatisticsInEval() {
    let x = Tensor([1, 2, 3, 6], [2, 2])
    let y = batchNorm(x, weight: nil, bias: nil, runningMean: nil, runningVar: nil, training: false, eps: 0)
    XCTAssertEqual(y.scalars, [-1, -1, 1, 1])
  }

  func testInstanceNormPlanesHaveZeroMeanAndUnitVariance() {
    var rng = RandomStream(seed: 3, key: [1])
    let x = Tensor.randn([2, 3, 7, 9], &rng) * 3 + 5
    let y = instanceNorm(x, eps: 0).scalars
    for plane in 0..<6 {
      let v = y[(plane * 63)..<((plane + 1) * 63)]
      let mean = v.reduce(0, +) / 63
      XCTAssertEqual(mean, 0, accuracy: 1e-5)
      XCTAssertEqual(v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 63, 1, accuracy: 1e-4)
    }
  }

  func testLayerNormOverAllTrailingDimsEqualsInstanceNormOfOneChannel() {
    var rng = RandomStream(seed: 4, key: [1])
    let x = Tensor.randn([2, 1, 5, 6], &rng)
    let a = layerNorm(x, normalizedShape: [1, 5, 6], weight: nil, bias: nil)
    assertCloseForward(a, instanceNorm(x), "layerNorm vs instanceNorm")
  }

  func testPositionalNormNormalisesEachPixelAcrossChannels() {
    let x = Tensor([1, 10, 3, 20], [1, 2, 1, 2])  // pixel 0: channels (1, 3); pixel 1: (10, 20)
    XCTAssertEqual(positionalNorm(x, eps: 0).scalars, [-1, -1, 1, 1])
  }

  func testL2NormalizeGivesUnitRowsAndKeepsZeroRowsZero() {
    let y = l2Normalize(Tensor([3, 4, 0, 0], [2, 2]), axis: 1)
    assertCloseForward(y, Tensor([0.6, 0.8, 0, 0], [2, 2]))
  }

  func testL2NormalizeMatchesPyTorch() throws {
    let f = try Fixture("l2_normalize_rows")
    let x = f.leaf("x")
    let y = l2Normalize(x, axis: 1)
    assertCloseForward(y, f["y"], "y")
    try y.backward(f["gy"])
    assertCloseGradient(x.grad, f["gx"], "gx")
  }

  // MARK: Gradient checks

  func testInstanceNormGradients() {
    var rng = RandomStream(seed: 5, key: [1])
    let x = Tensor.randn([2, 3, 3, 4], &rng), w = Tensor.randn([3], &rng), b = Tensor.randn([3], &rng)
    gradCheck("instanceNorm", [x]) { instanceNorm($0[0]) }
    gradCheck("instanceNorm affine", [x, w, b]) { instanceNorm($0[0], weight: $0[1], bias: $0[2]) }
  }

  func testTrainingBatchNormGradients() {
    var rng = RandomStream(seed: 6, key: [1])
    let w = Tensor.randn([3], &rng), b = Tensor.randn([3], &rng)
    for shape in [[4, 3, 2, 3], [5, 3]] {
      let x = Tensor.randn(shape, &rng)
      let (mean, variance) = (Tensor(zeros: [3]), Tensor.ones([3]))
      gradCheck("batchNorm train \(shape)", [x, w, b]) {
        batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: mean, runningVar: variance, training: true)
      }
    }
  }

  func testEvalBatchNormGradients() {
    var rng = RandomStream(seed: 7, key: [1])
    let x = Tensor.randn([2, 3, 2, 2], &rng), w = Tensor.randn([3], &rng), b = Tensor.randn([3], &rng)
    let (mean, variance) = (Tensor([0.5, -1, 0.2], [3]), Tensor([2, 0.5, 1.5], [3]))
    gradCheck("batchNorm eval", [x, w, b]) {
      batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: mean, runningVar: variance, training: false)
    }
  }

  func testLayerNormGradients() {
    var rng = RandomStream(seed: 8, key: [1])
    let x = Tensor.randn([3, 2, 4], &rng), w = Tensor.randn([2, 4], &rng), b = Tensor.randn([2, 4], &rng)
    gradCheck("layerNorm", [x, w, b]) { layerNorm($0[0], normalizedShape: [2, 4], weight: $0[1], bias: $0[2]) }
    gradCheck("layerNorm no affine", [x]) { layerNorm($0[0], normalizedShape: [4], weight: nil, bias: nil) }
  }

  func testPositionalNormGradients() {
    var rng = RandomStream(seed: 9, key: [1])
    let x = Tensor.randn([2, 4, 2, 3], &rng)
    gradCheck("positionalNorm", [x]) { positionalNorm($0[0]) }
  }

  func testL2NormalizeGradients() {
    var rng = RandomStream(seed: 10, key: [1])
    let x = Tensor.randn([2, 3, 4], &rng)
    gradCheck("l2Normalize axis 1", [x]) { l2Normalize($0[0], axis: 1) }
    gradCheck("l2Normalize last axis", [x]) { l2Normalize($0[0], axis: -1) }
  }

  func testBackwardReleasesEveryBuffer() throws {
    let before = LiveStorage.count
    do {
      var rng = RandomStream(seed: 12, key: [1])
      let x = Tensor.randn([2, 3, 4, 4], &rng).requiringGrad(), w = Tensor.ones([3]).requiringGrad()
      let (mean, variance) = (Tensor(zeros: [3]), Tensor.ones([3]))
      var y = instanceNorm(x, weight: w, bias: w) + instanceNorm(x) + positionalNorm(x) + l2Normalize(x, axis: 1)
      y = y + batchNorm(x, weight: w, bias: w, runningMean: mean, runningVar: variance, training: true)
      y = y + batchNorm(x, weight: w, bias: w, runningMean: mean, runningVar: variance, training: false)
      y = y + layerNorm(x, normalizedShape: [4], weight: Tensor.ones([4]).requiringGrad(), bias: nil)
      y = softmax(y, axis: 1) + logSoftmax(y, axis: 2)
      try y.backward(Tensor.ones(y.shape))
    }
    XCTAssertEqual(LiveStorage.count, before, "every storage of the graph is freed once the tensors go out of scope")
  }

  /// Large enough that the kernels split planes and pixels over threads and use their SIMD paths and tails.
  func testInstanceAndPositionalNormMatchNaiveReferenceOnLargeInput() {
    var rng = RandomStream(seed: 11, key: [1])
    let (n, c, s) = (2, 64, 33 * 31)
    let x = Tensor.randn([n, c, 33, 31], &rng) * 2 + 1
    let xs = x.scalars.map(Double.init)
    func normalised(_ idx: [Int]) -> [Double] {
      let m = idx.reduce(0) { $0 + xs[$1] } / Double(idx.count)
      let v = idx.reduce(0) { $0 + (xs[$1] - m) * (xs[$1] - m) } / Double(idx.count)
      return idx.map { (xs[$0] - m) / (v + 1e-5).squareRoot() }
    }
    var instance = [Float](repeating: 0, count: x.count), pono = instance
    for plane in 0..<(n * c) {
      let idx = Array((plane * s)..<((plane + 1) * s))
      for (i, v) in zip(idx, normalised(idx)) { instance[i] = Float(v) }
    }
    for b in 0..<n {
      for p in 0..<s {
        let idx = (0..<c).map { (b * c + $0) * s + p }
        for (i, v) in zip(idx, normalised(idx)) { pono[i] = Float(v) }
      }
    }
    assertCloseForward(instanceNorm(x), Tensor(instance, x.shape), "instanceNorm")
    assertCloseForward(positionalNorm(x), Tensor(pono, x.shape), "positionalNorm")
  }
}
