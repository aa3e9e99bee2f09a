import Tensors

/// DAG, EnCo's discriminative attention-guided patch sampling (spec §4.5; parameter-free). The attention map is
/// the discriminator's score map on the generated image, detached, resized to the feature map's H×W (bilinear,
/// align_corners = False). With P = min(N, H·W) patches per image, for each image on its own:
///
///  1. candidates: the first min(r·P, H·W) entries of a random permutation of the H·W positions (r: oversampling);
///  2. hard patches: the P − ⌊ρ·P⌋ candidates with the *lowest* scores, in ascending order of score (ties in
///     candidate order). With LSGAN's labels (real 1, fake 0) these are where D finds the image most fake;
///  3. random patches: the last ⌊ρ·P⌋ entries of a second, fresh permutation (they may repeat hard ones);
///  4. ids = hard + random.
///
/// Image b's permutations come from the stream (seed, key + [firstImage + b]), where `firstImage + b` is the image's
/// index in the global batch: the ids of an image do not depend on how the global batch is split over ranks.
public struct DAGSampler: Sendable {
  /// N, `--num-patches`
  public let numPatches: Int
  /// r, `--oversample-ratio`
  public let oversampleRatio: Int
  /// ρ, `--random-ratio`
  public let randomRatio: Float

  public init(numPatches: Int = 256, oversampleRatio: Int = 4, randomRatio: Float = 0.5) {
    precondition(numPatches >= 1 && oversampleRatio >= 1 && (0...1).contains(randomRatio),
                 "DAGSampler: needs numPatches ≥ 1, oversampleRatio ≥ 1 and randomRatio in [0, 1], got "
                   + "\(numPatches), \(oversampleRatio), \(randomRatio)")
    self.numPatches = numPatches
    self.oversampleRatio = oversampleRatio
    self.randomRatio = randomRatio
  }

  /// The number of patches drawn from an H×W map: P = min(N, H·W).
  public func patchCount(height: Int, width: Int) -> Int { min(numPatches, height * width) }

  /// scores (n, 1, h, w), the discriminator's map on the n generated images → ids[b], P positions of an
  /// `height`×`width` map (row-major) for each image.
  public func patchIds(scores: Tensor, height: Int, width: Int, seed: UInt64, key: [UInt64],
                       firstImage: Int) -> [[Int]] {
    precondition(scores.rank == 4 && scores.shape[1] == 1,
                 "DAGSampler: scores must be (n, 1, h, w), got \(scores.shape)")
    let attention = noGrad { resizeBilinear(scores.detached(), height: height, width: width) }
    let positions = height * width
    return (0..<scores.shape[0]).map { b in
      var rng = RandomStream(seed: seed, key: key + [UInt64(firstImage + b)])
      let map = UnsafeBufferPointer(start: attention.storage.base + b * positions, count: positions)
      return select(attention: map, rng: &rng)
    }
  }

  /// Steps 1–4 for one image whose attention over the positions is `attention`.
  func select(attention: UnsafeBufferPointer<Float>, rng: inout RandomStream) -> [Int] {
    let positions = attention.count
    let count = min(numPatches, positions)
    let randomCount = Int(Float(count) * randomRatio)
    let candidates = rng.permutation(positions).prefix(min(count * oversampleRatio, positions))
    let ranked = candidates.enumerated().sorted { a, b in
      (attention[a.element], a.offset) < (attention[b.element], b.offset)
    }
    let hard = ranked.prefix(count - randomCount).map(\.element)
    guard randomCount > 0 else { return hard }
    return hard + rng.permutation(positions).suffix(randomCount)
  }
}
