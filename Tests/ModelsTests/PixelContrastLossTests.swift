import XCTest
import Foundation
import Replicas
import Models
import NN
import Tensors
import TestSupport

/// ECGAN's pixel contrastive loss (spec §2.6) against a naive anchor-by-anchor oracle in Double, by finite
/// differences, by hand, and for its counts, don't-care pixels, memory bank and options.
///
/// Tolerances: the loss sums terms softplus(lse − s) of logits s = ⟨a, k⟩/τ, each a D-term float32 dot product of
/// unit vectors (|s| ≤ 1/τ), so one logit is off by ≲ D·u/τ ≈ 8·6e-8·10 ≈ 5e-6 at worst (u = 2⁻²⁴), and softplus
/// and log-sum-exp pass that on with a factor ≤ 1; the oracle rounds once. A loss of O(1) is therefore held to rtol
/// 1e-5 (plus atol 1e-6 for that logit error), and a gradient, a sum of ≤ keys such errors times key entries ≤ 1
/// over |P_i|·A, to 1e-4 of the gradient's largest entry.
final class PixelContrastLossTests: XCTestCase {
  let local = LocalReplicaContext()

  /// n images with ids at 2h × 2w: classes 0..<classes by region plus noise, and `dontCare` in one corner.
  static func labels(_ n: Int, h: Int, w: Int, classes: Int, dontCare: Int?, seed: UInt64) -> Tensor {
    var rng = RandomStream(seed: seed)
    let (hh, ww) = (2 * h, 2 * w)
    let t = Tensor(zeros: [n, 1, hh, ww])
    for b in 0..<n {
      for y in 0..<hh {
        for x in 0..<ww {
          var id = (y * 2 / hh + x * 3 / ww + b) % classes
          if rng.nextFloat() < 0.2 { id = rng.nextInt(below: classes) }
          if let dontCare, y < 2 && x < 2 { id = dontCare }
          t[flat: ((b * hh) + y) * ww + x] = Float(id)
        }
      }
    }
    return t
  }

  static func embeddings(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomStream(seed: seed)
    return l2Normalize(Tensor.randn(shape, &rng), axis: 1)
  }

  func testMatchesTheNaiveOracleInEveryMode() throws {
    let (n, d, h, w, classes) = (3, 8, 4, 5, 4)
    let labels = Self.labels(n, h: h, w: w, classes: classes, dontCare: 9, seed: 4)
    for negatives in [NegativeSource.image, .batch, .global] {
      for (memory, tau) in [(0, Float(0.1)), (6, 0.5)] {
        let name = "\(negatives), memory \(memory), τ \(tau)"
        let loss = try PixelContrastLoss(classes: classes, width: d, pixelsPerClass: 3, temperature: tau,
                                         negatives: negatives, dontCare: 9, memoryPerClass: memory, seed: 2)
        if let bank = loss.memory {  // some classes full and wrapped, one short, one empty
          let keys = Self.embeddings([10, d, 1, 1], seed: 8).reshape([10, d])
          bank.enqueue(keys, labels: [0, 0, 1, 0, 2, 0, 0, 0, 1, 0])
        }
        let bank = loss.memory?.contents()
        let e = Self.embeddings([n, d, h, w], seed: 5).requiringGrad()
        let (value, perQuery) = try loss(embeddings: e, labels: labels, firstGlobalImage: 4, step: 7, context: local)
        try value.backward()

        let ids = try loss.sampler.classIds(labels, height: h, width: w)
        let picks = loss.sampler.sample(ids, seed: 2, step: 7, firstGlobalImage: 4)
        let values = NaivePixelContrast.values(e)
        let oracle = NaivePixelContrast(shape: e.shape, picks: picks, perImage: negatives == .image, bank: bank,
                                        tau: Double(tau)).evaluate(anchors: values, keys: values)
        XCTAssertGreaterThan(oracle.anchors, 6, name)
        XCTAssertEqual(Double(value.item), oracle.loss, accuracy: 1e-6 + 1e-5 * oracle.loss, name)
        XCTAssertEqual(perQuery, oracle.negativesPerQuery, accuracy: 1e-12, name)
        let g = Tensor(oracle.gradient.map { Float($0) }, e.shape), largest = g.scalars.map(abs).max()!
        assertClose(e.grad, g, rtol: 0, atol: 1e-4 * largest, "\(name): d loss / d embeddings")
      }
    }
  }

