import Foundation
import XCTest
import NN
import Tensors
import TestSupport

final class OptimizerTests: XCTestCase {
  /// PyTorch's torch.optim.Adam, three steps with given gradients (lr 2e-4, betas (0.5, 0.999), eps 1e-8).
  func testAdamMatchesPyTorchFixture() throws {
    let f = try Fixture("adam_3_steps")
    XCTAssertEqual(f.metadata["lr"], "0.0002")
    let p = f.leaf("p0")
    let adam = Adam([p], lr: 2e-4, betas: (0.5, 0.999), eps: 1e-8)
    for k in 1...3 {
      p.grad = f["g\(k)"].copy()
      adam.step()
      assertCloseGradient(p, f["p\(k)"], "p\(k)")
      // NOTE: the steps (~lr) are below the gradient atol, so the displacement from p0 is checked on its own scale.
      assertClose(noGrad { p - f["p0"] }, f["p\(k)"] - f["p0"], rtol: 1e-3, atol: 1e-6, "p\(k) − p0")
    }
  }

  /// Textbook Adam/AdamW in Double: m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), p ← p − lr·m̂/(√v̂ + ε).
  func reference(_ p0: [Double], _ grads: [[Double]], lr: Double, b1: Double, b2: Double, eps: Double,
                 wd: Double, decoupled: Bool) -> [Double] {
    var p = p0, m = p0.map { _ in 0.0 }, v = m
    for (t, g0) in grads.enumerated() {
      let t = Double(t + 1)
      for i in p.indices {
        let g = decoupled ? g0[i] : g0[i] + wd * p[i]
        if decoupled { p[i] *= 1 - lr * wd }
        m[i] = b1 * m[i] + (1 - b1) * g
        v[i] = b2 * v[i] + (1 - b2) * g * g
        p[i] -= lr * (m[i] / (1 - pow(b1, t))) / ((v[i] / (1 - pow(b2, t))).squareRoot() + eps)
      }
    }
    return p
  }

  func testAdamWAndAdamWeightDecayMatchHandComputation() {
    let p0: [Double] = [1, -2, 0.5, 3], grads: [[Double]] = [[0.5, 0.1, -1, 0], [0.2, -0.3, 0.4, 2], [-1, 1, 0.01, 0.5]]
    for decoupled in [true, false] {
      let p = Tensor(p0.map(Float.init), [4]).requiringGrad()
      let group = ParameterGroup([p], lr: 0.1, betas: (0.9, 0.99), eps: 1e-8, weightDecay: 0.1)
      let opt: any Optimizer = decoupled ? AdamW(groups: [group]) : Adam(groups: [group])
      for g in grads {
        p.grad = Tensor(g.map(Float.init), [4])
        opt.step()
      }
      let expected = reference(p0, grads, lr: 0.1, b1: 0.9, b2: 0.99, eps: 1e-8, wd: 0.1, decoupled: decoupled)
      assertClose(p, Tensor(expected.map(Float.init), [4]), rtol: 1e-5, atol: 1e-6, decoupled ? "AdamW" : "Adam L2")
    }
  }

  /// The SIMD update against the scalar formula in Float, bit for bit, on a size that leaves a scalar tail and on
  /// 1 and 3 threads (chunk boundaries inside SIMD groups).
  func testVectorisedUpdateEqualsScalarFormula() {
    let n = 16_411, (lr, b1, b2, eps, wd): (Float, Float, Float, Float, Float) = (0.01, 0.5, 0.999, 1e-8, 0.1)
    var rng = RandomStream(seed: 11, key: [0xADA])
    let p0 = Tensor.randn([n], &rng), grads = (0..<3).map { _ in Tensor.randn([n], &rng) }
    let saved = ComputeThreads.count
    defer { ComputeThreads.set(saved) }
    for decoupled in [false, true] {
      var p = p0.scalars, m = [Float](repeating: 0, count: n), v = m
      for (t, g) in grads.enumerated() {
        let bc1 = 1 - pow(Double(b1), Double(t + 1)), bc2 = 1 - pow(Double(b2), Double(t + 1))
        let stepSize = Float(Double(lr) / bc1), bc2Sqrt = Float(bc2.squareRoot())
        let l2 = decoupled ? 0 : wd, shrink = decoupled ? 1 - lr * wd : 1
        for i in 0..<n {
          let gi = g[flat: i] + l2 * p[i]
          m[i] += (gi - m[i]) * (1 - b1)
          v[i] = v[i] * b2 + (1 - b2) * gi * gi
          p[i] = p[i] * shrink - stepSize * m[i] / (v[i].squareRoot() / bc2Sqrt + eps)
        }
      }
      for threads in [1, 3] {
        ComputeThreads.set(threads)
        let param = p0.copy().requiringGrad()
        let group = ParameterGroup([param], lr: lr, betas: (b1, b2), eps: eps, weightDecay: wd)
        let opt: any Optimizer = decoupled ? AdamW(groups: [group]) : Adam(groups: [group])
        for g in grads { param.grad = g.copy(); opt.step() }
        let got = param.scalars, differing = (0..<n).first { got[$0] != p[$0] }
        XCTAssertNil(differing, "\(decoupled ? "AdamW" : "Adam"), \(threads) threads: first differing element")
      }
    }
  }

