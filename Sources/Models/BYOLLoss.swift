import Tensors

/// The official EnCo code's similarity loss (spec §4.6, `--enco-loss byol`; BYOL/SimSiam's normalised regression):
/// for query rows q and key rows k (M, D), with the key detached (stop-gradient),
///
///     loss = mean_i [2 − 2·cos(qᵢ, kᵢ)],   cos(q, k) = ⟨q/max(‖q‖, ε), k/max(‖k‖, ε)⟩,  ε = 1e-8
///
/// (PyTorch's `cosine_similarity`), which is mean_i ‖qᵢ − kᵢ‖² for unit rows. → scalar.
public func byolLoss(query q: Tensor, key k: Tensor) -> Tensor {
  precondition(q.rank == 2 && q.shape == k.shape, "byolLoss: q \(q.shape) and k \(k.shape) must both be (M, D)")
  func unit(_ x: Tensor) -> Tensor { x / x.norm(axis: 1, keepDims: true).clamp(min: 1e-8) }
  let cosine = (unit(q) * unit(k.detached())).sum(axes: [1])  // (M)
  return (2 - 2 * cosine).mean()
}