  /// The oracle's hand-written gradient is the derivative of its loss in the anchors with the keys held fixed
  /// (central differences in Double along a random direction: truncation ~ε² and rounding ~1e-16/ε, both far
  /// below 1e-7). The loss's own gradient is not a finite difference of its value: the same pixels are anchors and
  /// (constant) keys, so perturbing them moves both, and only the anchor side is differentiated.
  func testTheOraclesGradientByFiniteDifferences() throws {
    let (n, d, h, w) = (2, 3, 3, 3)
    let labels = Self.labels(n, h: h, w: w, classes: 3, dontCare: nil, seed: 12)
    let e = Self.embeddings([n, d, h, w], seed: 11), base = NaivePixelContrast.values(e)
    var rng = RandomStream(seed: 13)
    let direction = Tensor.randn(e.shape, &rng).scalars.map(Double.init)
    for negatives in [NegativeSource.image, .batch] {
      let loss = try PixelContrastLoss(classes: 3, width: d, pixelsPerClass: 2, temperature: 0.5,
                                       negatives: negatives, seed: 1)
      let picks = loss.sampler.sample(try loss.sampler.classIds(labels, height: h, width: w), seed: 1, step: 3,
                                      firstGlobalImage: 0)
      let bank = (keys: Self.embeddings([4, d, 1, 1], seed: 14).reshape([4, d]), labels: [0, 1, 1, 2])
      let oracle = NaivePixelContrast(shape: e.shape, picks: picks, perImage: negatives == .image, bank: bank, tau: 0.5)
      let (_, g, _, anchors) = oracle.evaluate(anchors: base, keys: base)
      XCTAssertGreaterThan(anchors, 4)
      let eps = 1e-5
      func at(_ t: Double) -> Double {
        oracle.evaluate(anchors: zip(base, direction).map { $0 + t * $1 }, keys: base).loss
      }
      let numeric = (at(eps) - at(-eps)) / (2 * eps)
      let analytic = zip(g, direction).map { $0 * $1 }.reduce(0, +)
      XCTAssertEqual(analytic, numeric, accuracy: 1e-7 * max(1, abs(numeric)), "\(negatives)")
    }
  }

  /// Three pixels written out, batch negatives, all picked: a and b of class 0 are each other's positive, c
  /// (class 1) the negative of both and skipped as an anchor (no positive), so loss = (L_a + L_b)/2.
  func testThreePixelsByHand() throws {
    let a: [Float] = [1, 0], b: [Float] = [0.6, 0.8], c: [Float] = [0, 1]
    let e = Tensor([a[0], b[0], c[0], a[1], b[1], c[1]], [1, 2, 1, 3]).requiringGrad()
    let labels = Tensor([0, 0, 1], [1, 1, 1, 3])
    let tau: Float = 0.5
    let loss = try PixelContrastLoss(classes: 2, width: 2, pixelsPerClass: 4, temperature: tau, negatives: .batch,
                                     seed: 0)
    let (value, perQuery) = try loss(embeddings: e, labels: labels, firstGlobalImage: 0, step: 0, context: local)
    func dot(_ u: [Float], _ v: [Float]) -> Double { Double(u[0] * v[0] + u[1] * v[1]) / Double(tau) }
    func term(_ x: [Float], _ p: [Float]) -> Double { -log(exp(dot(x, p)) / (exp(dot(x, p)) + exp(dot(x, c)))) }
    XCTAssertEqual(Double(value.item), (term(a, b) + term(b, a)) / 2, accuracy: 1e-6)
    XCTAssertEqual(perQuery, 1)
    try value.backward()
    XCTAssertEqual(e.grad![flat: 2], 0, "c is only a key: keys carry no gradient")
    XCTAssertEqual(e.grad![flat: 5], 0)
  }

