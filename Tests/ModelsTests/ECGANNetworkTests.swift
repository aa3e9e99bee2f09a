import XCTest
import Replicas
import Models
import NN
import Tensors
import TestSupport

/// ECGAN's networks against the official code (fixtures made by `scripts/make_ecgan_fixtures.py` from
/// Ha0Tang/ECGAN@984be01's own SPADE, SPADEResnetBlock, MultiscaleDiscriminator and GANLoss, and from a copy of its
/// SPADEGenerator that the script checks bit for bit against the original at the official shapes): the official
/// state dict loads strictly, and the outputs, the buffers after the forward (spectral norm's u and v, running
/// statistics), every parameter gradient and every input gradient match.
///
/// What each is held to (derived, not tuned; float32, u = 2⁻²⁴):
/// - Gradients: an element is a sum of K products of mixed sign, which two implementations add in different
///   orders; the worst case of that difference is 2γ_K·√K of the sum's size (`RMSComparison.sumBound`), taken here
///   per tensor against its RMS, with K the longest sum in the fixture (stated at each test): weight and bias
///   gradients sum over N·H·W positions, input gradients over C_out·k² taps (a SPADE's hidden activations over
///   both γ and β's, 2·C·9). This is StepParityTests' argument; the measured errors are 2e-6–3e-5 of the RMS,
///   100–1000× below it (the bound is a worst case; it still fails any wrong rule, whose errors are of order 1).
/// - Forward values and buffers: within a tenth of the fixture's kink margin of their RMS (1e-4; the script kept
///   every ReLU/LeakyReLU input at least `kink_margin` ≥ 1e-3 of its tensor's RMS from 0). That is what makes the
///   gradient comparison meaningful: both implementations then take every kink on the same side, so they
///   differentiate the same function. Measured: at most 5e-6 of the RMS (the discriminator's features, whose
///   feature-matching differences the script kept ≥ 2.3e-4 of the RMS from 0, so its bound is 2.3e-5).
/// - Losses (scalars): the same tenth of the margin, relative to the mean size of their terms.
/// - Structural zeros: a bias that adds a per-channel constant in front of a normalisation (a ResBlk's conv_0 before
///   norm_1; the biases that shift a block's output, which the next block's SPADEs all normalise) has gradient 0;
///   both implementations compute it as a cancelling K-term sum, i.e. rounding noise (~1e-8 here). It is held,
///   on both sides, to the rounding bound of such a sum whose terms are the size of the terms of the fixture's other
///   bias gradients: sumBound(K)·rms(those gradients). (`Sequential` leaves such a bias out of the graph when an
///   instance norm directly follows; these are kept, as in the reference, because the cancellation is not local.)
final class ECGANNetworkTests: XCTestCase {
  let context = LocalReplicaContext()

  func testSPADEWithInstanceNormMatchesTheOfficialCode() throws {
    try checkSPADE(.instance, "ecgan_spade_instance")
  }

  func testSPADEWithBatchNormMatchesTheOfficialCode() throws {
    try checkSPADE(.batch, "ecgan_spade_batch")
  }

  /// SPADE(norm_nc 8, label_nc 6) on an 8×8 x and a 16×16 map; longest sum: seg's gradient through mlp_shared,
  /// 128·9 = 1152 taps.
  private func checkSPADE(_ norm: SPADENorm, _ name: String) throws {
    let f = try Fixture(name)
    let net = SPADE(norm: norm, channels: 8, labelNC: 6)
    try net.loadStateDict(f.prefixed("param."))
    let x = f.leaf("x"), seg = f.leaf("seg")
    let y = try net(x, seg, context: context)
    try checkForward([("y", y)], f)
    try checkBackward(net, f, loss: (y * f["gy"]).sum(), inputs: [("gx", x), ("gseg", seg)], terms: 1152)
    checkBuffers(net, f, prefix: "after.")
    net.eval()
    assertClose(try net(x.detached(), seg.detached(), context: context), f["y_eval"], relativeToRMS: forwardBound(f), "y_eval")
  }

