import NN
import Tensors

/// `--netF`: how CUT's F turns feature maps into patch vectors.
public enum PatchSamplerKind: String, OptionName, Sendable {
  /// Sampled patches through a 2-layer MLP per layer (the reference default).
  case mlpSample = "mlp_sample"
  /// Sampled patches as they are (no parameters).
  case sample
}

/// CUT's F (`PatchSampleF`, spec §3.5): for each NCE layer l, picks S = min(numPatches, H_l·W_l) spatial positions
/// (the same for every image of the batch), and maps each picked feature vector through the head `mlp_<l>` =
/// [Linear(C_l → nc), ReLU, Linear(nc → nc)], then L2-normalises it: v / (‖v‖₂ + 1e-7).
///
///     feature l (B, C_l, H_l, W_l) → rows (B·S, nc), row b·S + s = image b at position ids_l[s] (row-major h·W + w)
///
/// The heads' widths depend on the feature channels, so they are created by `build`, once the first batch's
/// features are known (state-dict keys `mlp_<l>.0.weight`, `mlp_<l>.0.bias`, `mlp_<l>.2.weight`, `mlp_<l>.2.bias`).
/// The key branch draws the ids; the query branch reuses them, so positive pairs share their location.
public final class PatchSampleF: Module {
  public let kind: PatchSamplerKind
  /// nc, `--netF-nc`: the width of the heads.
  public let width: Int
  /// `mlp_<l>` for each layer once built; empty for `sample`.
  public private(set) var heads: [Sequential] = []
  public private(set) var isBuilt = false

  public init(_ kind: PatchSamplerKind = .mlpSample, width: Int = 256) {
    precondition(width >= 1, "PatchSampleF: the head width must be ≥ 1, got \(width)")
    self.kind = kind
    self.width = width
    super.init()
  }

  /// Creates one head per layer for features of `channels` (C_l, in layer order), initialised from the stream of
  /// (seed, weight init, `name`), so every rank that builds F from the same seed holds the same heads.
  public func build(channels: [Int], _ initType: InitType, gain: Float, seed: UInt64, name: String = "F") {
    precondition(!isBuilt, "PatchSampleF: the heads are already built")
    if kind == .mlpSample {
      for (l, c) in channels.enumerated() {
        let head = Sequential(Linear(c, width), ReLU(), Linear(width, width))
        registerModule("mlp_\(l)", head)
        heads.append(head)
      }
      Networks.initialize(self, name: name, initType, gain: gain, seed: seed)
    }
    isBuilt = true
  }

  /// The positions to sample in each feature map: the first min(numPatches, H·W) entries of a uniformly random
  /// permutation of 0..<H·W, drawn from the stream (seed, key + [l]) for layer l.
  public static func patchIds(for features: [Tensor], numPatches: Int, seed: UInt64, key: [UInt64]) -> [[Int]] {
    precondition(numPatches >= 1, "PatchSampleF: numPatches must be ≥ 1, got \(numPatches)")
    return features.enumerated().map { l, f in
      var rng = RandomStream(seed: seed, key: key + [UInt64(l)])
      let positions = f.shape[2] * f.shape[3]
      return Array(rng.permutation(positions).prefix(min(numPatches, positions)))
    }
  }

  /// features [(B, C_l, H_l, W_l)] and their ids [[S_l positions]] → [(B·S_l, nc or C_l)], each row unit length.
  public func callAsFunction(_ features: [Tensor], patchIds: [[Int]]) -> [Tensor] {
    precondition(isBuilt && features.count == patchIds.count && (kind == .sample || heads.count == features.count),
                 "PatchSampleF: \(features.count) feature maps, \(patchIds.count) id lists, "
                   + "\(isBuilt ? "\(heads.count) heads" : "heads not built")")
    return features.indices.map { l in
      let f = features[l]
      let (b, c) = (f.shape[0], f.shape[1])
      // NOTE: the reference permutes the whole map to (B, H·W, C) before picking; picking the positions first
      // moves only the sampled columns (the permute of 64–128-channel maps was ~2% of a FastCUT step)
      let picked = f.reshape([b, c, f.shape[2] * f.shape[3]]).indexSelect(axis: 2, patchIds[l])
      var x = picked.permute([0, 2, 1]).reshape([b * patchIds[l].count, c])
      if kind == .mlpSample { x = heads[l](x) }
      return l2Normalize(x, axis: 1)
    }
  }
}