  /// 2 images of 2×2 pixels, every pixel picked: image 0 = [0, 0, 1, 1], image 1 = [0, 1, 2, 2].
  func testNegativesPerQueryForImageAndBatch() throws {
    let labels = Tensor([0, 0, 1, 1, 0, 1, 2, 2], [2, 1, 2, 2])
    let e = Self.embeddings([2, 4, 2, 2], seed: 3)
    func perQuery(_ negatives: NegativeSource) throws -> Double {
      try PixelContrastLoss(classes: 3, width: 4, pixelsPerClass: 4, negatives: negatives, seed: 0)(
        embeddings: e, labels: labels, firstGlobalImage: 0, step: 0, context: local).negativesPerQuery
    }
    // image: image 0's four anchors have 1 positive and 2 negatives; in image 1 only the two class-2 pixels have a
    // positive (2 negatives each): 12 negatives over 6 anchors.
    XCTAssertEqual(try perQuery(.image), 2)
    // batch: class counts 3, 3, 2 among 8 keys: negatives 5, 5, 6 per anchor, (3·5 + 3·5 + 2·6) / 8.
    XCTAssertEqual(try perQuery(.batch), 5.25)
    XCTAssertEqual(try perQuery(.global), 5.25)
  }

  /// Don't-care pixels are never picked: their embeddings change nothing and get no gradient, wherever the id lies.
  func testDontCarePixelsAreIgnored() throws {
    let (n, d, h, w) = (2, 4, 4, 4)
    for dontCare in [0, 255] {
      let labels = Self.labels(n, h: h, w: w, classes: 3, dontCare: dontCare, seed: 6)
      let loss = try PixelContrastLoss(classes: 3, width: d, pixelsPerClass: 64, negatives: .batch,
                                       dontCare: dontCare, seed: 0)
      let ids = try loss.sampler.classIds(labels, height: h, width: w)
      let e = Self.embeddings([n, d, h, w], seed: 7).requiringGrad()
      let value = try loss(embeddings: e, labels: labels, firstGlobalImage: 0, step: 0, context: local).loss
      try value.backward()
      let moved = e.detached().copy()
      var ignored = 0
      for b in 0..<n {
        for p in 0..<(h * w) where ids[b][p] == dontCare {
          ignored += 1
          for c in 0..<d {
            let i = (b * d + c) * h * w + p
            XCTAssertEqual(e.grad![flat: i], 0, "dontcare \(dontCare): pixel \(p) of image \(b) got gradient")
            moved[flat: i] = -moved[flat: i]
          }
        }
      }
      XCTAssertGreaterThan(ignored, 0)
      let again = try loss(embeddings: moved, labels: labels, firstGlobalImage: 0, step: 0, context: local).loss
      XCTAssertEqual(again.item, value.item, "dontcare \(dontCare)")
    }
  }

  /// With a bank, the step contrasts against the bank as it was, then enqueues its picks (all of them here).
  func testTheBankIsFedTheStepsKeysAfterwards() throws {
    let (d, h, w) = (4, 3, 3)
    let labels = Self.labels(2, h: h, w: w, classes: 3, dontCare: nil, seed: 9)
    let loss = try PixelContrastLoss(classes: 3, width: d, pixelsPerClass: 2, negatives: .batch, memoryPerClass: 50,
                                     seed: 4)
    let e = Self.embeddings([2, d, h, w], seed: 10)
    let first = try loss(embeddings: e, labels: labels, firstGlobalImage: 0, step: 1, context: local)
    let plain = try PixelContrastLoss(classes: 3, width: d, pixelsPerClass: 2, negatives: .batch, seed: 4)(
      embeddings: e, labels: labels, firstGlobalImage: 0, step: 1, context: local)
    XCTAssertEqual(first.loss.item, plain.loss.item, "an empty bank adds nothing")
    XCTAssertEqual(first.negativesPerQuery, plain.negativesPerQuery)

    let picks = loss.sampler.sample(try loss.sampler.classIds(labels, height: h, width: w), seed: 4, step: 1,
                                    firstGlobalImage: 0)
    let bank = loss.memory!.contents()
    var expected: [(label: Int, key: [Float])] = []
    for (b, own) in picks.enumerated() {
      for p in own { expected.append((p.label, (0..<d).map { e[flat: (b * d + $0) * h * w + p.position] })) }
    }
    let ordered = (0..<3).flatMap { c in expected.filter { $0.label == c } }  // by class, each in arrival order
    XCTAssertEqual(bank.labels, ordered.map(\.label))
    XCTAssertEqual(bank.keys.scalars, ordered.flatMap(\.key))

    let second = try loss(embeddings: e, labels: labels, firstGlobalImage: 0, step: 1, context: local)
    XCTAssertGreaterThan(second.negativesPerQuery, first.negativesPerQuery, "the bank's keys join the negatives")
  }

