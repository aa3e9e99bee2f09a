import Distributed
import Replicas
import Models
import NN
import Tensors

/// EnCo across ranks: the synchronised batch norm of its heads on N ranks must give the outputs, gradients and
/// running statistics of BatchNorm1d on one process holding every rank's rows; then a whole EnCo step on N ranks ×
/// 1 image must equal one process with the N images (losses and the G, D and F gradients).
enum EnCoChecks {
  static let (rowsPerRank, channels) = (5, 4)

  static func run(_ checks: inout MultiRankChecks, _ context: MPIReplicaContext) {
    for affine in [true, false] {
      checks.check("synchronised batch norm (affine \(affine)) on N ranks = BatchNorm1d on 1 process") {
        try synchronizedBatchNorm(affine: affine, context)
      }
    }
    for (loss, negatives, reference) in [(EnCoLossKind.nce, NegativeSource.global, NegativeSource.batch),
                                         (.nce, .image, .image), (.byol, .image, .image)] {
      checks.check("EnCo step (\(loss), \(negatives) negatives) on N ranks × 1 image = 1 process × N") {
        try EnCoStepCheck.run(loss: loss, negatives, reference: reference, context)
      }
    }
  }

  /// y = BN(x) with L_r = Σ y_r·gy_r on each rank against L = Σ y·gy on the whole batch: the rank's rows of y and of
  /// dL/dx must be the reference's (the gather sends every rank's share back), and the averaged dγ, dβ 1/N of it.
  static func synchronizedBatchNorm(affine: Bool, _ context: MPIReplicaContext) throws -> String? {
    let (rank, size) = (context.rank, context.size)
    var rng = RandomStream(seed: 51)
    let n = rowsPerRank * size
    let x = Tensor.randn([n, channels], &rng) * Tensor.uniform([channels], low: 0.2, high: 3, &rng) + 1.5
    let gy = Tensor.randn([n, channels], &rng)
    let gamma = Tensor.uniform([channels], low: 0.5, high: 1.5, &rng), beta = Tensor.randn([channels], &rng)

    let synced = SynchronizedBatchNorm1d(channels, affine: affine)
    if affine { synced.weight!.assign(gamma); synced.bias!.assign(beta) }
    let group = affine ? try context.register(group: "sync-bn",
                                              parameters: synced.namedParameters().map { ($0.name, $0.tensor) }) : nil
    group?.zeroGradients()
    let mine = rows(x, rowsPerRank * rank, rowsPerRank).requiringGrad()
    let y = try synced(mine, context: context)
    let loss = (y * rows(gy, rowsPerRank * rank, rowsPerRank)).sum()
    if let group { try context.backward(loss, synchronizing: [group]) } else { try loss.backward() }

    let plain = BatchNorm1d(channels, affine: affine)
    if affine { plain.weight!.assign(gamma); plain.bias!.assign(beta) }
    let all = x.copy().requiringGrad()
    let yRef = plain(all)
    try (yRef * gy).sum().backward()
    let start = rowsPerRank * rank
    if let e = compare(y.detached(), rows(yRef.detached(), start, rowsPerRank), rtol: 1e-5, atol: 1e-5, "y") { return e }
    if let e = compare(mine.grad!, rows(all.grad!, start, rowsPerRank), rtol: 1e-4, atol: 1e-5, "dx") { return e }
    if affine {
      for (p, r) in [(synced.weight!, plain.weight!), (synced.bias!, plain.bias!)] {
        if let e = compare(p.grad! * Float(size), r.grad!, rtol: 1e-4, atol: 1e-5, "dγ, dβ") { return e }
      }
    }
    if let e = compare(synced.runningMean, plain.runningMean!, rtol: 1e-5, atol: 1e-6, "running_mean") { return e }
    return compare(synced.runningVar, plain.runningVar!, rtol: 1e-5, atol: 1e-6, "running_var")
  }
}

/// One EnCo step (tiny networks, mirroring on, identity branch on) on this rank's image against one process with
/// the global batch: losses averaged over ranks, the G, D and F gradients, and F's batch-norm statistics.
enum EnCoStepCheck {
  static func options(_ loss: EnCoLossKind, _ negatives: NegativeSource) -> EnCoOptions {
    var o = EnCoOptions()
    (o.ngf, o.ndf, o.numPatches, o.seed, o.loss, o.negatives) = (4, 4, 8, 5, loss, negatives)
    return o
  }

  static func model(_ o: EnCoOptions, _ batch: TrainingBatch, _ context: ReplicaContext) throws -> EnCo {
    let m = try EnCo(o)
    try m.dataDependentInitialize(batch, context: context)
    try m.prepare(context: context)
    return m
  }

  static func run(loss: EnCoLossKind, _ negatives: NegativeSource, reference: NegativeSource,
                  _ context: MPIReplicaContext) throws -> String? {
    let (rank, size) = (context.rank, context.size)
    var rng = RandomStream(seed: 43)
    let a = Tensor.uniform([size, 3, 32, 32], low: -1, high: 1, &rng)
    let b = Tensor.uniform([size, 3, 32, 32], low: -1, high: 1, &rng)
    let mine = TrainingBatch(a: rows(a, rank, 1), b: rows(b, rank, 1))
    let distributed = try model(options(loss, negatives), mine, context)
    let losses = try distributed.trainStep(mine, step: 2, context: context)

    let local = LocalReplicaContext(), whole = TrainingBatch(a: a, b: b)
    let single = try model(options(loss, reference), whole, local)
    let expected = try single.trainStep(whole, step: 2, context: local)
    if let failure = try StepComparison.check(losses: losses, expected: expected, distributed, single,
                                              networks: ["G", "D", "F"], context: context) { return failure }
    for ((name, s), (_, r)) in zip(distributed.f.namedBuffers(), single.f.namedBuffers()) {
      if let failure = compare(s, r, rtol: 1e-4, atol: 1e-6, "F.\(name)") { return failure }
    }
    return nil
  }
}
