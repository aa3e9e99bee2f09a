import NN
import Tensors

/// CUT's antialiased resampling layers (spec §3.2; Zhang, "Making convolutional networks shift-invariant again",
/// 2019). Each keeps its fixed filter as the buffer `filt` (C, 1, k, k), so its state-dict key is the reference's
/// `model.<idx>.filt` and a converted checkpoint loads as it is; the filter is never trained or re-initialised.

/// The reference's `get_filter`: the outer product of a binomial row with itself, normalised to sum 1, then scaled
/// by `scale` and repeated for each of `channels` depthwise filters → (channels, 1, k, k).
func binomialFilter(_ row: [Float], channels: Int, scale: Float = 1) -> Tensor {
  let k = row.count, total = row.reduce(0, +) * row.reduce(0, +)
  let plane = (0..<k * k).map { row[$0 / k] * row[$0 % k] / total * scale }
  return Tensor((0..<channels).flatMap { _ in plane }, [channels, 1, k, k])
}

/// The reference's `Downsample(C)`: blur, then subsample by 2.
///
///     y = conv2d(reflectPad₁(x), filt, stride 2, groups C),   filt = (1,2,1)ᵀ(1,2,1)/16 per channel
///
/// x (N, C, H, W) → y (N, C, ⌈H/2⌉, ⌈W/2⌉); output pixel j is centred on input pixel 2j.
public final class BlurDownsample: Module, UnaryLayer {
  /// (C, 1, 3, 3), a buffer.
  public let filt: Tensor
  public let channels: Int

  public init(_ channels: Int) {
    self.channels = channels
    filt = binomialFilter([1, 2, 1], channels: channels)
    super.init()
    registerBuffer("filt", filt)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4 && x.shape[1] == channels,
                 "BlurDownsample: input must be (N, \(channels), H, W), got \(x.shape)")
    return conv2d(pad2d(x, 1, mode: .reflect), filt, nil, stride: 2, groups: channels)
  }
}

/// The reference's `Upsample(C)`: replicate-pad 1, depthwise transposed conv with filt = (1,3,3,1)ᵀ(1,3,3,1)/64·4,
/// stride 2, padding 2, then drop the first and the last row and column. Separably, in 1-D that is
///
///     y[2i] = ¾·x[i] + ¼·x[i−1],   y[2i+1] = ¾·x[i] + ¼·x[i+1]      (indices clamped to the image)
///
/// which is bilinear ×2 upsampling with half-pixel centres (align_corners false), so the layer computes it that way.
/// x (N, C, H, W) → y (N, C, 2H, 2W).
public final class BlurUpsample: Module, UnaryLayer {
  /// (C, 1, 4, 4), a buffer.
  public let filt: Tensor
  public let channels: Int

  public init(_ channels: Int) {
    self.channels = channels
    filt = binomialFilter([1, 3, 3, 1], channels: channels, scale: 4)
    super.init()
    registerBuffer("filt", filt)
  }

  // NOTE: the filter is fixed, and the identity with bilinear interpolation (checked in AntialiasTests against the
  // transposed-conv definition) avoids a grouped transposed conv, which the engine does not have.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4 && x.shape[1] == channels,
                 "BlurUpsample: input must be (N, \(channels), H, W), got \(x.shape)")
    return upsampleBilinear(x, scale: 2)
  }
}
