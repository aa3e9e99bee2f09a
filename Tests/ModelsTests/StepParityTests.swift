import XCTest
import Replicas
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
///   compute the same function. Losses agree within the rounding of their own mean (rtol 1e-4, see below). A
///   weight gradient sums K ≤ H·W = 1024 terms per element in another order: worst case 2γ_K·Σ|terms| with
///   Σ|terms| ≈ √K·rms(g) for terms of mixed sign, ≈ 4e-3·rms(g) per tensor.
/// - Adam's first update is lr·g/(|g| + ε) ≈ ±lr: where |g| is above twice the gradient tolerance the sign agrees and
///   the updates agree to ~lr·1e-3; where it is below, the two signs are rounding noise and the weights may differ by
///   up to 2·lr. (A conv bias cancelled by the instance norm after it has no gradient in i2i and stays put; PyTorch's
///   rounding-noise gradient moves it by up to lr a step.)
/// - Before steps 2 and 3 the networks are set to the official weights of the step before, so each step starts
///   from the same weights and the same comparisons hold (the moments of Adam stay i2i's own; see
///   `assertStepMatches` for what that changes).
final class StepParityTests: XCTestCase {
  func testCycleGANStepsMatchTheOfficialCode() throws {
    let f = try Fixture("step_parity_cycle_gan")
    var o = CycleGANOptions()
    (o.inputNC, o.outputNC, o.ngf, o.ndf, o.netG, o.poolSize) = (1, 1, 8, 8, .resnet6Blocks, 0)
    (o.lr, o.beta1) = (2e-4, 0.5)
    try assertStepsMatch(try CycleGAN(o), f, lr: ["G_A": o.lr, "G_B": o.lr, "D_A": o.lr, "D_B": o.lr])
  }

  // NOTE: the CUT fixtures are made with scripts/make_step_parity.py's work-around for PyTorch 2.15's CPU
  // InstanceNorm2d backward, which is wrong for a channels-last strided incoming gradient (PatchSampleF's permute
  // sends one into every residual block); without it the official G gradient is not the derivative of the official
  // loss (G.model.1.weight[0]: −29.06 against −53.49 by central differences in float64, i2i −53.49).
  func testCUTStepsMatchTheOfficialCode() throws {
    try assertStepsMatch(try cut(CUTOptions(), replaying: "step_parity_cut"), try Fixture("step_parity_cut"), lr: ["G": 2e-4, "D": 2e-4, "F": 2e-4])
  }

  func testFastCUTStepsMatchTheOfficialCode() throws {
    try assertStepsMatch(try cut(CUTOptions.fastCUT, replaying: "step_parity_fastcut"),
                         try Fixture("step_parity_fastcut"), lr: ["G": 2e-4, "D": 2e-4, "F": 2e-4])
  }

  func testEnCoStepsMatchTheOfficialCode() throws {
    let f = try Fixture("step_parity_enco")
    var o = EnCoOptions()
    (o.inputNC, o.outputNC, o.ngf, o.ndf, o.netG, o.numPatches, o.netFNC) = (1, 1, 8, 8, .resnet9Blocks, 64, 32)
    o.stopIdtEpochs = 200  // the official −1: n_epochs, 200 by default
    let model = try EnCo(o)
    try model.beginEpoch(1, context: LocalReplicaContext())
    try model.dataDependentInitialize(TrainingBatch(a: f["A"], b: f["B"]), context: LocalReplicaContext())
    model.replayedDraws = (patchIds: { step, pair in
      [f["step\(step + 1).ids.\(pair).0"].scalars.map { Int($0) }]
    }, flipped: { step, domain in f["step\(step + 1).flipped\(domain == 0 ? "A" : "B")"].item == 1 })
    try assertStepsMatch(model, f, lr: ["G": o.lrG, "D": o.lrD, "F": o.lrF])
  }

