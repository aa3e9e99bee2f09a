import XCTest
import Replicas
import Foundation
import Models
import Tensors
import TestSupport

/// PatchNCE (spec §3.6) against PyTorch, by finite differences, and across the three sources of negatives.
final class PatchNCETests: XCTestCase {
  let local = LocalReplicaContext()

  /// The fixtures hold raw q and k (normalised inside, as PatchSampleF's output is) and d loss / d raw q.
  func checkFixture(_ name: String, _ negatives: NegativeSource) throws {
    let f = try Fixture(name)
    XCTAssertEqual(f.metadata["tau"], "0.07")
    let images = Int(f.metadata["batch"]!)!
    let q = f.leaf("q"), k = f.leaf("k")
    let loss = try PatchNCELoss(temperature: 0.07, negatives: negatives)(
      query: l2Normalize(q, axis: 1), key: l2Normalize(k, axis: 1), images: images, context: local)
    assertCloseForward(loss, f["y"], "\(name) loss")
    try loss.backward()
    assertCloseGradient(q.grad, f["gq"], "\(name) gq")
    XCTAssertNil(k.grad, "\(name): the keys are detached")
  }

  func testPerImageNegativesMatchPyTorch() throws { try checkFixture("patchnce", .image) }

  func testBatchNegativesMatchPyTorch() throws { try checkFixture("patchnce_batch_negatives", .batch) }

  func testGradientOfTheQueriesByFiniteDifferences() throws {
    var rng = RandomStream(seed: 21)
    let q = Tensor.randn([6, 4], &rng), k = l2Normalize(Tensor.randn([6, 4], &rng), axis: 1)
    for negatives in NegativeSource.allCases {
      let loss = PatchNCELoss(temperature: 0.5, negatives: negatives)
      try gradCheck("patchnce \(negatives)", [q], eps: 1e-3) { x in
        try loss(query: l2Normalize(x[0], axis: 1), key: k, images: 2, context: local)
      }
    }
  }

  /// Two rows, written out: logits [⟨q₀,k₀⟩, −10, ⟨q₀,k₁⟩]/τ and [⟨q₁,k₁⟩, ⟨q₁,k₀⟩, −10]/τ for batch negatives.
  func testLogitsByHand() throws {
    let q = Tensor([0.6, 0.8, 1, 0], [2, 2]), k = Tensor([0, 1, 0.8, 0.6], [2, 2])
    let tau: Float = 0.5
    func ce(_ logits: [Float]) -> Double {
      let z = logits.map { Double($0 / tau) }
      return log(z.map(exp).reduce(0, +)) - z[0]
    }
    let batch = try PatchNCELoss(temperature: tau, negatives: .batch)(query: q, key: k, images: 1, context: local)
    XCTAssertEqual(Double(batch.item), (ce([0.8, -10, 0.96]) + ce([0.8, 0, -10])) / 2, accuracy: 1e-5)
    let image = try PatchNCELoss(temperature: tau, negatives: .image)(query: q, key: k, images: 2, context: local)
    XCTAssertEqual(Double(image.item), (ce([0.8, -10]) + ce([0.8, -10])) / 2, accuracy: 1e-5)
  }

  /// Rows 0 and 2 of image 0 sit at the same position (DAG drew it twice): each is masked out of the other's
  /// negatives like its own key; image 1's rows, at other positions, keep theirs.
  func testARepeatedPositionIsNotANegative() throws {
    let q = Tensor([0.6, 0.8, 1, 0, 0, 1, 0.8, 0.6, 0.6, 0.8, 1, 0], [6, 2])
    let k = Tensor([0, 1, 0.8, 0.6, 1, 0, 0.6, 0.8, 0, 1, 0.8, 0.6], [6, 2])
    let tau: Float = 0.5
    func ce(_ logits: [Float]) -> Double {
      let z = logits.map { Double($0 / tau) }
      return log(z.map(exp).reduce(0, +)) - z[0]
    }
    func dot(_ i: Int, _ j: Int) -> Float { q[flat: 2 * i] * k[flat: 2 * j] + q[flat: 2 * i + 1] * k[flat: 2 * j + 1] }
    let positions = [[5, 9, 5], [1, 2, 3]]
    for negatives in [NegativeSource.image, .batch] {
      let loss = try PatchNCELoss(temperature: tau, negatives: negatives)(query: q, key: k, images: 2, context: local,
                                                                           positions: positions)
      var expected = 0.0
      for i in 0..<6 {
        let image = i / 3
        let keys = negatives == .image ? Array((3 * image)..<(3 * image + 3)) : Array(0..<6)
        let row = keys.map { j -> Float in
          j == i || (j / 3 == image && positions[image][j % 3] == positions[image][i % 3]) ? -10 : dot(i, j)
        }
        expected += ce([dot(i, i)] + row)
      }
      XCTAssertEqual(Double(loss.item), expected / 6, accuracy: 1e-5, "\(negatives)")
    }
  }

