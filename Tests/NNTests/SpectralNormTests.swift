import Foundation
import XCTest
import NN
import Tensors
import TestSupport

/// `SpectralNormConv2d` as `torch.nn.utils.spectral_norm(nn.Conv2d(…))`: the state-dict keys, exactly one power
/// iteration per training forward and none in eval (against a Double oracle), σ converging to the top singular
/// value, the gradient through W/σ(W) by finite differences, and u, v travelling as buffers. (The PyTorch values
/// of whole spectrally normalised blocks are in ModelsTests' ECGAN fixtures.)
final class SpectralNormTests: XCTestCase {
  func testStateDictKeysAreTorchs() {
    XCTAssertEqual(SpectralNormConv2d(3, 4, kernel: 3).stateDict().map(\.name), ["bias", "weight_orig", "weight_u", "weight_v"])
    let noBias = SpectralNormConv2d(3, 4, kernel: 1, bias: false)
    XCTAssertEqual(noBias.stateDict().map(\.name), ["weight_orig", "weight_u", "weight_v"])
    XCTAssertEqual(noBias.namedParameters().map(\.name), ["weight_orig"])
    XCTAssertEqual(noBias.namedBuffers().map { $0.tensor.shape }, [[4], [3]])
  }

  /// v ← normalize(W̄ᵀu), u ← normalize(W̄v), σ = uᵀW̄v, in Double from the state before the forward.
  private func oracle(_ w: Tensor, _ u0: Tensor, rows h: Int) -> (u: [Double], v: [Double], sigma: Double) {
    let c = w.count / h
    let m = (0..<w.count).map { Double(w[flat: $0]) }, u0 = (0..<h).map { Double(u0[flat: $0]) }
    func normalized(_ a: [Double]) -> [Double] { let n = max(a.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12); return a.map { $0 / n } }
    let v = normalized((0..<c).map { j in (0..<h).reduce(0) { $0 + m[$1 * c + j] * u0[$1] } })
    let wv = (0..<h).map { i in (0..<c).reduce(0) { $0 + m[i * c + $1] * v[$1] } }
    let u = normalized(wv)
    return (u, v, zip(u, wv).reduce(0) { $0 + $1.0 * $1.1 })
  }

  func testOnePowerIterationPerTrainingForwardAndNoneInEval() throws {
    var rng = RandomStream(seed: 21)
    let conv = SpectralNormConv2d(3, 5, kernel: 3, padding: 1)
    let x = Tensor.randn([2, 3, 6, 6], &rng)
    let (u0, v0) = (conv.normalization.u.copy(), conv.normalization.v.copy())
    let expected = oracle(conv.weightOrig, u0, rows: 5)
    let y = conv(x)
    for i in 0..<5 { XCTAssertEqual(Double(conv.normalization.u[flat: i]), expected.u[i], accuracy: 1e-6, "u[\(i)]") }
    for j in 0..<27 { XCTAssertEqual(Double(conv.normalization.v[flat: j]), expected.v[j], accuracy: 1e-6, "v[\(j)]") }
    let reference = conv2d(x, conv.weightOrig.detached() / Float(expected.sigma), conv.bias!.detached(), padding: 1)
    assertCloseForward(y, reference, "y = conv(x, W/σ)")
    XCTAssertNotEqual(u0.scalars, conv.normalization.u.scalars)
    XCTAssertNotEqual(v0.scalars, conv.normalization.v.scalars)

    conv.eval()
    let (u1, v1) = (conv.normalization.u.scalars, conv.normalization.v.scalars)
    let sigma = conv.normalization.sigma(conv.weightOrig)
    assertCloseForward(conv(x), conv2d(x, conv.weightOrig.detached() / sigma, conv.bias!.detached(), padding: 1), "eval y")
    XCTAssertEqual(conv.normalization.u.scalars, u1, "eval iterated u")
    XCTAssertEqual(conv.normalization.v.scalars, v1, "eval iterated v")
  }

