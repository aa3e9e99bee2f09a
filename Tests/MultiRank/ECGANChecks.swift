import Distributed
import Models
import NN
import Replicas
import Tensors

/// ECGAN across ranks: the synchronised batch norm inside SPADE is batch norm over the global batch, and a whole
/// ECGAN step (SPADEs with synchronised batch norm, the pixel contrast with global keys) on N ranks × 1 image is one
/// process × N images (batch keys).
enum ECGANChecks {
  static func run(_ checks: inout MultiRankChecks, _ context: MPIReplicaContext) {
    checks.check("SPADE with syncbatch on N ranks × 2 maps = SPADE with batch norm on 1 process × 2N") {
      try spade(context)
    }
    checks.check("ECGAN step (syncbatch SPADEs, global pixel keys) on N ranks × 1 image = 1 process × N") {
      try step(context)
    }
  }

  /// y = SPADE(x, seg) with L_r = Σ y_r·gy_r on each rank against L = Σ y·gy over the global batch: the rank's rows
  /// of y and of dL/dx, and the parameters' gradients averaged over ranks (1/N of the global ones), the running
  /// statistics after the forward.
  static func spade(_ context: MPIReplicaContext) throws -> String? {
    let (rank, size) = (context.rank, context.size)
    var rng = RandomStream(seed: 61)
    let n = 2 * size
    let x = Tensor.randn([n, 8, 8, 8], &rng) * 1.5 + 0.5, seg = Tensor.uniform([n, 5, 16, 16], low: 0, high: 1, &rng)
    let gy = Tensor.randn([n, 8, 8, 8], &rng)
    let synced = SPADE(norm: .syncbatch, channels: 8, labelNC: 5, hidden: 16)
    let plain = SPADE(norm: .batch, channels: 8, labelNC: 5, hidden: 16)
    try plain.loadStateDict(Dictionary(uniqueKeysWithValues: synced.stateDict().map { ($0.name, $0.tensor.copy()) }))
    let group = try context.register(group: "spade", parameters: synced.namedParameters().map { ($0.name, $0.tensor) })
    group.zeroGradients()
    let mine = rows(x, 2 * rank, 2).requiringGrad()
    let y = try synced(mine, rows(seg, 2 * rank, 2), context: context)
    try context.backward((y * rows(gy, 2 * rank, 2)).sum(), synchronizing: [group])

    let all = x.copy().requiringGrad()
    let yRef = try plain(all, seg, context: LocalReplicaContext())
    try (yRef * gy).sum().backward()
    if let e = compare(y.detached(), rows(yRef.detached(), 2 * rank, 2), rtol: 1e-5, atol: 1e-5, "y") { return e }
    if let e = compare(mine.grad!, rows(all.grad!, 2 * rank, 2), rtol: 1e-4, atol: 1e-5, "dx") { return e }
    for ((name, p), (_, r)) in zip(synced.namedParameters(), plain.namedParameters()) {
      if let e = compare(p.grad! * Float(size), r.grad!, rtol: 1e-4, atol: 1e-5, name) { return e }
    }
    for ((name, b), (_, r)) in zip(synced.namedBuffers(), plain.namedBuffers()) where !name.hasSuffix("num_batches_tracked") {
      if let e = compare(b, r, rtol: 1e-5, atol: 1e-6, name) { return e }
    }
    return nil
  }

  static func options(_ negatives: NegativeSource) -> ECGANOptions {
    var o = ECGANOptions()
    (o.labelNC, o.ngf, o.upBlocks, o.spadeHidden, o.headChannels, o.ndf, o.nLayersD) = (3, 4, 1, 8, [4, 4, 4], 4, 2)
    (o.spadeNorm, o.pixelsPerClass, o.pixelWidth, o.negatives, o.optimizer, o.seed) = (.syncbatch, 4, 8, negatives, .sgd, 5)
    return o
  }

  /// One SGD step on this rank's image against one process with the global batch: the losses averaged over ranks,
  /// the G, D and C gradients (averaged by the replica groups), and the SPADEs' running statistics.
  static func step(_ context: MPIReplicaContext) throws -> String? {
    let (rank, size) = (context.rank, context.size)
    var rng = RandomStream(seed: 47)
    let ids = (0..<size * 16 * 16).map { _ in Float(min(Int(rng.nextFloat() * 3), 2)) }
    let edges = (0..<size * 16 * 16).map { _ in rng.nextFloat() < 0.2 ? Float(1) : 0 }
    let whole = TrainingBatch(["label": Tensor(ids, [size, 1, 16, 16]),
                               "image": Tensor.uniform([size, 3, 16, 16], low: -1, high: 1, &rng),
                               "edge": Tensor(edges, [size, 1, 16, 16])])
    let mine = TrainingBatch(whole.fields.mapValues { rows($0, rank, 1) })
    let distributed = try ECGAN(options(.global))
    try distributed.prepare(context: context)
    let losses = try distributed.trainStep(mine, step: 3, context: context)

    let local = LocalReplicaContext()
    let single = try ECGAN(options(.batch))
    try single.prepare(context: local)
    let expected = try single.trainStep(whole, step: 3, context: local)
    if let failure = try StepComparison.check(losses: losses, expected: expected, distributed, single,
                                              networks: ["G", "D", "C"], context: context) { return failure }
    for ((name, s), (_, r)) in zip(distributed.g.namedBuffers(), single.g.namedBuffers()) where name.contains("running") {
      if let failure = compare(s, r, rtol: 1e-4, atol: 1e-6, "G.\(name)") { return failure }
    }
    return nil
  }
}
