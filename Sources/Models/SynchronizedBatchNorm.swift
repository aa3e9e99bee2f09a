import Replicas
import NN
import Tensors

/// PyTorch's `nn.SyncBatchNorm` for rows x (M, C): BatchNorm1d whose training statistics are those of the global
/// batch, every rank's rows together, so N ranks normalise exactly as one process holding all the rows would.
///
/// Each rank reduces its rows per channel to (mean μ_r, M2_r = Σ (x − μ_r)², count n_r); the context gathers these
/// (differentiably), and every rank combines them as Chan et al.'s parallel variance does:
///
///     M = Σ_r n_r,   μ = Σ_r n_r·μ_r / M,   σ² = [Σ_r M2_r + Σ_r n_r·(μ_r − μ)²] / M   (biased)
///     y = (x − μ) / √(σ² + eps) · γ + β
///
/// The gather's backward sends every rank's gradient of the statistics back to the rank that owns them, so with the
/// context averaging parameter gradients the result is the gradient of the global-batch loss; with one rank this is
/// BatchNorm1d. Training also updates `running_mean`/`running_var` (unbiased: σ²·M/(M − 1)) with `momentum` from
/// the global statistics, so they agree on every rank; eval normalises with them. The state-dict keys are
/// BatchNorm1d's: `weight`, `bias` (when affine), `running_mean`, `running_var`, `num_batches_tracked`.
public final class SynchronizedBatchNorm1d: Module {
  public let channels: Int
  public let weight: Tensor?, bias: Tensor?
  public let runningMean: Tensor, runningVar: Tensor, numBatchesTracked: Tensor
  public let eps: Float, momentum: Float

  /// γ = 1, β = 0 of shape (C) when `affine` (PyTorch's defaults, which the reference's init leaves alone).
  public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
    precondition(channels >= 1, "SynchronizedBatchNorm1d: needs at least one channel, got \(channels)")
    self.channels = channels
    weight = affine ? Tensor.ones([channels]).requiringGrad() : nil
    bias = affine ? Tensor(zeros: [channels]).requiringGrad() : nil
    runningMean = Tensor(zeros: [channels])
    runningVar = Tensor.ones([channels])
    numBatchesTracked = Tensor(zeros: [])
    self.eps = eps
    self.momentum = momentum
    super.init()
    if let weight, let bias { registerParameter("weight", weight); registerParameter("bias", bias) }
    registerBuffer("running_mean", runningMean)
    registerBuffer("running_var", runningVar)
    registerBuffer("num_batches_tracked", numBatchesTracked)
  }

  /// x (M, C) → y (M, C). A collective in training mode: every rank calls it, in the same order, with its rows.
  public func callAsFunction(_ x: Tensor, context: ReplicaContext) throws -> Tensor {
    precondition(x.rank == 2 && x.shape[1] == channels,
                 "SynchronizedBatchNorm1d: input must be (M, \(channels)), got \(x.shape)")
    guard isTraining else {
      return batchNorm(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                       training: false, eps: eps)
    }
    let (mean, variance, total) = try globalStatistics(x, context: context)
    guard total > 1 else {
      throw OptionError("--prj-norm", "batch norm needs more than one row per channel over all ranks, got \(total)")
    }
    updateRunningStatistics(mean: mean, variance: variance, total: total)
    var y = (x - mean) * (variance + eps).pow(-0.5)
    if let weight { y = y * weight }
    if let bias { y = y + bias }
    return y
  }

  /// μ and biased σ² (1, C) of the rows of every rank, and their number M.
  private func globalStatistics(_ x: Tensor, context: ReplicaContext) throws -> (Tensor, Tensor, Float) {
    let c = channels
    let localMean = x.mean(axes: [0], keepDims: true)  // (1, C)
    let centred = x - localMean
    let localM2 = (centred * centred).sum(axes: [0], keepDims: true)  // (1, C)
    let local = Tensor.concat([localMean, localM2, Tensor(repeating: Float(x.shape[0]), [1, 1])], axis: 1)
    // NOTE: without a graph (the heads' key branch) the plain gather is enough, and it records no backward.
    let all = x.requiresGrad ? try context.allGather(local) : try context.allGatherDetached(local)  // (R, 2C + 1)
    let counts = all.narrow(axis: 1, start: 2 * c, length: 1).detached()  // (R, 1)
    let total = counts.scalars.reduce(0, +)
    let means = all.narrow(axis: 1, start: 0, length: c)
    let mean = (means * counts).sum(axes: [0], keepDims: true) / total
    let spread = means - mean
    let within = all.narrow(axis: 1, start: c, length: c).sum(axes: [0], keepDims: true)
    let variance = (within + (spread * spread * counts).sum(axes: [0], keepDims: true)) / total
    return (mean, variance, total)
  }

  /// r ← (1 − momentum)·r + momentum·(μ, σ²·M/(M − 1)), in place, and one more batch tracked.
  private func updateRunningStatistics(mean: Tensor, variance: Tensor, total: Float) {
    let unbias = total / (total - 1)
    let pm = runningMean.storage.base, pv = runningVar.storage.base
    for i in 0..<channels {
      pm[i] = (1 - momentum) * pm[i] + momentum * mean[flat: i]
      pv[i] = (1 - momentum) * pv[i] + momentum * variance[flat: i] * unbias
    }
    runningMean.storage.markModified()
    runningVar.storage.markModified()
    numBatchesTracked[flat: 0] += 1
  }
}