  /// W = diag(5, 2, 1) ⊗ one tap: after a few training forwards σ is 5 and the normalised weight has norm 1.
  func testSigmaConvergesToTheLargestSingularValue() {
    let conv = SpectralNormConv2d(3, 3, kernel: 1, bias: false)
    conv.weightOrig.assign(Tensor([5, 0, 0, 0, 2, 0, 0, 0, 1], [3, 3, 1, 1]))
    var w = conv.normalizedWeight()
    for _ in 0..<30 { w = conv.normalizedWeight() }
    XCTAssertEqual(conv.normalization.sigma(conv.weightOrig), 5, accuracy: 1e-4)
    XCTAssertEqual(w[flat: 0], 1, accuracy: 1e-4)
    XCTAssertEqual(w[flat: 4], 0.4, accuracy: 1e-4)
  }

  /// d(W/σ(W))/dW with u, v held (eval): σ's own dependence on W included, by central differences.
  func testGradientThroughTheNormalisationByFiniteDifferences() {
    var rng = RandomStream(seed: 8)
    let conv = SpectralNormConv2d(2, 3, kernel: 2)
    conv.weightOrig.assign(Tensor.randn([3, 2, 2, 2], &rng))
    conv.normalization.redraw(&rng)
    // NOTE: u, v near W's singular vectors, as in training, so that σ = uᵀW̄v is not near 0 for this W (where
    // W/σ would be too curved for a difference step of 1e-2).
    for _ in 0..<5 { _ = conv.normalizedWeight() }
    conv.eval()
    let normalization = conv.normalization
    gradCheck("W / σ(W)", [conv.weightOrig.detached()], eps: 1e-2) { normalization($0[0], powerIteration: false) }
  }

  /// A second training forward updates u and v in place; the first forward's backward still reads the u and v it
  /// used (PyTorch clones them for this reason), so the gradient equals that of a single forward.
  func testBackwardOfAnEarlierForwardIsUnaffectedByTheNextIteration() throws {
    var rng = RandomStream(seed: 4)
    let a = SpectralNormConv2d(2, 3, kernel: 3, padding: 1), b = SpectralNormConv2d(2, 3, kernel: 3, padding: 1)
    try b.loadStateDict(Dictionary(uniqueKeysWithValues: a.stateDict().map { ($0.name, $0.tensor.copy()) }))
    let x = Tensor.randn([1, 2, 5, 5], &rng)
    let first = a(x).sum()
    _ = a(x)
    try first.backward()
    try b(x).sum().backward()
    XCTAssertEqual(a.weightOrig.grad?.scalars, b.weightOrig.grad?.scalars)
    XCTAssertEqual(a.bias?.grad?.scalars, b.bias?.grad?.scalars)
  }

  func testUAndVAreSavedAndLoadedWithTheWeights() throws {
    var rng = RandomStream(seed: 2)
    let a = SpectralNormConv2d(2, 3, kernel: 3), b = SpectralNormConv2d(2, 3, kernel: 3)
    _ = a(Tensor.randn([1, 2, 4, 4], &rng))
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sn-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try a.save(to: url)
    try b.load(from: url)
    XCTAssertEqual(b.normalization.u.scalars, a.normalization.u.scalars)
    XCTAssertEqual(b.normalization.v.scalars, a.normalization.v.scalars)
    XCTAssertFalse(b.parameters().contains { $0.storage === b.normalization.u.storage })
  }

  /// initWeights: weight_orig by the scheme, bias 0, and u, v redrawn (unit vectors) from the same keyed stream.
  func testInitWeightsRedrawsUAndVFromTheStream() {
    let a = SpectralNormConv2d(4, 3, kernel: 3), b = SpectralNormConv2d(4, 3, kernel: 3)
    var ra = RandomStream(seed: 9), rb = RandomStream(seed: 9)
    a.initWeights(.xavierNormal, gain: 0.02, rng: &ra)
    b.initWeights(.xavierNormal, gain: 0.02, rng: &rb)
    XCTAssertEqual(a.stateDict().map { $0.tensor.scalars }, b.stateDict().map { $0.tensor.scalars })
    XCTAssertEqual(a.bias!.scalars, [0, 0, 0])
    let norm = a.normalization.u.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
    XCTAssertEqual(norm, 1, accuracy: 1e-6)
  }
}
