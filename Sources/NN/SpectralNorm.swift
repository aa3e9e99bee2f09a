import Tensors

/// PyTorch's `torch.nn.utils.spectral_norm` (dim 0, one power iteration, eps 1e-12) for a weight W of shape
/// (out, …), viewed as the matrix W̄ (h = out, w = the rest):
///
///     training:  v ← normalize(W̄ᵀ u),  u ← normalize(W̄ v)     (in place, without gradient)
///     always:    σ = uᵀ W̄ v,  W_SN = W / σ                    (u, v constants; the gradient flows into W through both)
///
/// normalize(a) = a / max(‖a‖₂, eps). Eval mode skips the power iteration and uses the stored u, v. u (h) and v (w)
/// are buffers: state, not parameters, saved with the weights (`weight_u`, `weight_v` beside `weight_orig`).
public struct SpectralNormalization {
  /// u (h), v (w): the current estimates of W̄'s first left and right singular vectors.
  public let u: Tensor, v: Tensor
  public let eps: Float

  /// u and v drawn from N(0, 1) and normalised, as PyTorch does when it attaches the norm.
  public init(weightShape: [Int], eps: Float = 1e-12, _ rng: inout RandomStream) {
    precondition(weightShape.count >= 2, "spectral norm: a weight of rank ≥ 2 expected, got shape \(weightShape)")
    let h = weightShape[0], w = weightShape.dropFirst().reduce(1, *)
    self.eps = eps
    u = Tensor.randn([h], &rng)
    v = Tensor.randn([w], &rng)
    SpectralNormalization.normalizeInPlace(u, eps: eps)
    SpectralNormalization.normalizeInPlace(v, eps: eps)
  }

  /// u, v ← normalised N(0, 1) draws, in place.
  public func redraw(_ rng: inout RandomStream) {
    u.assign(Tensor.randn(u.shape, &rng))
    v.assign(Tensor.randn(v.shape, &rng))
    SpectralNormalization.normalizeInPlace(u, eps: eps)
    SpectralNormalization.normalizeInPlace(v, eps: eps)
  }

  /// W / σ(W) for `weight` (h, …), after one power iteration when `powerIteration`. Differentiable in `weight`.
  public func callAsFunction(_ weight: Tensor, powerIteration: Bool) -> Tensor {
    let h = u.count, w = v.count
    precondition(weight.shape[0] == h && weight.count == h * w,
                 "spectral norm: weight \(weight.shape) does not match u (\(h)) and v (\(w))")
    let matrix = weight.reshape([h, w])
    if powerIteration {
      noGrad {
        v.assign(normalized(matmul(matrix, u.reshape([h, 1]), transposeA: true)))  // W̄ᵀu (w, 1)
        u.assign(normalized(matmul(matrix, v.reshape([w, 1]))))                     // W̄v (h, 1)
      }
    }
    // NOTE: copies, as PyTorch clones them: the next forward updates u and v in place, which must not change what
    // this forward's backward reads.
    let sigma = (matmul(matrix, v.copy().reshape([w, 1])) * u.copy().reshape([h, 1])).sum()  // uᵀ W̄ v, shape []
    return weight / sigma
  }

  /// σ = uᵀ W̄ v with the current u, v (no iteration, no graph).
  public func sigma(_ weight: Tensor) -> Float {
    noGrad {
      (matmul(weight.reshape([u.count, v.count]), v.reshape([v.count, 1])) * u.reshape([u.count, 1])).sum().item
    }
  }

  private func normalized(_ a: Tensor) -> Tensor {
    let t = a.copy()
    SpectralNormalization.normalizeInPlace(t, eps: eps)
    return t
  }

  /// a ← a / max(‖a‖₂, eps) (F.normalize along the only axis).
  static func normalizeInPlace(_ a: Tensor, eps: Float) {
    let p = a.storage.base
    var s: Float = 0
    for i in 0..<a.count { s += p[i] * p[i] }
    let d = max(s.squareRoot(), eps)
    for i in 0..<a.count { p[i] /= d }
    a.storage.markModified()
  }
}

/// `spectral_norm(nn.Conv2d(…))`: a zero-padded convolution whose weight is divided by its spectral norm (see
/// `SpectralNormalization`), one power iteration per forward pass in training mode, none in eval.
/// x (N, in, H, W) → y (N, out, ⌊(H + 2p − k)/s⌋ + 1, ⌊(W + 2p − k)/s⌋ + 1).
///
/// The state-dict keys are PyTorch's, in its order: `bias` (out; when present), `weight_orig` (out, in, k, k), then
/// the buffers `weight_u` (out) and `weight_v` (in·k·k). The weights start as PyTorch's defaults, u and v as
/// normalised N(0, 1) draws (both from `Init.defaultStream`). `initWeights` redraws `weight_orig` by its scheme and
/// zeroes the bias, as the reference's `init_weights` does (it writes into the storage that `weight_orig` shares
/// with the hook's `weight`), and then redraws u and v from the same stream: the reference leaves them at their
/// construction draw, and any draw serves (the first training forward moves them towards W's singular vectors),
/// but this one is keyed like the weights, so every rank that initialises from one seed agrees.
public final class SpectralNormConv2d: Module, UnaryLayer, WeightInitializable {
  public let weightOrig: Tensor
  public let bias: Tensor?
  public let normalization: SpectralNormalization
  public let stride: Int, padding: Int
  /// As `Conv2d.biasIsCancelled`: the bias is left out of the forward pass (a normalisation follows).
  public var biasIsCancelled = false

  public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) {
    weightOrig = Tensor(uninitialized: [outChannels, inChannels, kernel, kernel]).requiringGrad()
    self.bias = bias ? Tensor(uninitialized: [outChannels]).requiringGrad() : nil
    self.stride = stride
    self.padding = padding
    Init.pytorchDefault(weightOrig, self.bias)
    normalization = SpectralNormalization(weightShape: weightOrig.shape, &Init.defaultStream)
    super.init()
    if let b = self.bias { registerParameter("bias", b) }
    registerParameter("weight_orig", weightOrig)
    registerBuffer("weight_u", normalization.u)
    registerBuffer("weight_v", normalization.v)
  }

  /// W_orig / σ: the weight the convolution uses (updating u and v first in training mode).
  public func normalizedWeight() -> Tensor { normalization(weightOrig, powerIteration: isTraining) }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    conv2d(x, normalizedWeight(), biasIsCancelled ? nil : bias, stride: stride, padding: padding)
  }

  public func initializeWeights(_ scheme: WeightInit, gain: Float, _ rng: inout RandomStream) {
    Init.weightAndBias(weightOrig, bias, scheme, gain: gain, &rng)
    normalization.redraw(&rng)
  }
}
