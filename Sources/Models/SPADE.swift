import Replicas
import NN
import Tensors

/// The parameter-free normalisation inside SPADE (the `(norm)` of the reference's `spade(norm)3x3`; spec §1.2).
public enum SPADENorm: String, OptionName, Sendable {
  /// InstanceNorm2d without affine: per sample and channel over (H, W).
  case instance
  /// BatchNorm2d without affine: per channel over this rank's (N, H, W), with running statistics.
  case batch
  /// Batch norm over the global batch, every rank's (N, H, W) together (the reference's SynchronizedBatchNorm2d,
  /// its default `spectralspadesyncbatch3x3`); on one process it is `batch`.
  case syncbatch
}

/// The module at a SPADE's `param_free_norm` and how to call it.
enum ParameterFreeNorm {
  case instance(InstanceNorm2d)
  case batch(BatchNorm2d)
  case synchronized(SynchronizedBatchNorm1d)

  init(_ kind: SPADENorm, _ channels: Int) {
    switch kind {
    case .instance: self = .instance(InstanceNorm2d(channels))
    case .batch: self = .batch(BatchNorm2d(channels, affine: false))
    case .syncbatch: self = .synchronized(SynchronizedBatchNorm1d(channels, affine: false))
    }
  }

  var module: Module {
    switch self {
    case .instance(let m): return m
    case .batch(let m): return m
    case .synchronized(let m): return m
    }
  }

  /// x (N, C, H, W) → normalised x; a collective for `synchronized` in training mode.
  func callAsFunction(_ x: Tensor, context: ReplicaContext) throws -> Tensor {
    switch self {
    case .instance(let m): return m(x)
    case .batch(let m): return m(x)
    case .synchronized(let m):
      // NOTE: the rows of (N·H·W, C) are the samples of a per-channel batch norm over (N, H, W); the two permutes
      // copy x and its gradient once each way.
      let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
      let rows = x.permute([0, 2, 3, 1]).reshape([n * h * w, c])
      return try m(rows, context: context).reshape([n, h, w, c]).permute([0, 3, 1, 2])
    }
  }
}

/// SPADE (Park et al. 2019; spec §1.2), as the reference's `normalization.py` codes it: a parameter-free norm of x,
/// then a scale and shift predicted from the label map resized (nearest) to x's size:
///
///     a = ReLU(conv_k(seg ↓ → hidden))                       mlp_shared.0 (+ ReLU at mlp_shared.1)
///     γ = conv_k(a → C),  β = conv_k(a → C)                  mlp_gamma, mlp_beta
///     y = norm(x) · (1 + γ) + β
///
/// Convs are k×k with zero padding k/2 and biases; hidden = 128 in the reference ("Yes, hardcoded").
/// x (N, C, H, W), seg (N, labelNC, H_s, W_s) → y (N, C, H, W). Keys: `param_free_norm.*` (batch norms' running
/// statistics), `mlp_shared.0.{weight,bias}`, `mlp_gamma.*`, `mlp_beta.*`.
public final class SPADE: Module {
  public let channels: Int, labelNC: Int
  let paramFreeNorm: ParameterFreeNorm
  public let mlpShared: Sequential
  public let mlpGamma: Conv2d, mlpBeta: Conv2d

  public init(norm: SPADENorm, channels: Int, labelNC: Int, hidden: Int = 128, kernel: Int = 3) {
    self.channels = channels
    self.labelNC = labelNC
    paramFreeNorm = ParameterFreeNorm(norm, channels)
    mlpShared = Sequential(Conv2d(labelNC, hidden, kernel: kernel, padding: kernel / 2), ReLU())
    mlpGamma = Conv2d(hidden, channels, kernel: kernel, padding: kernel / 2)
    mlpBeta = Conv2d(hidden, channels, kernel: kernel, padding: kernel / 2)
    super.init()
    registerModule("param_free_norm", paramFreeNorm.module)
    registerModule("mlp_shared", mlpShared)
    registerModule("mlp_gamma", mlpGamma)
    registerModule("mlp_beta", mlpBeta)
  }

  /// x (N, C, H, W), seg (N, labelNC, ·, ·) → norm(x)·(1 + γ(seg)) + β(seg); a collective with `syncbatch`.
  public func callAsFunction(_ x: Tensor, _ seg: Tensor, context: ReplicaContext) throws -> Tensor {
    precondition(x.rank == 4 && x.shape[1] == channels, "SPADE: x must be (N, \(channels), H, W), got \(x.shape)")
    precondition(seg.rank == 4 && seg.shape[0] == x.shape[0] && seg.shape[1] == labelNC,
                 "SPADE: seg must be (\(x.shape[0]), \(labelNC), H, W), got \(seg.shape)")
    let normalized = try paramFreeNorm(x, context: context)
    let resized = seg.shape[2] == x.shape[2] && seg.shape[3] == x.shape[3]
      ? seg : resizeNearest(seg, height: x.shape[2], width: x.shape[3])
    let actv = mlpShared(resized)
    return normalized * (mlpGamma(actv) + 1) + mlpBeta(actv)
  }
}
