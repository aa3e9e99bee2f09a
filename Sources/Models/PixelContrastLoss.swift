import Replicas
import NN
import Tensors

/// ECGAN's cross-layout pixel contrastive loss (spec §2.6; the paper has no code, so this is its suggested form, the
/// supervised pixel InfoNCE of Wang et al. 2021): pixel embeddings of one class should be closer to each other than
/// to other classes', across the layouts of the batch.
///
/// `PixelSampler` picks up to K pixels per present class per image; each picked pixel is an anchor i with class c,
/// and the keys are the picked pixels (and the memory bank, if any), detached. With s_ij = ⟨e_i, k_j⟩ / τ,
///
///     P_i = keys of class c, i itself excluded,   N_i = keys of other classes
///     L_i = (1/|P_i|) Σ_{p∈P_i} −log( exp s_ip / (exp s_ip + Σ_{n∈N_i} exp s_in) )
///         = (1/|P_i|) Σ_{p∈P_i} softplus( log Σ_{n∈N_i} exp s_in − s_ip )
///
/// Keys come from `image`: the anchor's own image; `batch`: this rank's batch; `global`: the global batch, every
/// rank's picks gathered; the memory bank adds to all three. An anchor without a positive or without a negative is
/// skipped (its L_i is undefined or identically 0): it is not counted among the anchors.
///
/// Normalisation: with A the anchors of the global batch and N ranks, this rank's loss is (N / A)·Σ_{its anchors} L_i,
/// so the mean over ranks of the losses, and the mean of their gradients (what the context's gradient averaging
/// computes), is the single-process mean over the global batch's anchors, (1/A)·Σ_i L_i: every anchor weighs the
/// same whatever rank holds it. On one process it is the plain mean. For `global`, A is known from the gathered labels;
/// for `image` and `batch` it costs one scalar all-reduce.
///
/// Gradient convention: keys are constants in every mode (in `batch` too, where a key is also an anchor), so the
/// gradient reaches each pixel through its role as an anchor only. That is what the gathered keys of `global` must be
/// (they live on other ranks) and what the bank's keys are, so every key is treated alike, and `global` on N ranks
/// equals `batch` on one process holding the global batch without a backward collective. (Letting in-batch keys
/// carry gradient would add the symmetric key-side term of the supervised contrastive loss; a differentiable
/// all-gather could reproduce it, at one more all-reduce of the keys' gradient per step.)
public final class PixelContrastLoss {
  public let sampler: PixelSampler
  /// τ
  public let temperature: Float
  public let negatives: NegativeSource
  /// Keys the pixel sampling, with the step and the global image index.
  public let seed: UInt64
  /// `--pixel-memory` > 0: the per-class bank, contrasted as it was before the step, then fed the step's keys.
  public let memory: PixelMemoryBank?

  /// classes: valid label ids are 0..<classes; width: D, the embeddings' channels (the bank's key width);
  /// pixelsPerClass: K; memoryPerClass: M, 0 for no bank. `global` is the default: spec §2.6 gathers across ranks.
  public init(classes: Int, width: Int = 128, pixelsPerClass: Int = 32, temperature: Float = 0.1,
              negatives: NegativeSource = .global, dontCare: Int? = nil, memoryPerClass: Int = 0,
              seed: UInt64) throws {
    guard classes >= 1 else { throw OptionError("--label-nc", "the pixel contrast needs ≥ 1 class, got \(classes)") }
    guard width >= 1 else { throw OptionError("--pixel-width", "must be ≥ 1, got \(width)") }
    guard pixelsPerClass >= 1 else { throw OptionError("--pixels-per-class", "must be ≥ 1, got \(pixelsPerClass)") }
    guard temperature > 0 && temperature.isFinite else {
      throw OptionError("--pixel-T", "the temperature must be a positive number, got \(temperature)")
    }
    guard memoryPerClass >= 0 else {
      throw OptionError("--pixel-memory", "must be ≥ 0 keys per class (0: no memory bank), got \(memoryPerClass)")
    }
    sampler = PixelSampler(classes: classes, pixelsPerClass: pixelsPerClass, dontCare: dontCare)
    self.temperature = temperature
    self.negatives = negatives
    self.seed = seed
    memory = memoryPerClass > 0 ? PixelMemoryBank(classes: classes, capacity: memoryPerClass, width: width) : nil
  }

