import Distributed
import Replicas
import Tensors

/// A small convolutional model: conv 3→4 (3×3, pad 1), ReLU, conv 4→2 (3×3, pad 1), MSE against a target.
struct SmallConvModel {
  let parameters: [(String, Tensor)]

  init(seed: UInt64) {
    var rng = RandomStream(seed: seed, key: [1])
    parameters = [("conv1.weight", Tensor.randn([4, 3, 3, 3], &rng) * 0.3), ("conv1.bias", Tensor.randn([4], &rng) * 0.1),
                  ("conv2.weight", Tensor.randn([2, 4, 3, 3], &rng) * 0.3), ("conv2.bias", Tensor.randn([2], &rng) * 0.1)]
      .map { ($0.0, $0.1.requiringGrad()) }
  }

  /// Fresh leaves with the same values (for an independent reference computation).
  func clone() -> SmallConvModel { SmallConvModel(parameters.map { ($0.0, $0.1.copy().requiringGrad()) }) }
  private init(_ p: [(String, Tensor)]) { parameters = p }

  func loss(_ x: Tensor, _ target: Tensor) -> Tensor {
    let p = parameters.map(\.1)
    let h = relu(conv2d(x, p[0], p[1], stride: 1, padding: 1))
    return mseLoss(conv2d(h, p[2], p[3], stride: 1, padding: 1), target)
  }

  /// The global batch every rank can regenerate: `n` images and targets.
  static func batch(_ n: Int, seed: UInt64) -> (Tensor, Tensor) {
    var rng = RandomStream(seed: seed, key: [2])
    return (Tensor.randn([n, 3, 6, 5], &rng), Tensor.randn([n, 2, 6, 5], &rng))
  }
}