  func testGlobalOnOneProcessEqualsBatch() throws {
    var rng = RandomStream(seed: 22)
    let q0 = l2Normalize(Tensor.randn([8, 5], &rng), axis: 1), k = l2Normalize(Tensor.randn([8, 5], &rng), axis: 1)
    let (qb, qg) = (q0.copy().requiringGrad(), q0.copy().requiringGrad())
    let batch = try PatchNCELoss(negatives: .batch)(query: qb, key: k, images: 2, context: local)
    let global = try PatchNCELoss(negatives: .global)(query: qg, key: k, images: 2, context: local)
    XCTAssertEqual(global.item, batch.item)
    try batch.backward(); try global.backward()
    XCTAssertEqual(qg.grad!.scalars, qb.grad!.scalars)
  }

  /// Rank r of a 2-rank world (a stub gather) masks its own positive at global row r·M + i: the mean of the two
  /// ranks' losses is the batch loss over the 2M rows, and each rank's query gradient is half the global one.
  func testGlobalMasksTheOwnKeyAtItsGlobalRow() throws {
    var rng = RandomStream(seed: 23)
    let q = l2Normalize(Tensor.randn([6, 4], &rng), axis: 1), k = l2Normalize(Tensor.randn([6, 4], &rng), axis: 1)
    let all = q.copy().requiringGrad()
    let batch = try PatchNCELoss(negatives: .batch)(query: all, key: k, images: 2, context: local)
    try batch.backward()
    var mean: Float = 0
    for rank in 0..<2 {
      let stub = GatherStub(rank: rank, size: 2, everyone: k)
      let mine = q.narrow(axis: 0, start: 3 * rank, length: 3).copy().requiringGrad()
      let loss = try PatchNCELoss(negatives: .global)(query: mine, key: k.narrow(axis: 0, start: 3 * rank, length: 3),
                                                      images: 1, context: stub)
      try loss.backward()
      mean += loss.item / 2
      assertClose(mine.grad! * 0.5, all.grad!.narrow(axis: 0, start: 3 * rank, length: 3), rtol: 1e-5, atol: 1e-7,
                  "rank \(rank) gq")
    }
    XCTAssertEqual(mean, batch.item, accuracy: 1e-6)
    XCTAssertEqual(PatchNCELoss(negatives: .global).negativesPerQuery(images: 1, patches: 3, worldSize: 2), 5)
    XCTAssertEqual(PatchNCELoss(negatives: .batch).negativesPerQuery(images: 2, patches: 3, worldSize: 2), 5)
    XCTAssertEqual(PatchNCELoss(negatives: .image).negativesPerQuery(images: 2, patches: 3, worldSize: 2), 2)
  }

  func testGlobalNeedsTheSameRowsOnEveryRank() {
    let stub = GatherStub(rank: 0, size: 2, everyone: Tensor(zeros: [5, 2]))
    XCTAssertThrowsError(try PatchNCELoss(negatives: .global)(query: Tensor(zeros: [2, 2]), key: Tensor(zeros: [2, 2]),
                                                             images: 1, context: stub)) {
      XCTAssertTrue("\($0)".hasPrefix("--negatives"), "\($0)")
    }
  }
}

/// A context of `size` ranks seen from `rank` whose detached gather returns a fixed global tensor.
final class GatherStub: ReplicaContext {
  let rank: Int, size: Int
  let everyone: Tensor
  init(rank: Int, size: Int, everyone: Tensor) { (self.rank, self.size, self.everyone) = (rank, size, everyone) }

  func allGatherDetached(_ x: Tensor) throws -> Tensor { everyone.detached() }
  func register(group: String, parameters: [(String, Tensor)]) throws -> GradientGroup { unused() }
  func synchronize(_ groups: [GradientGroup]) throws { unused() }
  func backward(_ loss: Tensor, synchronizing groups: [GradientGroup]) throws { unused() }
  func allGather(_ x: Tensor) throws -> Tensor { unused() }
  func broadcastFromRoot(_ tensors: [(String, Tensor)]) throws { unused() }
  func broadcastBytesFromRoot(_ data: Data) throws -> Data { unused() }
  func allGatherBytes(_ data: Data) throws -> [Data] { unused() }
  func barrier() throws { unused() }
  func meanOverRanks(_ values: [Double]) throws -> [Double] { unused() }
  func checkReplicasAgree(_ tensors: [(String, Tensor)]) throws { unused() }
  private func unused() -> Never { preconditionFailure("GatherStub: only the detached gather is implemented") }
}