  /// SPADEResnetBlock(16 → 8) with spectral norm and the synchronised batch norm (on one process); longest sum:
  /// seg's gradient, 128·9 = 1152 taps per SPADE. After the training forward u and v are one power iteration on;
  /// the eval forward uses them without iterating and normalises with the running statistics.
  func testSPADEResBlkWithSpectralNormMatchesTheOfficialCode() throws {
    let f = try Fixture("ecgan_spade_resblk_sn")
    let block = SPADEResnetBlock(16, 8, labelNC: 6, norm: .syncbatch, spectral: true)
    XCTAssertTrue(block.learnedShortcut)
    try block.loadStateDict(f.prefixed("param."))
    let x = f.leaf("x"), seg = f.leaf("seg")
    let y = try block(x, seg, context: context)
    try checkForward([("y", y)], f)
    try checkBackward(block, f, loss: (y * f["gy"]).sum(), inputs: [("gx", x), ("gseg", seg)], terms: 1152,
                      zeros: ["conv_0.bias"], kept: true)
    // NOTE: the official SynchronizedBatchNorm2d calls F.batch_norm itself and never counts num_batches_tracked
    // (it stays 0); ours counts, as nn.BatchNorm2d does. With momentum 0.1 the count changes nothing.
    checkBuffers(block, f, prefix: "after.", skipping: { $0.hasSuffix("num_batches_tracked") })
    block.eval()
    let before = block.stateDict().map { $0.tensor.scalars }
    assertClose(try block(x.detached(), seg.detached(), context: context), f["y_eval"], relativeToRMS: forwardBound(f), "y_eval")
    XCTAssertEqual(block.stateDict().map { $0.tensor.scalars }, before, "eval mode changed a buffer")
  }

  /// ECGAN-mini's generator (ngf 16, head_0 and up_0 … up_2, instance norm in the SPADEs) on a 2×6×32×32 map;
  /// longest sums: the hidden activations' gradient of a 128-channel SPADE, 2·128·9 = 2304 taps (weight gradients
  /// at 32×32 sum 2·32·32 = 2048 positions).
  func testMiniGeneratorMatchesTheOfficialCode() throws {
    let f = try Fixture("ecgan_generator_mini")
    let g = ECGANGenerator(.mini(semanticNC: 6, labelNC: 5))
    XCTAssertEqual(g.trunk.map(\.name), ["head_0", "up_0", "up_1", "up_2"])
    try g.loadStateDict(f.prefixed("param."))
    let seg = f.leaf("seg")
    let out = try g(seg, context: context)
    let outputs = [("image", out.image), ("refined_image", out.refinedImage), ("edge", out.edge)]
    try checkForward(outputs.map { ("y.\($0.0)", $0.1) } + [("y.features", out.features)], f)
    let loss = outputs.map { ($0.1 * f["gy.\($0.0)"]).sum() }.reduce(Tensor(scalar: 0), +)
    try checkBackward(g, f, loss: loss, inputs: [("gseg", seg)], terms: 2304, unused: ["fc1.weight", "fc1.bias"],
                      zeros: structuralZeros(g))
    checkBuffers(g, f, prefix: "after.")
  }

