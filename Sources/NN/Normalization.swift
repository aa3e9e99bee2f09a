import Tensors

/// PyTorch's `nn.InstanceNorm2d` (track_running_stats false): per sample and channel,
/// y = (x − mean_hw) / √(var_hw + eps) · γ + β with the biased variance; x, y (N, C, H, W).
/// CycleGAN and CUT use `affine: false` (no parameters); with `affine`, `weight` = 1 and `bias` = 0 of shape (C).
public final class InstanceNorm2d: Module, UnaryLayer {
  public let weight: Tensor?, bias: Tensor?
  public let eps: Float

  public init(_ channels: Int, eps: Float = 1e-5, affine: Bool = false) {
    self.weight = affine ? Tensor.ones([channels]).requiringGrad() : nil
    self.bias = affine ? Tensor(zeros: [channels]).requiringGrad() : nil
    self.eps = eps
    super.init()
    if let weight, let bias { registerParameter("weight", weight); registerParameter("bias", bias) }
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { instanceNorm(x, weight: weight, bias: bias, eps: eps) }
}

/// PyTorch's `_BatchNorm`: per channel over (N[, H, W]), y = (x − μ) / √(σ² + eps) · γ + β. Training uses the batch's
/// statistics and updates `running_mean`/`running_var` (unbiased) with `momentum` and `num_batches_tracked` in place;
/// eval uses the running statistics. Parameters `weight` = 1, `bias` = 0 (C) when `affine`.
public class BatchNorm: Module, UnaryLayer {
  public let weight: Tensor?, bias: Tensor?
  public let runningMean: Tensor?, runningVar: Tensor?, numBatchesTracked: Tensor?
  public let eps: Float, momentum: Float
  let ranks: Set<Int>

  init(_ channels: Int, eps: Float, momentum: Float, affine: Bool, trackRunningStats: Bool, ranks: Set<Int>) {
    weight = affine ? Tensor.ones([channels]).requiringGrad() : nil
    bias = affine ? Tensor(zeros: [channels]).requiringGrad() : nil
    runningMean = trackRunningStats ? Tensor(zeros: [channels]) : nil
    runningVar = trackRunningStats ? Tensor.ones([channels]) : nil
    numBatchesTracked = trackRunningStats ? Tensor(zeros: []) : nil
    self.eps = eps
    self.momentum = momentum
    self.ranks = ranks
    super.init()
    if let weight, let bias { registerParameter("weight", weight); registerParameter("bias", bias) }
    if let runningMean, let runningVar, let numBatchesTracked {
      registerBuffer("running_mean", runningMean)
      registerBuffer("running_var", runningVar)
      registerBuffer("num_batches_tracked", numBatchesTracked)
    }
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    precondition(ranks.contains(x.rank), "\(typeName): input of rank \(ranks.sorted()) expected, got shape \(x.shape)")
    let useBatchStats = isTraining || runningMean == nil
    if isTraining, let n = numBatchesTracked { n[flat: 0] += 1 }
    // NOTE: (N, C, L) is normalised as (N, C, L, 1): the same per-channel statistics.
    let x4 = x.rank == 3 ? x.reshape([x.shape[0], x.shape[1], x.shape[2], 1]) : x
    let y = batchNorm(x4, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                      training: useBatchStats, momentum: momentum, eps: eps)
    return x.rank == 3 ? y.reshape(x.shape) : y
  }
}

/// `nn.BatchNorm1d`: x (N, C) or (N, C, L). `initWeights` leaves it at PyTorch's defaults (EnCo's heads rely on it).
public final class BatchNorm1d: BatchNorm {
  public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true,
              trackRunningStats: Bool = true) {
    super.init(channels, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats, ranks: [2, 3])
  }
}

/// `nn.BatchNorm2d`: x (N, C, H, W). `initWeights` draws its weight from N(1, gain) and zeroes its bias.
public final class BatchNorm2d: BatchNorm, WeightInitializable {
  public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true,
              trackRunningStats: Bool = true) {
    super.init(channels, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats, ranks: [4])
  }

  public func initializeWeights(_ scheme: WeightInit, gain: Float, _ rng: inout RandomStream) {
    guard let weight, let bias else { return }
    Init.normal(weight, mean: 1, std: gain, &rng)
    Init.constant(bias, 0)
  }
}

/// PyTorch's `nn.LayerNorm`: normalises over the trailing `normalizedShape` dimensions (biased variance), then
/// y · γ + β with `weight` = 1 and `bias` = 0 of shape `normalizedShape` when `elementwiseAffine`.
public final class LayerNorm: Module, UnaryLayer {
  public let normalizedShape: [Int]
  public let weight: Tensor?, bias: Tensor?
  public let eps: Float

  public init(_ normalizedShape: [Int], eps: Float = 1e-5, elementwiseAffine: Bool = true) {
    self.normalizedShape = normalizedShape
    self.weight = elementwiseAffine ? Tensor.ones(normalizedShape).requiringGrad() : nil
    self.bias = elementwiseAffine ? Tensor(zeros: normalizedShape).requiringGrad() : nil
    self.eps = eps
    super.init()
    if let weight, let bias { registerParameter("weight", weight); registerParameter("bias", bias) }
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    layerNorm(x, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
  }
}
