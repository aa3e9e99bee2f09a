import Distributed
import Replicas
import Tensors

/// InfoNCE with cross-rank negatives: queries q = normalise(x·W), keys k = normalise(y·W) gathered from every rank
/// (with gradient), logits q·kᵀ/τ, the positive of local row i at global row offset + i.
enum AllGatherChecks {
  static let tau: Float = 0.1

  static func infoNCE(_ x: Tensor, _ y: Tensor, _ w: Tensor, gather: (Tensor) throws -> Tensor, offset: Int) throws -> Tensor {
    let q = l2Normalize(matmul(x, w), axis: 1)
    let k = try gather(l2Normalize(matmul(y, w), axis: 1))
    let logits = matmul(q, k, transposeB: true) / tau
    return crossEntropy(logits, targets: (0..<x.shape[0]).map { offset + $0 })
  }

  static func run(_ checks: inout MultiRankChecks, _ context: MPIReplicaContext) {
    let (rank, size) = (context.rank, context.size)
    checks.check("gradient through the differentiable all-gather equals the global-batch gradient") {
      let b = 3
      var rng = RandomStream(seed: 11)
      let w0 = Tensor.randn([5, 4], &rng)
      let x = Tensor.randn([b * size, 5], &rng), y = Tensor.randn([b * size, 5], &rng)
      let w = w0.copy().requiringGrad()
      let group = try context.register(group: "nce", parameters: [("w", w)])
      group.zeroGradients()
      let local = try infoNCE(rows(x, b * rank, b), rows(y, b * rank, b), w, gather: context.allGather, offset: b * rank)
      try local.backward()
      try context.synchronize([group])
      let wRef = w0.copy().requiringGrad()
      let global = try infoNCE(x, y, wRef, gather: { $0 }, offset: 0)
      try global.backward()
      let lossMean = try context.meanOverRanks([Double(local.item)])[0]
      if let e = compare(Tensor(scalar: Float(lossMean)), Tensor(scalar: global.item), rtol: 1e-5, "loss") { return e }
      return compare(w.grad!, wRef.grad!, rtol: 1e-5, atol: 1e-7, "dW")
    }
    checks.check("detached all-gather concatenates rows in rank order") {
      let mine = Tensor([Float](repeating: Float(rank), count: 2 * (rank + 1)), [rank + 1, 2])
      let all = try context.allGatherDetached(mine)
      let expected = (0..<size).flatMap { r in [Float](repeating: Float(r), count: 2 * (r + 1)) }
      return all.scalars == expected && !all.requiresGrad ? nil : "got \(all)"
    }
    checks.check("all-gather with a rank that sends no rows") {
      let mine = Tensor([Float](repeating: Float(rank), count: 3 * (rank % 2)), [rank % 2, 3])
      let all = try context.allGatherDetached(mine)
      let odd = (0..<size).filter { $0 % 2 == 1 }
      guard all.shape == [odd.count, 3], all.scalars == odd.flatMap({ [Float](repeating: Float($0), count: 3) }) else {
        return "got \(all)"
      }
      let x = mine.requiringGrad()
      try (try context.allGather(x) * 2).sum().backward()
      return x.grad!.shape == [rank % 2, 3] && x.grad!.scalars.allSatisfy({ $0 == 2 * Float(size) }) ? nil
        : "gradient \(x.grad!)"
    }
  }
}