  /// The multi-scale discriminator (2 scales, 3 layers, ndf 16, spectral instance norm) on 16×16 pairs, its
  /// generator-side pass (hinge G + feature matching, λ 10) and then its discriminator-side pass (hinge D, fake
  /// detached), each with its own power iteration; longest sums: model0's weight gradient over 4·9·9 = 324
  /// positions, model2's input gradient over 64·16 = 1024 taps.
  func testMultiscaleDiscriminatorWithFeatureMatchingMatchesTheOfficialCode() throws {
    let f = try Fixture("ecgan_multiscale_discriminator")
    XCTAssertGreaterThanOrEqual(Double(try XCTUnwrap(f.metadata["loss_margin"]))!, 1e-4)
    let d = MultiscaleDiscriminator(inputNC: 9, ndf: 16, layers: 3, numD: 2)
    try d.loadStateDict(f.prefixed("param."))
    let bound = RMSComparison.sumBound(terms: 1024)

    let segA = f.leaf("seg"), fake = f.leaf("fake")
    let a = d.judge(condition: segA, fake: fake, real: f["real"])
    try checkHalves(a, f, prefix: "a.out.")
    let gan = MultiscaleGANLoss.hinge(a.fake, targetIsReal: true, forDiscriminator: false)
    let fm = MultiscaleGANLoss.featureMatching(fake: a.fake, real: a.real, weight: 10)
    checkLoss(gan, f["a.loss_gan"], scale: meanAbs(a.fake.map { $0.last! }), f, "a.loss_gan")
    checkLoss(fm, f["a.loss_fm"], scale: Double(f["a.loss_fm"].item), f, "a.loss_fm")
    try (gan + fm).backward()
    for (name, p) in d.namedParameters() { assertClose(p.grad, f["a.grad.\(name)"], relativeToRMS: bound, "a.grad.\(name)") }
    assertClose(fake.grad, f["a.gfake"], relativeToRMS: bound, "a.gfake")
    assertClose(segA.grad, f["a.gseg"], relativeToRMS: bound, "a.gseg")
    checkBuffers(d, f, prefix: "a.after.")

    d.zeroGrad(setToNone: true)
    let segB = f.leaf("seg"), real = f.leaf("real")
    let b = d.judge(condition: segB, fake: f["fake"], real: real)
    try checkHalves(b, f, prefix: "b.out.")
    let dFake = MultiscaleGANLoss.hinge(b.fake, targetIsReal: false, forDiscriminator: true)
    let dReal = MultiscaleGANLoss.hinge(b.real, targetIsReal: true, forDiscriminator: true)
    checkLoss(dFake, f["b.loss_fake"], scale: Double(f["b.loss_fake"].item), f, "b.loss_fake")
    checkLoss(dReal, f["b.loss_real"], scale: Double(f["b.loss_real"].item), f, "b.loss_real")
    try (dFake + dReal).backward()
    // NOTE: every hinge term of scale 1 is active (1 ∓ D ≥ 0.67·rms away from its kink), so its score bias gets
    // ½·mean(1) − ½·mean(1) = 0, and both sides compute rounding noise: held as a structural zero.
    let zero = "discriminator_1.model3.0.bias"
    for (name, p) in d.namedParameters() where name != zero {
      assertClose(p.grad, f["b.grad.\(name)"], relativeToRMS: bound, "b.grad.\(name)")
    }
    let biases = d.namedParameters().map(\.name).filter { $0.hasSuffix("bias") && $0 != zero }.map { f["b.grad.\($0)"] }
    assertStructuralZero(try XCTUnwrap(d.module(at: "discriminator_1.model3.0") as? Conv2d).bias!.grad!, f["b.grad.\(zero)"],
                         bound: bound * rms(biases), zero)
    assertClose(real.grad, f["b.greal"], relativeToRMS: bound, "b.greal")
    assertClose(segB.grad, f["b.gseg"], relativeToRMS: bound, "b.gseg")
    checkBuffers(d, f, prefix: "b.after.")
  }

  /// The generator's parameter names are the official state dict's, in its order (the mini shape here; the
  /// fixture's loadStateDict checks the key set strictly).
  func testGeneratorStateDictKeysFollowTheOfficialOrder() throws {
    let f = try Fixture("ecgan_generator_mini")
    let g = ECGANGenerator(.mini(semanticNC: 6, labelNC: 5))
    let keys = g.stateDict().map(\.name)
    XCTAssertEqual(Set(keys), Set(f.prefixed("param.").keys))
    XCTAssertEqual(Array(keys.prefix(6)), ["fc.weight", "fc.bias", "head_0.conv_0.bias", "head_0.conv_0.weight_orig",
                                           "head_0.conv_0.weight_u", "head_0.conv_0.weight_v"])
    XCTAssertEqual(Array(keys.suffix(8)), ["conv_comb.weight", "conv_comb.bias", "conv_comb1.weight", "conv_comb1.bias",
                                            "conv_comb2.weight", "conv_comb2.bias", "fc1.weight", "fc1.bias"])
  }