  /// embeddings (n, D, h, w), unit length over D; labels (n, 1, H, W), class ids as floats (nearest-downsampled to
  /// h×w); `firstGlobalImage`: the global batch index of this rank's first image; `step` keys the sampling. Returns
  /// this rank's loss (see the normalisation above) and the mean number of negatives per anchor of the global
  /// batch (the same on every rank). A collective: on more than one rank every rank must call it (`global` and a bank
  /// gather the picks, `image` and `batch` all-reduce the anchor count).
  public func callAsFunction(embeddings e: Tensor, labels: Tensor, firstGlobalImage: Int, step: Int,
                             context: ReplicaContext) throws -> (loss: Tensor, negativesPerQuery: Double) {
    precondition(e.rank == 4 && labels.rank == 4 && labels.shape[0] == e.shape[0],
                 "PixelContrastLoss: embeddings \(e.shape) must be (n, D, h, w) and labels \(labels.shape) (n, 1, H, W)")
    let (n, d, h, w) = (e.shape[0], e.shape[1], e.shape[2], e.shape[3])
    precondition(memory.map { $0.width == d } ?? true, "PixelContrastLoss: \(d)-channel embeddings for a bank of "
                   + "\(memory?.width ?? 0)-wide keys")
    let ids = try sampler.classIds(labels, height: h, width: w)
    let picks = sampler.sample(ids, seed: seed, step: step, firstGlobalImage: firstGlobalImage)
    let mine = PixelRows(picks, firstGlobalImage: firstGlobalImage)
    let rowIndex = picks.enumerated().flatMap { b, own in own.map { b * h * w + $0.position } }
    let anchors = e.permute([0, 2, 3, 1]).reshape([n * h * w, d]).indexSelect(axis: 0, rowIndex)  // (a, D)

    let everyone = negatives == .global || memory != nil ? try PixelRows.gather(anchors, mine, context: context) : nil
    let (batchKeys, batchRows) = negatives == .global ? everyone! : (anchors.detached(), mine)
    let bank = memory?.contents()
    let census = PixelCensus(keys: batchRows, bank: memory?.counts, classes: sampler.classes,
                             perImage: negatives == .image)
    if let everyone { memory?.enqueue(everyone.keys, labels: everyone.rows.labels) }

    let local = census.pairs(of: mine)
    let kept = local.indices.filter { local[$0].positives > 0 && local[$0].negatives > 0 }
    var totals = [Double(kept.count), Double(kept.reduce(0) { $0 + local[$1].negatives })]
    if negatives == .global {
      let all = census.pairs(of: everyone!.rows).filter { $0.positives > 0 && $0.negatives > 0 }
      totals = [Double(all.count), Double(all.reduce(0) { $0 + $1.negatives })]
    } else if context.size > 1 {
      totals = try context.meanOverRanks(totals).map { ($0 * Double(context.size)).rounded() }
    }
    let negativesPerQuery = totals[0] > 0 ? totals[1] / totals[0] : 0
    guard !kept.isEmpty else { return (anchors.sum() * 0, negativesPerQuery) }

    var keys = batchKeys, keyRows = batchRows
    if let bank, !bank.labels.isEmpty {
      keys = Tensor.concat([batchKeys, bank.keys], axis: 0)
      keyRows.append(bank: bank.labels)
    }
    let (weight, notNegative) = masks(anchors: mine, kept: kept, pairs: local, keys: keyRows,
                                      scale: Float(context.size) / Float(totals[0]))
    return (contrast(anchors.indexSelect(axis: 0, kept), keys, positiveWeight: weight, notNegative: notNegative),
            negativesPerQuery)
  }

  /// anchors (a, D) against constant keys (k, D): Σ_ij weight_ij · softplus(lse_i − s_ij), s = anchors·keysᵀ/τ and
  /// lse_i = log Σ_{j negative} exp s_ij, computed stably: the row's largest negative logit m_i (a constant) is taken
  /// out first, lse_i = m_i + log Σ exp(s_ij − m_i), so the sum holds a 1 and never underflows to log 0.
  func contrast(_ anchors: Tensor, _ keys: Tensor, positiveWeight: Tensor, notNegative: Tensor) -> Tensor {
    let logits = matmul(anchors, keys, transposeB: true) / temperature  // (a, k)
    let (a, k) = (logits.shape[0], logits.shape[1])
    let peak = Tensor(uninitialized: [a, 1])
    let ps = logits.storage.base, pm = notNegative.storage.base, pp = peak.storage.base
    for i in 0..<a {
      var m = -Float.infinity
      for j in 0..<k where pm[i * k + j] == 0 { m = max(m, ps[i * k + j]) }
      pp[i] = m
    }
    let lse = (logits - peak).maskedFill(notNegative, -.infinity).exp().sum(axes: [1], keepDims: true).log() + peak
    return (softplus(lse - logits) * positiveWeight).sum()
  }

  /// For the kept anchors against the keys: weight (kept, k) = scale/|P_i| at i's positives, 0 elsewhere; and
  /// notNegative (kept, k) = 1 except at i's negatives. A key is in an anchor's scope if `negatives` is not `image`,
  /// or it is of the anchor's image, or it is in the bank.
  func masks(anchors: PixelRows, kept: [Int], pairs: [PixelCensus.Pairs], keys: PixelRows,
             scale: Float) -> (weight: Tensor, notNegative: Tensor) {
    let k = keys.count
    let weight = Tensor(zeros: [kept.count, k]), notNegative = Tensor(repeating: 1, [kept.count, k])
    let pw = weight.storage.base, pn = notNegative.storage.base
    for (r, i) in kept.enumerated() {
      let (c, image, position) = (anchors.labels[i], anchors.images[i], anchors.positions[i])
      let share = scale / Float(pairs[i].positives)
      for j in 0..<k {
        let keyImage = keys.images[j]
        guard negatives != .image || keyImage == image || keyImage == PixelRows.bankImage else { continue }
        if keys.labels[j] != c { pn[r * k + j] = 0 } else if keyImage != image || keys.positions[j] != position {
          pw[r * k + j] = share
        }
      }
    }
    return (weight, notNegative)
  }

  /// The bank's state for the checkpoint's extra state: "pixel_memory.keys", "pixel_memory.count",
  /// "pixel_memory.next" (nothing without a bank). The same on every rank.
  public func extraState() -> [(name: String, tensor: Tensor)] {
    memory?.stateDict().map { ("pixel_memory.\($0.name)", $0.tensor) } ?? []
  }

  /// Restores the bank from the "pixel_memory." entries of `state` (other entries belong to the model).
  public func loadExtraState(_ state: [String: Tensor]) throws {
    let prefix = "pixel_memory."
    let own = Dictionary(uniqueKeysWithValues: state.filter { $0.key.hasPrefix(prefix) }
      .map { (String($0.key.dropFirst(prefix.count)), $0.value) })
    guard let memory else {
      if !own.isEmpty { throw StateDictError.unexpectedKeys(own.keys.sorted().map { prefix + $0 }) }
      return
    }
    try memory.loadStateDict(own)
  }
}