  func testExtraStateRoundTrip() throws {
    let loss = try PixelContrastLoss(classes: 3, width: 2, memoryPerClass: 2, seed: 0)
    loss.memory!.enqueue(Tensor([1, 0, 0, 1, 0.6, 0.8], [3, 2]), labels: [2, 2, 2])
    let state = loss.extraState()
    XCTAssertEqual(state.map(\.name), ["pixel_memory.keys", "pixel_memory.count", "pixel_memory.next"])
    let restored = try PixelContrastLoss(classes: 3, width: 2, memoryPerClass: 2, seed: 0)
    var dict = Dictionary(uniqueKeysWithValues: state.map { ($0.name, $0.tensor) })
    dict["fake_B_pool.count"] = Tensor(scalar: 0)  // the model's other extra state is left alone
    try restored.loadExtraState(dict)
    XCTAssertEqual(restored.memory!.contents().keys.scalars, loss.memory!.contents().keys.scalars)
    XCTAssertEqual(restored.memory!.next, [0, 0, 1])

    let none = try PixelContrastLoss(classes: 3, width: 2, seed: 0)
    XCTAssertTrue(none.extraState().isEmpty)
    XCTAssertThrowsError(try none.loadExtraState(dict)) { error in
      XCTAssertTrue("\(error)".contains("pixel_memory.keys"), "\(error)")
    }
  }

  func testBadOptionsAndLabelsAreErrorsThatNameThem() throws {
    func option(_ make: () throws -> PixelContrastLoss) -> String? {
      do { _ = try make(); return nil } catch let e as OptionError { return e.option } catch { return "\(error)" }
    }
    XCTAssertEqual(option { try PixelContrastLoss(classes: 0, seed: 0) }, "--label-nc")
    XCTAssertEqual(option { try PixelContrastLoss(classes: 3, pixelsPerClass: 0, seed: 0) }, "--pixels-per-class")
    XCTAssertEqual(option { try PixelContrastLoss(classes: 3, temperature: 0, seed: 0) }, "--pixel-T")
    XCTAssertEqual(option { try PixelContrastLoss(classes: 3, temperature: .nan, seed: 0) }, "--pixel-T")
    XCTAssertEqual(option { try PixelContrastLoss(classes: 3, memoryPerClass: -1, seed: 0) }, "--pixel-memory")
    XCTAssertEqual(option { try PixelContrastLoss(classes: 3, width: 0, seed: 0) }, "--pixel-width")

    let loss = try PixelContrastLoss(classes: 3, width: 2, dontCare: 255, seed: 0)
    let e = Self.embeddings([1, 2, 1, 2], seed: 1)
    for (bad, says) in [(Float(3), "label 3.0"), (1.5, "label 1.5"), (-1, "label -1.0")] {
      XCTAssertThrowsError(try loss(embeddings: e, labels: Tensor([0, bad], [1, 1, 1, 2]), firstGlobalImage: 0,
                                    step: 0, context: local)) { error in
        XCTAssertTrue("\(error)".contains(says) && "\(error)".contains("0..<3 or the dontcare id 255"), "\(error)")
      }
    }
  }

