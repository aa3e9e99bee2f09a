import Distributed
import Replicas
import Models
import NN
import Tensors

/// ECGAN's pixel contrastive loss across ranks (spec §2.6, §2.10): `--negatives global` on N ranks, each holding its
/// slice of a global batch, must give the loss and gradients of one process holding the whole batch with `batch`
/// (and `image` must not depend on the split), step after step with a memory bank that must end the same on every
/// rank and the same as the single process's.
enum PixelContrastChecks {
  static let (imagesPerRank, channels, width, h, w, classes, dontCare) = (2, 3, 6, 4, 4, 4, 9)

  /// n images of ids at 2h × 2w: class regions, 20% noise, a dontcare corner; a different layout per step. At step 1
  /// rank 0's images are all dontcare: it has no pixel to contrast and sends no keys.
  static func labels(_ n: Int, step: Int) -> Tensor {
    var rng = RandomStream(seed: 61, key: [UInt64(step)])
    let t = Tensor(zeros: [n, 1, 2 * h, 2 * w])
    for b in 0..<n {
      for y in 0..<(2 * h) {
        for x in 0..<(2 * w) {
          var id = (y / h + x * 3 / (2 * w) + b) % classes
          if rng.nextFloat() < 0.2 { id = rng.nextInt(below: classes) }
          if (y < 2 && x < 2 && b % 2 == 0) || (step == 1 && b < imagesPerRank) { id = dontCare }
          t[flat: (b * 2 * h + y) * 2 * w + x] = Float(id)
        }
      }
    }
    return t
  }

  static func contrast(_ negatives: NegativeSource) throws -> PixelContrastLoss {
    try PixelContrastLoss(classes: classes, width: width, pixelsPerClass: 3, temperature: 0.1, negatives: negatives,
                          dontCare: dontCare, memoryPerClass: 20, seed: 7)
  }

  static func largest(_ t: Tensor) -> Float { t.scalars.map(abs).max() ?? 0 }

  static func run(_ checks: inout MultiRankChecks, _ context: MPIReplicaContext) {
    let (rank, size) = (context.rank, context.size)
    for (distributed, reference) in [(NegativeSource.global, NegativeSource.batch), (.image, .image), (.batch, nil)] {
      let name = reference.map { "= \($0) on 1 process × 2N" } ?? "(memory bank only)"
      checks.check("pixel contrast: \(distributed) on N ranks × 2 images \(name), 3 steps with a memory bank") {
        let head = PixelProjectionHead(inputChannels: channels, width: width, seed: 5)
        let refHead = PixelProjectionHead(inputChannels: channels, width: width, seed: 5)
        let loss = try contrast(distributed), refLoss = try contrast(reference ?? .batch)
        let group = try context.register(group: "pixel-contrast-\(distributed)",
                                         parameters: head.namedParameters().map { ($0.name, $0.tensor) })
        let local = LocalReplicaContext(), n = imagesPerRank * size
        for step in 0..<3 {
          var rng = RandomStream(seed: 71, key: [UInt64(step)])
          let features = Tensor.randn([n, channels, h, w], &rng), labels = Self.labels(n, step: step)
          let mine = rows(features, imagesPerRank * rank, imagesPerRank).requiringGrad()
          group.zeroGradients()
          let (value, perQuery) = try loss(embeddings: head(mine), labels: rows(labels, imagesPerRank * rank, imagesPerRank),
                                           firstGlobalImage: imagesPerRank * rank, step: step, context: context)
          try context.backward(value, synchronizing: [group])

          let all = features.copy().requiringGrad()
          refHead.zeroGrad()
          let (refValue, refPerQuery) = try refLoss(embeddings: refHead(all), labels: labels, firstGlobalImage: 0,
                                                    step: step, context: local)
          try refValue.backward()
          // The bank holds the same keys whatever the negatives, so every pairing checks it.
          try context.checkReplicasAgree(loss.extraState())
          for ((key, t), (_, r)) in zip(loss.extraState(), refLoss.extraState()) {
            if let e = compare(t, r, rtol: 1e-5, atol: 1e-6, "step \(step): \(key)") { return e }
          }
          guard reference != nil else { continue }

          let mean = try context.meanOverRanks([Double(value.item)])[0]
          if let e = compare(Tensor(scalar: Float(mean)), Tensor(scalar: refValue.item), rtol: 1e-5, "step \(step): loss") {
            return e
          }
          if perQuery != refPerQuery { return "step \(step): \(perQuery) negatives per query, expected \(refPerQuery)" }
          // The single-process loss is the mean of the N rank losses, so a rank's own input gradient is N times its
          // slice of the single-process one. NOTE: a gradient entry is a sum over keys of terms as large as the
          // largest entry, which GEMMs of another shape (fewer anchors, fewer keys) add in another order, so a small
          // entry is exact to a few ulp of that scale, not of itself (worst seen: 3e-6 of the largest). Entries are
          // held to rtol 1e-5 and, where cancellation made them small, to 1e-5 of the tensor's largest.
          let slice = rows(all.grad!, imagesPerRank * rank, imagesPerRank)
          if let e = compare(mine.grad! / Float(size), slice, rtol: 1e-5, atol: 1e-5 * largest(slice),
                             "step \(step): d loss / d features") { return e }
          for ((p, t), (_, r)) in zip(head.namedParameters(), refHead.namedParameters()) {
            if let e = compare(t.grad!, r.grad!, rtol: 1e-5, atol: 1e-5 * largest(r.grad!), "step \(step): \(p)") {
              return e
            }
          }
        }
        return nil
      }
    }
  }
}
