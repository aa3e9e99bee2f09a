import Replicas
import NN
import Tensors

/// `--negatives`: where a query patch's negatives come from.
public enum NegativeSource: String, OptionName, Sendable {
  /// The other patches of the same image (the reference default).
  case image
  /// Every other patch of this rank's batch (the reference's `--nce_includes_all_negatives_from_minibatch`).
  case batch
  /// Every other patch of the global batch: keys gathered from every rank (without gradient).
  case global
}

/// CUT's PatchNCE loss for one layer (spec §3.6; Park et al. 2020, `models/patchnce.py`): InfoNCE between a query
/// patch of the generated image and the key patch at the same place in the source image, against other keys.
///
/// q, k (M, D), M = B·S rows ordered image-major (row b·S + s is patch s of image b), rows L2-normalised. k is
/// detached: no gradient flows into the key branch. With the keys K that serve as negatives,
///
///     logits[i] = [⟨qᵢ, kᵢ⟩, ⟨qᵢ, K_j⟩ for every key j] / τ,   ⟨qᵢ, K_own(i)⟩ replaced by −10 before dividing
///     loss = mean_i −log softmax(logits[i])[0]                   (the positive is column 0)
///
/// `image`: K = the S keys of qᵢ's image, own(i) = s; `batch`: K = all M keys, own(i) = i; `global`: K = the keys of
/// every rank in rank order, own(i) = rank·M + i (every rank must hold M rows). The −10 entry stays a column, so
/// a query has S − 1, M − 1 or size·M − 1 true negatives. The loss is this rank's mean, so with the context
/// averaging gradients over ranks, `global` on N ranks equals `batch` on one process holding the global batch.
public struct PatchNCELoss: Sendable {
  /// τ, `--nce-T`
  public let temperature: Float
  public let negatives: NegativeSource
  /// The logit given to a query's own positive among its negatives (before division by τ).
  public static let diagonalFill: Float = -10

  public init(temperature: Float = 0.07, negatives: NegativeSource = .image) {
    self.temperature = temperature
    self.negatives = negatives
  }

  /// q, k (images·S, D) → scalar loss; `context` gathers the keys for `global`. `positions[b]`, when given, are the
  /// S sampled positions of image b's rows: two rows of one image at the same position are the same patch (EnCo's
  /// DAG can draw a hard position again among its random ones), so neither serves as the other's negative; that
  /// key gets the own key's −10 too.
  public func callAsFunction(query q: Tensor, key k: Tensor, images: Int, context: ReplicaContext,
                             positions: [[Int]]? = nil) throws -> Tensor {
    precondition(q.rank == 2 && q.shape == k.shape && images >= 1 && q.shape[0] % images == 0,
                 "PatchNCELoss: q \(q.shape) and k \(k.shape) must be (images·S, D) with images = \(images)")
    let (rows, dim) = (q.shape[0], q.shape[1])
    let key = k.detached()
    let positive = (q * key).sum(axes: [1], keepDims: true)  // (M, 1)
    let negative: Tensor
    switch negatives {
    case .image:
      let s = rows / images  // per image: (B, S, D)·(B, S, D)ᵀ → (B, S, S)
      let perImage = matmul(q.reshape([images, s, dim]), key.reshape([images, s, dim]), transposeB: true)
      let mask = positions.map { Self.samePatchMask(positions: $0, keys: s, offset: 0, blockPerImage: false) }
        ?? Self.ownKeyMask(rows: s, keys: s, offset: 0)
      negative = perImage.maskedFill(mask, Self.diagonalFill).reshape([rows, s])
    case .batch:
      let mask = positions.map { Self.samePatchMask(positions: $0, keys: rows, offset: 0, blockPerImage: true) }
        ?? Self.ownKeyMask(rows: rows, keys: rows, offset: 0)
      negative = matmul(q, key, transposeB: true).maskedFill(mask, Self.diagonalFill)
    case .global:
      let keys = try context.allGatherDetached(key)
      guard keys.shape[0] == rows * context.size else {
        throw OptionError("--negatives", "global negatives need the same number of patches on every rank "
                              + "(this rank has \(rows), all ranks \(keys.shape[0]) over \(context.size) ranks)")
      }
      let offset = context.rank * rows
      let mask = positions.map { Self.samePatchMask(positions: $0, keys: keys.shape[0], offset: offset, blockPerImage: true) }
        ?? Self.ownKeyMask(rows: rows, keys: keys.shape[0], offset: offset)
      negative = matmul(q, keys, transposeB: true).maskedFill(mask, Self.diagonalFill)
    }
    let logits = Tensor.concat([positive, negative], axis: 1) / temperature
    return crossEntropy(logits, targets: [Int](repeating: 0, count: rows))
  }

  /// The true negatives of each query (the masked own key excluded) for a rank holding `images`·`patches` rows.
  public func negativesPerQuery(images: Int, patches: Int, worldSize: Int) -> Int {
    switch negatives {
    case .image: return patches - 1
    case .batch: return images * patches - 1
    case .global: return worldSize * images * patches - 1
    }
  }

  /// The own-key mask with, in addition, 1 where a query meets another row of its image at the same position:
  /// (images, S, S) per image (`blockPerImage` false), or (images·S, keys) with image b's keys at
  /// offset + b·S … (`blockPerImage` true).
  static func samePatchMask(positions: [[Int]], keys: Int, offset: Int, blockPerImage: Bool) -> Tensor {
    let s = positions.first?.count ?? 0, images = positions.count
    let mask = Tensor(zeros: blockPerImage ? [images * s, keys] : [images, s, s])
    let p = mask.storage.base
    for (b, ids) in positions.enumerated() {
      precondition(ids.count == s, "PatchNCELoss: every image needs the same number of positions")
      let (rowBase, keyBase) = blockPerImage ? (b * s * keys, offset + b * s) : (b * s * s, 0)
      let width = blockPerImage ? keys : s
      for i in 0..<s {
        for j in 0..<s where i == j || ids[i] == ids[j] { p[rowBase + i * width + keyBase + j] = 1 }
      }
    }
    return mask
  }

  /// (rows, keys) with 1 at (i, offset + i): where query i meets its own key.
  static func ownKeyMask(rows: Int, keys: Int, offset: Int) -> Tensor {
    let mask = Tensor(zeros: [rows, keys])
    let p = mask.storage.base
    for i in 0..<rows { p[i * keys + offset + i] = 1 }
    return mask
  }
}