  func testParametersWithoutGradientOrFrozenAreSkipped() {
    let a = Tensor([1], [1]).requiringGrad(), b = Tensor([1], [1]).requiringGrad(), c = Tensor([1], [1]).requiringGrad()
    let adam = Adam(groups: [ParameterGroup([a], lr: 0.1), ParameterGroup([b, c], lr: 0.5)])
    a.grad = Tensor([1], [1])
    c.grad = Tensor([1], [1])
    c.node?.isFrozen = true
    adam.step()
    XCTAssertEqual(a.item, 0.9, accuracy: 1e-6, "first Adam step moves by lr·sign(g)")
    XCTAssertEqual(b.item, 1)
    XCTAssertEqual(c.item, 1)
    XCTAssertEqual(adam.stateDict().map(\.name), ["0.step", "0.exp_avg", "0.exp_avg_sq"])
  }

  func testStateRoundTripContinuesTheSameTrajectory() throws {
    let grads = [Tensor([0.3, -1], [2]), Tensor([0.5, 0.2], [2]), Tensor([-0.1, 0.7], [2])]
    let p = Tensor([1, 2], [2]).requiringGrad(), q = Tensor([1, 2], [2]).requiringGrad()
    let a = Adam([p], lr: 0.01, betas: (0.5, 0.999)), b = Adam([q], lr: 0.01, betas: (0.5, 0.999))
    for g in grads.prefix(2) { p.grad = g.copy(); a.step() }
    q.assign(p)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("adam-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafeTensors.write(a.stateDict().map { ($0.name, $0.tensor) }, to: url)
    try b.loadStateDict(SafeTensors.read(url).tensors)
    XCTAssertEqual(b.stateDict().first { $0.name == "0.step" }?.tensor.item, 2)
    p.grad = grads[2].copy(); a.step()
    q.grad = grads[2].copy(); b.step()
    XCTAssertEqual(p.scalars, q.scalars)
  }

  func testStateLoadErrorsNameTheKey() {
    let adam = Adam([Tensor([1, 2], [2]).requiringGrad()])
    let m = Tensor(zeros: [2]), step = Tensor(scalar: 1)
    XCTAssertThrowsError(try adam.loadStateDict(["0.step": step, "0.exp_avg": m])) {
      XCTAssertEqual($0 as? StateDictError, .missingKeys(["0.exp_avg_sq"]))
    }
    XCTAssertThrowsError(try adam.loadStateDict(["1.step": step])) {
      XCTAssertEqual($0 as? StateDictError, .unexpectedKeys(["1.step"]))
    }
    XCTAssertThrowsError(try adam.loadStateDict(["0.step": step, "0.exp_avg": Tensor(zeros: [3]), "0.exp_avg_sq": m])) {
      XCTAssertEqual($0 as? StateDictError, .shapeMismatch(key: "0.exp_avg", expected: [2], got: [3]))
    }
  }

  func testOptimizerZeroGrad() {
    let p = Tensor([1], [1]).requiringGrad()
    let adam = Adam([p])
    p.grad = Tensor([3], [1])
    adam.zeroGrad()
    XCTAssertEqual(p.grad?.scalars, [0])
    adam.zeroGrad(setToNone: true)
    XCTAssertNil(p.grad)
  }
}