  /// The paper's shape: 7 ResBlks named as the official code names them, 16·ngf at the top, 5 upsamplings
  /// (6 with `more`), and a 256×256 map gives 256×256 outputs from an 8×8 latent.
  func testPaperShapeHasTheOfficialTrunk() throws {
    var s = ECGANGeneratorShape.paper(semanticNC: 36, labelNC: 35)
    (s.ngf, s.spadeHidden, s.spadeNorm) = (2, 4, .instance)  // small widths, same layout
    let g = ECGANGenerator(s)
    XCTAssertEqual(g.trunk.map(\.name), ["head_0", "G_middle_0", "G_middle_1", "up_0", "up_1", "up_2", "up_3"])
    XCTAssertEqual(g.trunk.map { $0.block.fout }, [32, 32, 32, 16, 8, 4, 2])
    XCTAssertEqual(s.upsamplings, 5)
    s.moreUpsampling = true
    XCTAssertEqual(s.upsamplings, 6)
    var rng = RandomStream(seed: 3)
    let seg = Tensor.uniform([1, 36, 64, 64], &rng)
    let out = try noGrad { try g(seg, context: context) }
    XCTAssertEqual(out.image.shape, [1, 3, 64, 64])
    XCTAssertEqual(out.refinedImage.shape, [1, 3, 64, 64])
    XCTAssertEqual(out.edge.shape, [1, 3, 64, 64])
    XCTAssertEqual(out.features.shape, [1, 2, 64, 64])
  }

  // MARK: Helpers

  private func forwardBound(_ f: Fixture) -> Double {
    let margins = ["kink_margin", "loss_margin"].compactMap { f.metadata[$0].flatMap(Double.init) }
    return (margins.min() ?? 0) / 10
  }

  /// Each output within a tenth of the smallest margin of its RMS (see the class summary).
  private func checkForward(_ outputs: [(String, Tensor)], _ f: Fixture, file: StaticString = #filePath, line: UInt = #line) throws {
    let bound = forwardBound(f)
    XCTAssertGreaterThanOrEqual(Double(try XCTUnwrap(f.metadata["kink_margin"]))!, 1e-3, f.name, file: file, line: line)
    for (key, y) in outputs { assertClose(y, f[key], relativeToRMS: bound, key, file: file, line: line) }
  }

  /// The fake and real halves of every scale's layer outputs against the reference's whole batch (fake first).
  private func checkHalves(_ out: (fake: [[Tensor]], real: [[Tensor]]), _ f: Fixture, prefix: String) throws {
    XCTAssertEqual(out.fake.count, 2)
    var outputs: [(String, Tensor)] = []
    for (i, (fake, real)) in zip(out.fake, out.real).enumerated() {
      XCTAssertEqual(fake.count, 4)
      for (j, (a, b)) in zip(fake, real).enumerated() {
        outputs.append(("\(prefix)\(i).\(j)", Tensor.concat([a, b], axis: 0)))
      }
    }
    try checkForward(outputs, f)
  }

  private func checkLoss(_ loss: Tensor, _ reference: Tensor, scale: Double, _ f: Fixture, _ what: String) {
    let error = abs(Double(loss.item) - Double(reference.item))
    XCTAssertLessThanOrEqual(error, forwardBound(f) * scale, "\(what): \(loss.item) vs \(reference.item)")
  }

  private func meanAbs(_ ts: [Tensor]) -> Double {
    ts.map { t in (0..<t.count).reduce(0.0) { $0 + Double(abs(t[flat: $1])) } / Double(t.count) }.reduce(0, +) / Double(ts.count)
  }

