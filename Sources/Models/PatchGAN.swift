import NN
import Tensors

/// The PatchGAN discriminator (`NLayerDiscriminator`) of CycleGAN (spec §1.6) and CUT (§3.4), one Sequential
/// under `model`. CycleGAN's layout (no antialiasing):
///
/// | idx | layer | channels |
/// |---|---|---|
/// | 0, 1 | conv 4×4 s2 p1 (bias), LeakyReLU 0.2 (no norm) | ndf |
/// | 3n−1 … 3n+1, n = 1 … layers−1 | conv 4×4 s2 p1, norm, LeakyReLU 0.2 | ndf·min(2ⁿ, 8) |
/// | 3·layers − 1 … | conv 4×4 **s1** p1, norm, LeakyReLU 0.2 | ndf·min(2^layers, 8) |
/// | 3·layers + 2 | conv 4×4 s1 p1 (bias) | 1 |
///
/// With 3 layers the convs are `model.{0,2,5,8,11}` and a 256² input gives a 30×30 map of raw scores (no sigmoid),
/// each seeing a 70×70 patch. With `antialias` (CUT's default) the first `layers` convs run at stride 1 and each is
/// followed, after its activation, by a `BlurDownsample`: convs at `model.{0,3,7,11,14}`, blur filters at
/// `model.{2,6,10}.filt`, and a 256² input still gives 30×30 (255 → 128 → 127 → 64 → 63 → 32 → 31 → 30). Convs
/// followed by a norm carry a bias iff the norm is instance norm.
public final class NLayerDiscriminator: Module, UnaryLayer {
  public let model: Sequential

  public init(inputNC: Int, ndf: Int = 64, layers: Int = 3, norm: NormKind = .instance, antialias: Bool = false) {
    precondition(layers >= 1, "NLayerDiscriminator: needs at least 1 layer, got \(layers)")
    let bias = norm.convBias, firstStride = antialias ? 1 : 2
    var sequence: [any UnaryLayer] = [Conv2d(inputNC, ndf, kernel: 4, stride: firstStride, padding: 1), LeakyReLU(0.2)]
    if antialias { sequence.append(BlurDownsample(ndf)) }
    var multiplier = 1
    for n in 1...layers {
      let previous = multiplier
      multiplier = min(1 << n, 8)
      let conv = Conv2d(ndf * previous, ndf * multiplier, kernel: 4, stride: n < layers ? firstStride : 1, padding: 1,
                        bias: bias)
      sequence += [conv, norm.layer(ndf * multiplier), LeakyReLU(0.2)]
      if antialias && n < layers { sequence.append(BlurDownsample(ndf * multiplier)) }
    }
    sequence.append(Conv2d(ndf * multiplier, 1, kernel: 4, stride: 1, padding: 1))
    model = Sequential(sequence)
    super.init()
    registerModule("model", model)
  }

  /// x (N, inputNC, H, W) → scores (N, 1, H', W'), H' = H/2^(layers) − 2 for H divisible by 2^layers
  public func callAsFunction(_ x: Tensor) -> Tensor { model(x) }
}
