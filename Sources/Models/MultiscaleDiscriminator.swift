import NN
import Tensors

/// One scale of the SPADE-family PatchGAN (the reference's `NLayerDiscriminator` in SPADE/ECGAN
/// `discriminator.py`; spec §1.3), kernel 4, padding 2 (⌈3/2⌉), layers as `model0` … `model<layers>`:
///
/// | key | layer | channels |
/// |---|---|---|
/// | model0.0 | conv s2 (bias), LeakyReLU 0.2 | ndf |
/// | model<n>.0.0, model<n>.0.1 | conv (no bias; spectral), InstanceNorm, LeakyReLU 0.2 — s2, but s1 for n = layers−1 | min(2ⁿ·ndf, 512) |
/// | model<layers>.0 | conv s1 (bias) | 1 |
///
/// (`norm_D spectralinstance`, the reference's default: the norm layer drops the conv's bias.) The forward pass
/// returns every group's output, the score map last: the intermediate ones are what feature matching compares.
public final class SPADEPatchDiscriminator: Module {
  public let groups: [Sequential]

  public init(inputNC: Int, ndf: Int = 64, layers: Int = 4, spectral: Bool = true) {
    precondition(layers >= 1, "SPADEPatchDiscriminator: needs at least 1 layer, got \(layers)")
    var groups = [Sequential(Conv2d(inputNC, ndf, kernel: 4, stride: 2, padding: 2), LeakyReLU(0.2))]
    var nf = ndf
    for n in 1..<layers {
      let previous = nf
      nf = min(nf * 2, 512)
      let stride = n == layers - 1 ? 1 : 2
      let conv: any UnaryLayer = spectral
        ? SpectralNormConv2d(previous, nf, kernel: 4, stride: stride, padding: 2, bias: false)
        : Conv2d(previous, nf, kernel: 4, stride: stride, padding: 2, bias: false)
      groups.append(Sequential(Sequential(conv, InstanceNorm2d(nf)), LeakyReLU(0.2)))
    }
    groups.append(Sequential(Conv2d(nf, 1, kernel: 4, stride: 1, padding: 2)))
    self.groups = groups
    super.init()
    for (n, g) in groups.enumerated() { registerModule("model\(n)", g) }
  }

  /// x (N, inputNC, H, W) → [model0(x), model1(model0(x)), …, scores (N, 1, H', W')].
  public func callAsFunction(_ x: Tensor) -> [Tensor] {
    var outputs: [Tensor] = []
    for g in groups { outputs.append(g(outputs.last ?? x)) }
    return outputs
  }
}

/// The multi-scale discriminator of SPADE/ECGAN (spec §1.3): `numD` PatchGANs `discriminator_0` … , the k-th
/// seeing the input average-pooled k times (3×3, stride 2, padding 1, count_include_pad False). Returns, per scale,
/// every layer's output (the score map last).
public final class MultiscaleDiscriminator: Module {
  public let scales: [SPADEPatchDiscriminator]

  public init(inputNC: Int, ndf: Int = 64, layers: Int = 4, numD: Int = 2, spectral: Bool = true) {
    precondition(numD >= 1, "MultiscaleDiscriminator: needs at least one scale, got \(numD)")
    scales = (0..<numD).map { _ in SPADEPatchDiscriminator(inputNC: inputNC, ndf: ndf, layers: layers, spectral: spectral) }
    super.init()
    for (k, d) in scales.enumerated() { registerModule("discriminator_\(k)", d) }
  }

  /// x (N, inputNC, H, W) → [[Tensor]]: scale k's layer outputs on x pooled k times.
  public func callAsFunction(_ x: Tensor) -> [[Tensor]] {
    var input = x, result: [[Tensor]] = []
    for (k, d) in scales.enumerated() {
      if k > 0 { input = avgPool2d(input, kernel: 3, stride: 2, padding: 1, countIncludePad: false) }
      result.append(d(input))
    }
    return result
  }

  /// The reference's `discriminate`: D judges cat(condition, fake) and cat(condition, real) in one batch (fake
  /// first), and the outputs are split back into the fake half and the real half.
  /// condition (N, c, H, W), fake and real (N, 3, H, W) → per scale and layer, (N, ·, ·, ·) each.
  public func judge(condition: Tensor, fake: Tensor, real: Tensor) -> (fake: [[Tensor]], real: [[Tensor]]) {
    let n = fake.shape[0]
    let both = Tensor.concat([Tensor.concat([condition, fake], axis: 1), Tensor.concat([condition, real], axis: 1)], axis: 0)
    let outputs = self(both)
    return (outputs.map { $0.map { $0.narrow(axis: 0, start: 0, length: n) } },
            outputs.map { $0.map { $0.narrow(axis: 0, start: n, length: n) } })
  }
}