  /// loss (= the fixture's) → backward; every parameter's gradient and every named input's within the sum bound of
  /// `terms`. `unused` parameters get no gradient here and PyTorch's is exactly 0.
  private func checkBackward(_ net: Module, _ f: Fixture, loss: Tensor, inputs: [(String, Tensor)], terms: Int,
                             unused: Set<String> = [], zeros: Set<String> = [], kept: Bool = false,
                             file: StaticString = #filePath, line: UInt = #line) throws {
    assertClose(loss, f["loss"], relativeToRMS: forwardBound(f), "loss", file: file, line: line)
    try loss.backward()
    let bound = RMSComparison.sumBound(terms: terms)
    XCTAssertEqual(Set(net.namedParameters().map { "grad." + $0.name }), Set(f.prefixed("grad.").keys.map { "grad." + $0 }),
                   file: file, line: line)
    let others = net.namedParameters().map(\.name)
      .filter { $0.hasSuffix("bias") && !zeros.contains($0) && !unused.contains($0) }.map { f["grad.\($0)"] }
    let zeroBound = bound * rms(others)
    for (name, p) in net.namedParameters() {
      if zeros.contains(name) && kept {
        assertStructuralZero(try XCTUnwrap(p.grad, name), f["grad.\(name)"], bound: zeroBound, "grad.\(name)", file: file, line: line)
      } else if zeros.contains(name) {
        // With instance norm i2i leaves these biases out of the graph (no gradient); PyTorch's is the noise of a
        // cancelling sum.
        XCTAssertNil(p.grad, "\(name): a cancelled bias got a gradient", file: file, line: line)
        assertStructuralZero(Tensor(zeros: p.shape), f["grad.\(name)"], bound: zeroBound, "grad.\(name)", file: file, line: line)
      } else if unused.contains(name) {
        XCTAssertNil(p.grad, name, file: file, line: line)
        XCTAssertTrue(f["grad.\(name)"].scalars.allSatisfy { $0 == 0 }, name, file: file, line: line)
      } else {
        assertClose(p.grad, f["grad.\(name)"], relativeToRMS: bound, "grad.\(name)", file: file, line: line)
      }
    }
    for (key, x) in inputs { assertClose(x.grad, f[key], relativeToRMS: bound, key, file: file, line: line) }
  }

  /// Both our gradient and PyTorch's are at most `bound` (absolute): the noise of a sum that cancels.
  private func assertStructuralZero(_ mine: Tensor, _ reference: Tensor, bound: Double, _ what: String,
                                    file: StaticString = #filePath, line: UInt = #line) {
    let worst = (0..<mine.count).map { max(abs(Double(mine[flat: $0])), abs(Double(reference[flat: $0]))) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, bound, "\(what): gradient 0 by structure, computed \(worst) (bound \(bound))",
                             file: file, line: line)
  }

  /// The RMS of several tensors together.
  private func rms(_ ts: [Tensor]) -> Double {
    let n = ts.reduce(0) { $0 + $1.count }
    return (ts.reduce(0.0) { $0 + pow(RMSComparison.rms($1), 2) * Double($1.count) } / Double(max(n, 1))).squareRoot()
  }

  /// The generator's biases whose gradient is 0 by the network's structure (instance norm in the SPADEs): every
  /// block's conv_0 bias (norm_1 follows), and every bias that shifts a block's output by a per-channel constant
  /// (conv_1's, the shortcut's SPADE β bias, and fc's through head_0's identity shortcut) except the last block's,
  /// because every consumer of that output is one of the next block's SPADEs, which normalise it.
  private func structuralZeros(_ g: ECGANGenerator) -> Set<String> {
    var zeros: Set<String> = []
    for (k, (name, block)) in g.trunk.enumerated() {
      zeros.insert("\(name).conv_0.bias")
      guard k < g.trunk.count - 1 else { continue }
      zeros.insert("\(name).conv_1.bias")
      if block.learnedShortcut { zeros.insert("\(name).norm_s.mlp_beta.bias") }
      if k == 0 && !block.learnedShortcut { zeros.insert("fc.bias") }
    }
    return zeros
  }

  /// Every buffer against `<prefix><key>` (u and v after the power iteration, running statistics).
  private func checkBuffers(_ net: Module, _ f: Fixture, prefix: String, skipping: (String) -> Bool = { _ in false },
                            file: StaticString = #filePath, line: UInt = #line) {
    let buffers = net.namedBuffers()
    XCTAssertEqual(Set(buffers.map(\.name)), Set(f.prefixed(prefix).keys), file: file, line: line)
    for (name, b) in buffers where !skipping(name) {
      assertClose(b, f[prefix + name], relativeToRMS: forwardBound(f), prefix + name, file: file, line: line)
    }
  }
}