  /// ECGAN (fixture by `scripts/make_ecgan_step_parity.py` from Ha0Tang/ECGAN@984be01's Pix2PixModel and
  /// Pix2PixTrainer: the official losses and TTUR optimisers, its G in the fixture's small trunk, two steps on two
  /// brain slices): the official objective, without the pixel contrast the official code does not have. A weight
  /// gradient sums over N·H·W = 2048 positions of a 32×32 map (G's last SPADEs), so its tolerance is
  /// sumBound(2048) ≈ 1.1e-2 of its RMS.
  func testECGANStepsMatchTheOfficialCode() throws {
    let f = try Fixture("step_parity_ecgan")
    var o = ECGANOptions()
    (o.labelNC, o.ngf, o.upBlocks, o.ndf, o.nLayersD, o.lambdaCL) = (4, 4, 2, 16, 3, 0)
    let batch = TrainingBatch(["label": f["label"], "image": f["image"], "edge": f["edge"]])
    // Each scale's score-map bias has gradient Σ_pairs w/num_D·[mean 1(s_fake > −1) − mean 1(s_real < 1)], exactly 0
    // while every score is inside (−1, 1): a cancelling sum of K = 3 pairs × 2 × 2·9·9 ≤ 1000 terms ±w/(2·numel),
    // Σ|terms| = 1 + 1 + 2 = 4, so either side may hold rounding noise up to sumBound(1000)·4 ≈ 1.5e-2 (PyTorch:
    // −4e-8; i2i: 0).
    let scoreBiases = (0..<2).map { "D.discriminator_\($0).model3.0.bias" }
    let zero = Float(RMSComparison.sumBound(terms: 1000)) * 4
    try assertStepsMatch(try ECGAN(o), f, lr: ["G": 1e-4, "D": 4e-4], batch: batch, terms: 2048,
                         zeroTolerance: Dictionary(uniqueKeysWithValues: scoreBiases.map { ($0, zero) }))
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
  /// the official one (see the type's summary). Before steps 2 and 3 the networks are set to the official weights
  /// of the step before (the optimisers keep their own moments), so every step starts from the same weights.
  /// `lr`: each network's learning rate; `batch`: the fixture's batch (default its images A and B); `terms`: the
  /// longest sum behind a gradient element (see `assertStepMatches`).
  private func assertStepsMatch(_ model: any TranslationModel, _ f: Fixture, lr: [String: Float], batch: TrainingBatch? = nil,
                                terms: Int = 1024, zeroTolerance: [String: Float] = [:],
                                file: StaticString = #filePath, line: UInt = #line) throws {
    for (name, module) in model.networks { try module.loadStateDict(f.prefixed("init.\(name).")) }
    let context = LocalReplicaContext()
    try model.prepare(context: context)
    let batch = batch ?? TrainingBatch(a: f["A"], b: f["B"])
    // The kink margin must stay far above float32's rounding of an activation relative to its channel, ~1e-7.
    XCTAssertGreaterThanOrEqual(Double(try XCTUnwrap(f.metadata["kink_margin"]))!, 1e-6, file: file, line: line)
    for step in 1...(Int(f.metadata["steps"] ?? "3") ?? 3) {
      if step > 1 {
        for (name, module) in model.networks { try module.loadStateDict(f.prefixed("step\(step - 1).\(name).")) }
      }
      let losses = Dictionary(uniqueKeysWithValues: try model.trainStep(batch, step: step - 1, context: context))
      XCTAssertEqual(Set(losses.keys), Set(f.tensors.keys.filter { $0.hasPrefix("step\(step).loss.") }
                                            .map { String($0.dropFirst("step\(step).loss.".count)) }), file: file, line: line)
      for (name, value) in losses {
        let reference = Double(f["step\(step).loss.\(name)"].item)
        // A loss is a mean over ≤ 2·32·32 terms: its own reduction alone may differ by γ_2048 ≈ 1.2e-4 of the mean
        // of |terms|, which for these losses (L1, squares, PatchNCE cross-entropies: terms of one sign) is the
        // loss itself; STYLE.md's forward rtol 1e-4 is that bound. A loss near 0 (D_fake of a confident D, ~1e-10)
        // is a mean of squares of outputs that are sums with cancellation, so losses below 1e-3 are compared on the
        // scale 1e-3. (The kink margin of the fixture, ~1e-5 of each activation's RMS, is what keeps the gradients
        // comparable; it is far above float32's per-activation rounding here, ~1e-7.)
        XCTAssertLessThan(abs(value - reference) / max(abs(reference), 1e-3), 1e-4,
                          "step \(step) loss \(name): \(value) vs \(reference)", file: file, line: line)
      }
      assertStepMatches(step, model, f, lr: lr, terms: terms, zeroTolerance: zeroTolerance, file: file, line: line)
    }
  }

  /// Step `k`'s gradients (4e-3·rms) and weights: from step 2 on, Adam's update also depends on the moments of
  /// the earlier steps, which are built from gradients that agree only to that tolerance, so an element may move
  /// by up to 2·lr the other way wherever any step's gradient was at its noise; the sign-aware bound of step 1
  /// (see the summary) is therefore held at step 1 only, and later steps are bounded by 2·lr.
  ///
  /// `terms` K gives the gradient tolerance sumBound(K) (4e-3 for 1024). A structural zero (a bias in front of a
  /// normalisation that i2i keeps in the graph, as SPADE's conv_0 before norm_1) is a cancelling sum on both sides,
  /// rounding noise far below the network's other gradients: a tensor's scale is taken as at least 1e-5 of the
  /// largest RMS of its network's fixture gradients. `zeroTolerance`: the tolerance of gradients that are exactly 0
  /// in exact arithmetic, where the caller derives the rounding of their cancelling sums.
  private func assertStepMatches(_ step: Int, _ model: any TranslationModel, _ f: Fixture, lr rates: [String: Float],
                                 terms: Int, zeroTolerance: [String: Float], file: StaticString, line: UInt) {
    let u: Float = 0x1p-24, bound = Float(RMSComparison.sumBound(terms: terms))
    let cancelled = cancelledBiasNames(model.networks)
    for (net, module) in model.networks {
      let floor = 1e-5 * (module.namedParameters().compactMap { f.tensors["step\(step).grad.\(net).\($0.name)"].map(rms) }.max() ?? 0)
      for (name, p) in module.namedParameters() {
        let key = "\(net).\(name)", lr = rates[net]!
        guard let g = f.tensors["step\(step).grad.\(key)"] else {
          // The official forward does not use it (ECGAN's fc1): no gradient there, and here it must not move.
          XCTAssertEqual(p.scalars, f["step\(step).\(key)"].scalars, "step \(step) \(key) moved", file: file, line: line)
          continue
        }
        let w = f["step\(step).\(key)"]
        let w0 = step == 1 ? f["init.\(key)"] : f["step\(step - 1).\(key)"]
        // From step 2 on a gradient can cancel to far below the size of its terms (F's heads: rms 1e5 at step 1,
        // 1e-5 at step 2), while the terms (activations × upstream gradients) keep about the size of step 1's, so
        // the rounding bound is taken on the larger of the two scales.
        let gradientTolerance = zeroTolerance[key] ?? bound * max(rms(g), step == 1 ? 0 : rms(f["step1.grad.\(key)"]), floor)
        let isCancelled = cancelled.contains(key)
        if let mine = p.grad, !isCancelled {
          for i in 0..<g.count where !(abs(mine[flat: i] - g[flat: i]) <= gradientTolerance) {
            return XCTFail("step \(step) gradient \(key)[\(i)]: \(mine[flat: i]) vs \(g[flat: i]) (tolerance \(gradientTolerance))",
                           file: file, line: line)
          }
        }
        for i in 0..<w.count {
          let signAgrees = step == 1 && !isCancelled && abs(g[flat: i]) > 2 * gradientTolerance
          let bound = (signAgrees ? 1e-3 * lr : 2 * lr * 1.001) + 4 * u * abs(w0[flat: i])
          if !(abs(p[flat: i] - w[flat: i]) <= bound) {
            return XCTFail("step \(step) weight \(key)[\(i)]: \(p[flat: i]) vs \(w[flat: i]) (gradient \(g[flat: i]), bound \(bound))",
                           file: file, line: line)
          }
        }
      }
    }
  }

  private func rms(_ t: Tensor) -> Float { Float(RMSComparison.rms(t)) }
}

extension Fixture {
  /// The tensors under `prefix`, with the prefix taken off their keys.
  func prefixed(_ prefix: String) -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for (key, t) in tensors where key.hasPrefix(prefix) { out[String(key.dropFirst(prefix.count))] = t }
    return out
  }
}
