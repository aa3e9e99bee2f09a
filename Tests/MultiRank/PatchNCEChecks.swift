import Distributed
import Replicas
import Models
import NN
import Tensors

/// PatchNCE across ranks: `--negatives global` on N ranks, each holding its slice of a global batch, must give the
/// loss and gradients of one process holding the whole batch with `--negatives batch` (and per-image negatives
/// must not depend on the split at all). Then the same for a whole CUT step.
enum PatchNCEChecks {
  static let (imagesPerRank, patches) = (2, 6)

  /// F (one head, width 8) over feature maps xq (queries, a leaf) and xk (keys) → (PatchNCE loss, F).
  static func loss(_ xq: Tensor, _ xk: Tensor, images: Int, _ negatives: NegativeSource,
                   context: ReplicaContext) throws -> (Tensor, PatchSampleF) {
    let f = PatchSampleF(.mlpSample, width: 8)
    f.build(channels: [xq.shape[1]], .normal, gain: 0.5, seed: 3)
    let ids = PatchSampleF.patchIds(for: [xk], numPatches: patches, seed: 3, key: [9])
    let keys = noGrad { f([xk], patchIds: ids)[0] }
    let loss = try PatchNCELoss(temperature: 0.07, negatives: negatives)(
      query: f([xq], patchIds: ids)[0], key: keys, images: images, context: context)
    return (loss, f)
  }

  static func run(_ checks: inout MultiRankChecks, _ context: MPIReplicaContext) {
    let (rank, size) = (context.rank, context.size)
    for (distributed, reference) in [(NegativeSource.global, NegativeSource.batch), (.image, .image)] {
      checks.check("PatchNCE: \(distributed) negatives on N ranks × 2 images = \(reference) on 1 process × 2N") {
        var rng = RandomStream(seed: 31)
        let n = imagesPerRank * size
        let xq = Tensor.randn([n, 3, 4, 5], &rng), xk = Tensor.randn([n, 3, 4, 5], &rng)
        let mine = rows(xq, imagesPerRank * rank, imagesPerRank).requiringGrad()
        let (local, f) = try loss(mine, rows(xk, imagesPerRank * rank, imagesPerRank), images: imagesPerRank,
                                  distributed, context: context)
        let group = try context.register(group: "patchnce-\(distributed)",
                                         parameters: f.namedParameters().map { ($0.name, $0.tensor) })
        group.zeroGradients()
        try context.backward(local, synchronizing: [group])

        let all = xq.copy().requiringGrad()
        let (global, fRef) = try loss(all, xk, images: n, reference, context: LocalReplicaContext())
        try global.backward()
        let mean = try context.meanOverRanks([Double(local.item)])[0]
        if let e = compare(Tensor(scalar: Float(mean)), Tensor(scalar: global.item), rtol: 1e-5, "loss") { return e }
        // The global loss is the mean of the N local ones, so a rank's own input gradient is N times its slice.
        let slice = rows(all.grad!, imagesPerRank * rank, imagesPerRank)
        if let e = compare(mine.grad! / Float(size), slice, rtol: 1e-5, atol: 1e-7, "d loss / d queries") { return e }
        for ((name, p), (_, r)) in zip(f.namedParameters(), fRef.namedParameters()) {
          if let e = compare(p.grad!, r.grad!, rtol: 1e-5, atol: 1e-7, name) { return e }
        }
        return nil
      }
    }
    checks.check("CUT step: global negatives on N ranks × 1 image = batch negatives on 1 process × N") {
      try CUTStepCheck.run(context)
    }
  }
}

/// One CUT step (tiny networks) on this rank's image against one process with the global batch: losses averaged
/// over ranks and the G, D and F gradients of the step must agree.
enum CUTStepCheck {
  static func options(_ negatives: NegativeSource) -> CUTOptions {
    var o = CUTOptions()
    (o.ngf, o.ndf, o.netG, o.numPatches, o.seed, o.negatives) = (4, 4, .resnet6Blocks, 16, 5, negatives)
    return o
  }

  static func model(_ o: CUTOptions, _ batch: TrainingBatch, _ context: ReplicaContext) throws -> CUT {
    let m = try CUT(o)
    try m.dataDependentInitialize(batch, context: context)
    try m.prepare(context: context)
    return m
  }

  static func run(_ context: MPIReplicaContext) throws -> String? {
    let (rank, size) = (context.rank, context.size)
    var rng = RandomStream(seed: 41)
    let a = Tensor.uniform([size, 3, 32, 32], low: -1, high: 1, &rng)
    let b = Tensor.uniform([size, 3, 32, 32], low: -1, high: 1, &rng)
    let mine = TrainingBatch(a: rows(a, rank, 1), b: rows(b, rank, 1))
    let distributed = try model(options(.global), mine, context)
    let losses = try distributed.trainStep(mine, step: 3, context: context)

    let local = LocalReplicaContext(), whole = TrainingBatch(a: a, b: b)
    let reference = try model(options(.batch), whole, local)
    let expected = try reference.trainStep(whole, step: 3, context: local)
    return try StepComparison.check(losses: losses, expected: expected, distributed, reference, networks: ["G", "D", "F"],
                                    context: context)
  }
}
