import XCTest
import Distributed
import Models
import NN
import Tensors
import TestSupport

/// i2i's training step against the official code's `optimize_parameters` (fixtures made by
/// `scripts/make_step_parity.py` from taesungp/contrastive-unpaired-translation for CycleGAN, CUT and FastCUT, and
/// XiudingCai/EnCo-pytorch for EnCo): the same initial weights, the same batch of real images, the official random
/// draws replayed (patch positions, flip coins), three steps, and the losses, gradients and weights compared.
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
    try assertStepsMatch(try CycleGAN(o), f, lr: ["G_A": o.lr, "G_B": o.lr, "D_A": o.lr, "D_B": o.lr])
  }

  // NOTE: for CUT and FastCUT, G's gradient is not compared with the official one, nor the steps after the first:
  // the official autograd gradient of G disagrees with finite differences of the official loss. On this fixture, for
  // G.model.1.weight[0] the official code's gradient is −29.06, while central differences of the official loss (in
  // float64, keys held fixed as its PatchNCE detaches them) give −53.98 at h = 1e-5 and −53.49 at h = 1e-6, and
  // i2i's gradient is −53.49; the cause on the official side is not found yet
  // (measured 2026-12-03 with the official model in float64: zero every gradient, one forward + compute_G_loss
  // backward, against central differences with netF's key outputs cached; the same check on an F weight agrees to
  // 6 digits, 4.27762 both ways). D's and F's gradients agree with the official ones to rounding; G's differ.
  // Until that is understood, G is held to the whole-network fixtures (NetworkFixtureTests) and the official losses.
  func testCUTStepsMatchTheOfficialCode() throws {
    try assertStepsMatch(try cut(CUTOptions(), replaying: "step_parity_cut"), try Fixture("step_parity_cut"), lr: ["G": 2e-4, "D": 2e-4, "F": 2e-4],
                         officialGradientHolds: ["D", "F"])
  }

  func testFastCUTStepsMatchTheOfficialCode() throws {
    try assertStepsMatch(try cut(CUTOptions.fastCUT, replaying: "step_parity_fastcut"),
                         try Fixture("step_parity_fastcut"), lr: ["G": 2e-4, "D": 2e-4, "F": 2e-4], officialGradientHolds: ["D", "F"])
  }

  func testEnCoStepsMatchTheOfficialCode() throws {
    let f = try Fixture("step_parity_enco")
    var o = EnCoOptions()
    (o.inputNC, o.outputNC, o.ngf, o.ndf, o.netG, o.numPatches, o.netFNC) = (1, 1, 8, 8, .resnet9Blocks, 64, 32)
    o.stopIdtEpochs = 200  // the official −1: n_epochs, 200 by default
    let model = try EnCo(o)
    model.beginEpoch(1)
    try model.dataDependentInitialize(TrainingBatch(a: f["A"], b: f["B"]), context: LocalReplicaContext())
    model.replayedDraws = (patchIds: { step, pair in
      [f["step\(step + 1).ids.\(pair).0"].scalars.map { Int($0) }]
    }, flipped: { step, domain in f["step\(step + 1).flipped\(domain == 0 ? "A" : "B")"].item == 1 })
    try assertStepsMatch(model, f, lr: ["G": o.lrG, "D": o.lrD, "F": o.lrF])
  }

  /// The fixture's CUT (its options: 1 channel, ngf/ndf 8, resnet_6blocks, 64 patches, netF_nc 32), F built, and the
  /// official patch positions and flip coins replayed.
  private func cut(_ preset: CUTOptions, replaying name: String) throws -> CUT {
    let f = try Fixture(name)
    var o = preset
    (o.inputNC, o.outputNC, o.ngf, o.ndf, o.netG, o.numPatches, o.netFNC) = (1, 1, 8, 8, .resnet6Blocks, 64, 32)
    let model = try CUT(o)
    try model.dataDependentInitialize(TrainingBatch(a: f["A"], b: f["B"]), context: LocalReplicaContext())
    model.replayedDraws = (patchIds: { step, term in
      (0..<o.nceLayers.count).map { layer in f["step\(step + 1).ids.\(term).\(layer)"].scalars.map { Int($0) } }
    }, flipped: { step in f["step\(step + 1).flipped"].item == 1 })
    return model
  }

  /// Loads the fixture's initial weights into `model`, runs three steps on its batch, and compares each step with
  /// the official one (see the type's summary).
  /// `lr`: each network's learning rate.
  private func assertStepsMatch(_ model: any TranslationModel, _ f: Fixture, lr: [String: Float],
                                officialGradientHolds networks: Set<String>? = nil,
                                file: StaticString = #filePath, line: UInt = #line) throws {
    for (name, module) in model.networks { try module.loadStateDict(f.prefixed("init.\(name).")) }
    let context = LocalReplicaContext()
    try model.prepare(context: context)
    let batch = TrainingBatch(a: f["A"], b: f["B"])
    let margin = Double(try XCTUnwrap(f.metadata["kink_margin"]))!
    var first: [String: Double] = [:]
    for step in 1...(networks == nil ? 3 : 1) {
      let losses = Dictionary(uniqueKeysWithValues: try model.trainStep(batch, step: step - 1, context: context))
      XCTAssertEqual(Set(losses.keys), Set(f.tensors.keys.filter { $0.hasPrefix("step\(step).loss.") }
                                            .map { String($0.dropFirst("step\(step).loss.".count)) }), file: file, line: line)
      for (name, value) in losses {
        let reference = Double(f["step\(step).loss.\(name)"].item)
        if step == 1 {
          first[name] = reference
          // The forward passes agree far inside the kink margin, so the gradients below compare one function. A loss
          // near 0 (D_fake of a confident D, ~1e-10) is a mean of squares of outputs that are themselves sums with
          // cancellation: its relative error says nothing, so losses below 1e-3 are compared on the scale 1e-3.
          XCTAssertLessThan(abs(value - reference) / max(abs(reference), 1e-3), min(1e-5, margin / 10),
                            "step 1 loss \(name): \(value) vs \(reference)", file: file, line: line)
        } else {
          let change = abs(reference - first[name]!)
          XCTAssertLessThanOrEqual(abs(value - reference), 1e-2 * change + 1e-5 * max(abs(reference), 1e-3),
                                   "step \(step) loss \(name): \(value) vs \(reference) (moved \(change) since step 1)",
                                   file: file, line: line)
        }
      }
      if step == 1 { assertFirstStepMatches(model, f, lr: lr, networks: networks, file: file, line: line) }
    }
  }

  private func assertFirstStepMatches(_ model: any TranslationModel, _ f: Fixture, lr rates: [String: Float],
                                      networks: Set<String>?,
                                      file: StaticString, line: UInt) {
    let u: Float = 0x1p-24
    let cancelled = cancelledBiasNames(model.networks)
    for (net, module) in model.networks where networks?.contains(net) ?? true {
      for (name, p) in module.namedParameters() {
        let key = "\(net).\(name)", lr = rates[net]!
        let g = f["step1.grad.\(key)"], w = f["step1.\(key)"], w0 = f["init.\(key)"]
        let gradientTolerance = 4e-3 * rms(g)
        let isCancelled = cancelled.contains(key)
        if let mine = p.grad, !isCancelled {
          for i in 0..<g.count where !(abs(mine[flat: i] - g[flat: i]) <= gradientTolerance) {
            return XCTFail("step 1 gradient \(key)[\(i)]: \(mine[flat: i]) vs \(g[flat: i]) (tolerance \(gradientTolerance))",
                           file: file, line: line)
          }
        }
        for i in 0..<w.count {
          let signAgrees = !isCancelled && abs(g[flat: i]) > 2 * gradientTolerance
          let bound = (signAgrees ? 1e-3 * lr : 2 * lr * 1.001) + 4 * u * abs(w0[flat: i])
          if !(abs(p[flat: i] - w[flat: i]) <= bound) {
            return XCTFail("step 1 weight \(key)[\(i)]: \(p[flat: i]) vs \(w[flat: i]) (gradient \(g[flat: i]), bound \(bound))",
                           file: file, line: line)
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