  /// No anchor has a positive (every class appears once): the loss is 0 with a zero gradient, not NaN.
  func testNoAnchorsGiveZero() throws {
    let e = Self.embeddings([1, 3, 1, 3], seed: 2).requiringGrad()
    let (value, perQuery) = try PixelContrastLoss(classes: 3, width: 3, negatives: .batch, seed: 0)(
      embeddings: e, labels: Tensor([0, 1, 2], [1, 1, 1, 3]), firstGlobalImage: 0, step: 0, context: local)
    XCTAssertEqual(value.item, 0)
    XCTAssertEqual(perQuery, 0)
    try value.backward()
    XCTAssertEqual(e.grad?.scalars, [Float](repeating: 0, count: 9))
  }
}

/// The loss written out anchor by anchor in Double, with the keys as lists: every anchor, positive and negative
/// spelled out, log-sum-exp per positive, and the gradient by hand. For L_ip = log(e^{s_p} + Σ_n e^{s_n}) − s_p with
/// Z = e^{s_p} + Σ_n e^{s_n}: ∂L_ip/∂a = ((e^{s_p}/Z − 1)·k_p + Σ_n (e^{s_n}/Z)·k_n)/τ, the keys held fixed.
struct NaivePixelContrast {
  struct Key { let v: [Double], label: Int, image: Int, position: Int }
  let shape: [Int], picks: [[PixelPick]], perImage: Bool, bank: [Key], tau: Double

  init(shape: [Int], picks: [[PixelPick]], perImage: Bool, bank: (keys: Tensor, labels: [Int])?, tau: Double) {
    (self.shape, self.picks, self.perImage, self.tau) = (shape, picks, perImage, tau)
    let d = shape[1]
    self.bank = bank.map { b in
      b.labels.enumerated().map { i, c in
        Key(v: (0..<d).map { Double(b.keys[flat: i * d + $0]) }, label: c, image: -1, position: -1)
      }
    } ?? []
  }

  static func values(_ t: Tensor) -> [Double] { t.scalars.map(Double.init) }

  /// The picked pixels of `e` (flat (n, D, h, w)) as keys.
  func pixels(_ e: [Double]) -> [Key] {
    let (d, hw) = (shape[1], shape[2] * shape[3])
    return picks.enumerated().flatMap { b, own in
      own.map { p in Key(v: (0..<d).map { e[(b * d + $0) * hw + p.position] }, label: p.label, image: b,
                         position: p.position) }
    }
  }

  /// The loss with the anchors read from `anchors` and the keys from `keys` (both flat (n, D, h, w)), its gradient
  /// with respect to `anchors`, the mean negatives per anchor and the number of anchors.
  func evaluate(anchors e: [Double], keys ek: [Double])
    -> (loss: Double, gradient: [Double], negativesPerQuery: Double, anchors: Int) {
    let (d, hw) = (shape[1], shape[2] * shape[3])
    let keys = pixels(ek) + bank
    var loss = 0.0, negatives = 0, grads: [(Key, [Double])] = []
    for a in pixels(e) {
      let scope = keys.filter { !perImage || $0.image == a.image || $0.image == -1 }
      let positives = scope.filter { $0.label == a.label && !($0.image == a.image && $0.position == a.position) }
      let others = scope.filter { $0.label != a.label }
      guard !positives.isEmpty && !others.isEmpty else { continue }
      func s(_ k: Key) -> Double { zip(a.v, k.v).map { $0 * $1 }.reduce(0, +) / tau }
      var term = 0.0, g = [Double](repeating: 0, count: d)
      for p in positives {
        let logits = [s(p)] + others.map(s), m = logits.max()!
        let z = logits.map { exp($0 - m) }.reduce(0, +)
        term += m + log(z) - s(p)
        for (j, k) in ([p] + others).enumerated() {
          let weight = exp(logits[j] - m) / z - (j == 0 ? 1 : 0)
          for c in 0..<d { g[c] += weight * k.v[c] / tau / Double(positives.count) }
        }
      }
      loss += term / Double(positives.count)
      negatives += others.count
      grads.append((a, g))
    }
    let count = grads.count
    var gradient = [Double](repeating: 0, count: e.count)
    for (a, g) in grads {
      for c in 0..<d { gradient[(a.image * d + c) * hw + a.position] = g[c] / Double(count) }
    }
    return (count > 0 ? loss / Double(count) : 0, gradient,
            count > 0 ? Double(negatives) / Double(count) : 0, count)
  }
}