enum GradientChecks {
  static func run(_ checks: inout MultiRankChecks, _ context: MPIReplicaContext) {
    let (rank, size) = (context.rank, context.size)
    for overlapped in [false, true] {
      checks.check("N ranks × batch 2 give the gradient of 1 rank × batch 2N\(overlapped ? " (overlapped with backward)" : "")") {
        let model = SmallConvModel(seed: 100 + UInt64(rank))  // different on purpose: the broadcast must fix it
        try context.broadcastFromRoot(model.parameters)
        let group = try context.register(group: "small", parameters: model.parameters)
        group.zeroGradients()
        let reference = model.clone()
        let (x, t) = SmallConvModel.batch(2 * size, seed: 7)
        let local = model.loss(rows(x, 2 * rank, 2), rows(t, 2 * rank, 2))
        if overlapped { try context.backward(local, synchronizing: [group]) } else {
          try local.backward()
          try context.synchronize([group])
        }
        try reference.loss(x, t).backward()
        for ((name, p), (_, r)) in zip(model.parameters, reference.parameters) {
          if let e = compare(p.grad!, r.grad!, rtol: 1e-5, atol: 1e-7, name) { return e }
        }
        return nil
      }
    }
    for order in [["conv1", "conv2"], ["conv2", "conv1"]] {
      checks.check("one backward overlapping two groups (\(order.joined(separator: ", "))) = 1 rank × batch 2N") {
        let model = SmallConvModel(seed: 200)
        let groups = try order.map { layer in
          try context.register(group: layer, parameters: model.parameters.filter { $0.0.hasPrefix(layer + ".") })
        }
        for g in groups { g.zeroGradients() }
        let reference = model.clone()
        let (x, t) = SmallConvModel.batch(2 * size, seed: 8)
        try context.backward(model.loss(rows(x, 2 * rank, 2), rows(t, 2 * rank, 2)), synchronizing: groups)
        try reference.loss(x, t).backward()
        for ((name, p), (_, r)) in zip(model.parameters, reference.parameters) {
          if let e = compare(p.grad!, r.grad!, rtol: 1e-5, atol: 1e-7, name) { return e }
        }
        return nil
      }
    }
    checks.check("a group handle this context did not issue is refused on every rank, before any collective") {
      let model = SmallConvModel(seed: 300)
      let own = try context.register(group: "own", parameters: model.parameters)
      let otherMPI = MPIReplicaContext(context.communicator, bucketCapBytes: 256)
      let foreign = [try otherMPI.register(group: "own", parameters: model.clone().parameters),
                     try LocalReplicaContext().register(group: "own", parameters: model.clone().parameters)]
      own.zeroGradients()
      let (x, t) = SmallConvModel.batch(2 * size, seed: 9)
      for handle in foreign {
        do {
          try context.backward(model.loss(rows(x, 2 * rank, 2), rows(t, 2 * rank, 2)), synchronizing: [own, handle])
          return "backward accepted a handle from another context"
        } catch let e as GradientGroupError where e == .notRegistered(group: "own") {}
        do { try context.synchronize([handle]); return "synchronize accepted a handle from another context" }
        catch let e as GradientGroupError where e == .notRegistered(group: "own") {}
      }
      if let touched = model.parameters.first(where: { $0.1.grad!.scalars.contains { $0 != 0 } }) {
        return "a refused backward changed the gradient of \(touched.0)"
      }
      let replaced = try context.register(group: "own", parameters: model.parameters)
      do { try context.synchronize([own]); return "synchronize accepted a replaced handle" }
      catch let e as GradientGroupError where e == .replaced(group: "own") {}
      try context.synchronize([replaced])
      return nil
    }
    checks.check("bucket layouts that differ between ranks are an error, not a hang") {
      let names = rank == 0 ? ["a", "b"] : ["a", "c"]
      let params = names.map { ($0, Tensor(zeros: [3]).requiringGrad()) }
      do { _ = try context.register(group: "mismatch", parameters: params) } catch is BucketLayoutMismatch {
        return nil
      }
      return size == 1 ? nil : "register accepted different layouts"
    }
    checks.check("replica check names the first tensor that differs") {
      let same = Tensor([1, 2, 3], [3]), differs = Tensor([Float(rank), 0], [2])
      try context.checkReplicasAgree([("same", same)])
      do { try context.checkReplicasAgree([("same", same), ("differs", differs)]) } catch let e as ReplicaDivergence {
        return e.tensor == "differs" ? nil : "named \(e.tensor)"
      }
      return size == 1 ? nil : "no divergence reported"
    }
    checks.check("two trainings with the same seed end bit-identical (and identical on every rank)") {
      let a = try SmallModelTraining.checksumAfterTraining(context: context, steps: 3)
      let b = try SmallModelTraining.checksumAfterTraining(context: context, steps: 3)
      return a == b ? nil : "\(a) vs \(b)"
    }
  }
}

/// A few SGD steps of the small model on this rank's shard, for determinism checks.
enum SmallModelTraining {
  static func checksumAfterTraining(context: MPIReplicaContext, steps: Int) throws -> String {
    let model = SmallConvModel(seed: 42)
    let group = try context.register(group: "train", parameters: model.parameters)
    let (rank, size) = (context.rank, context.size)
    for step in 0..<steps {
      group.zeroGradients()
      let (x, t) = SmallConvModel.batch(2 * size, seed: 1000 + UInt64(step))
      try context.backward(model.loss(rows(x, 2 * rank, 2), rows(t, 2 * rank, 2)), synchronizing: [group])
      for (_, p) in model.parameters {
        let w = p.storage.base, g = p.grad!.storage.base
        for i in 0..<p.count { w[i] -= 0.1 * g[i] }
        p.storage.markModified()
      }
    }
    try context.checkReplicasAgree(model.parameters)
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for (_, p) in model.parameters { for i in 0..<p.count { h = (h ^ UInt64(p[flat: i].bitPattern)) &* 0x100_0000_01b3 } }
    return "checksum=\(String(h, radix: 16))"
  }
}
