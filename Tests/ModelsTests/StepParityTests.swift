import XCTest
import Distributed
import Models
import NN
import Tensors
import TestSupport

/// i2i's training step against the official code's `optimize_parameters` (fixtures made by
/// `scripts/make_step_parity.py` from taesungp/contrastive-unpaired-translation): the same initial weights, the same
/// batch of real images, three steps, and after each the losses, gradients and weights compared.
///
/// What can be held to what (derived, not tuned):
/// - Step 1 starts from identical weights, and the fixture's seed keeps every activation input of the three
///   official steps at least `kink_margin` (relative to its tensor's RMS) from its kink, so both implementations
///   compute the same function. Losses agree to float rounding (rtol 1e-5). A weight gradient sums K ≤ H·W = 1024
///   terms per element in another order: worst case 2γ_K·Σ|terms| with Σ|terms| ≈ √K·rms(g) for terms of mixed
///   sign, ≈ 4e-3·rms(g) per tensor.
/// - Adam's first update is lr·g/(|g| + ε) ≈ ±lr: where |g| is above twice the gradient tolerance the sign agrees and
///   the updates agree to ~lr·1e-3; where it is below, the two signs are rounding noise and the weights may differ by
///   up to 2·lr. (A conv bias cancelled by the instance norm after it has no gradient in i2i and stays put; PyTorch's
///   rounding-noise gradient moves it by up to lr a step.)
/// - Steps 2 and 3 start from weights that differ by those ±2·lr elements, so only the losses are compared, relative
///   to the change from step 1 (a wrong update rule changes where the losses go, not just their rounding).
final class StepParityTests: XCTestCase {
  func testCycleGANStepsMatchTheOfficialCode() throws {
    let f = try Fixture("step_parity_cycle_gan")
    var o = CycleGANOptions()
    (o.inputNC, o.outputNC, o.ngf, o.ndf, o.netG, o.poolSize) = (1, 1, 8, 8, .resnet6Blocks, 0)
    (o.lr, o.beta1) = (2e-4, 0.5)
    let model = try CycleGAN(o)
    for (name, module) in model.networks { try module.loadStateDict(f.prefixed("init.\(name).")) }
    let context = LocalReplicaContext()
    try model.prepare(context: context)
    let batch = TrainingBatch(a: f["A"], b: f["B"])
    let margin = Double(try XCTUnwrap(f.metadata["kink_margin"]))!
    var first: [String: Double] = [:]
    for step in 1...3 {
      let losses = Dictionary(uniqueKeysWithValues: try model.trainStep(batch, step: step - 1, context: context))
      XCTAssertEqual(Set(losses.keys), Set(f.tensors.keys.filter { $0.hasPrefix("step\(step).loss.") }
                                            .map { String($0.dropFirst("step\(step).loss.".count)) }))
      for (name, value) in losses {
        let reference = Double(f["step\(step).loss.\(name)"].item)
        if step == 1 {
          first[name] = reference
          // The forward passes agree far inside the kink margin, so the gradients below compare one function.
          XCTAssertLessThan(abs(value - reference) / max(abs(reference), 1e-12), min(1e-5, margin / 10),
                            "step 1 loss \(name): \(value) vs \(reference)")
        } else {
          let change = abs(reference - first[name]!)
          XCTAssertLessThanOrEqual(abs(value - reference), 1e-2 * change + 1e-5 * abs(reference),
                                   "step \(step) loss \(name): \(value) vs \(reference) (moved \(change) since step 1)")
        }
      }
      if step == 1 { assertFirstStepMatches(model, f, lr: o.lr) }
    }
  }

  private func assertFirstStepMatches(_ model: CycleGAN, _ f: Fixture, lr: Float) {
    let u: Float = 0x1p-24
    let cancelled = cancelledBiasNames(model.networks)
    for (net, module) in model.networks {
      for (name, p) in module.namedParameters() {
        let key = "\(net).\(name)"
        let g = f["step1.grad.\(key)"], w = f["step1.\(key)"], w0 = f["init.\(key)"]
        let gradientTolerance = 4e-3 * rms(g)
        let isCancelled = cancelled.contains(key)
        if let mine = p.grad, !isCancelled {
          for i in 0..<g.count where !(abs(mine[flat: i] - g[flat: i]) <= gradientTolerance) {
            return XCTFail("step 1 gradient \(key)[\(i)]: \(mine[flat: i]) vs \(g[flat: i]) (tolerance \(gradientTolerance))")
          }
        }
        for i in 0..<w.count {
          let signAgrees = !isCancelled && abs(g[flat: i]) > 2 * gradientTolerance
          let bound = (signAgrees ? 1e-3 * lr : 2 * lr * 1.001) + 4 * u * abs(w0[flat: i])
          if !(abs(p[flat: i] - w[flat: i]) <= bound) {
            return XCTFail("step 1 weight \(key)[\(i)]: \(p[flat: i]) vs \(w[flat: i]) (gradient \(g[flat: i]), bound \(bound))")
          }
        }
      }
    }
  }

  private func rms(_ t: Tensor) -> Float {
    var s = 0.0
    for i in 0..<t.count { s += Double(t[flat: i]) * Double(t[flat: i]) }
    return Float((s / Double(max(t.count, 1))).squareRoot())
  }
}

extension Fixture {
  /// The tensors under `prefix`, with the prefix taken off their keys.
  func prefixed(_ prefix: String) -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for (key, t) in tensors where key.hasPrefix(prefix) { out[String(key.dropFirst(prefix.count))] = t }
    return out
  }
}
