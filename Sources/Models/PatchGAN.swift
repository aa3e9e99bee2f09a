import NN
import Tensors

/// CycleGAN's PatchGAN discriminator (`NLayerDiscriminator`, spec §1.6), one Sequential under `model`:
///
/// | idx | layer | channels |
/// |---|---|---|
/// | 0, 1 | conv 4×4 s2 p1 (bias), LeakyReLU 0.2 (no norm) | ndf |
/// | 3n−1 … 3n+1, n = 1 … layers−1 | conv 4×4 s2 p1, norm, LeakyReLU 0.2 | ndf·min(2ⁿ, 8) |
/// | 3·layers − 1 … | conv 4×4 **s1** p1, norm, LeakyReLU 0.2 | ndf·min(2^layers, 8) |
/// | 3·layers + 2 | conv 4×4 s1 p1 (bias) | 1 |
///
/// With 3 layers the convs are `model.{0,2,5,8,11}` and a 256² input gives a 30×30 map of raw scores (no sigmoid),
/// each seeing a 70×70 patch. Convs followed by a norm carry a bias iff the norm is instance norm.
public final class NLayerDiscriminator: Module, UnaryLayer {
  public let model: Sequential

  public init(inputNC: Int, ndf: Int = 64, layers: Int = 3, norm: NormKind = .instance) {
    precondition(layers >= 1, "NLayerDiscriminator: needs at least 1 layer, got \(layers)")
    let bias = norm.convBias
    var sequence: [any UnaryLayer] = [Conv2d(inputNC, ndf, kernel: 4, stride: 2, padding: 1), LeakyReLU(0.2)]
    var multiplier = 1
    for n in 1...layers {
      let previous = multiplier
      multiplier = min(1 << n, 8)
      let conv = Conv2d(ndf * previous, ndf * multiplier, kernel: 4, stride: n < layers ? 2 : 1, padding: 1, bias: bias)
      sequence += [conv, norm.layer(ndf * multiplier), LeakyReLU(0.2)]
    }
    sequence.append(Conv2d(ndf * multiplier, 1, kernel: 4, stride: 1, padding: 1))
    model = Sequential(sequence)
    super.init()
    registerModule("model", model)
  }

  /// x (N, inputNC, H, W) → scores (N, 1, H', W'), H' = H/2^(layers) − 2 for H divisible by 2^layers
  public func callAsFunction(_ x: Tensor) -> Tensor { model(x) }
}
