import NN
import Tensors

/// Small copies of the CycleGAN networks (specs/cyclegan-cut-enco.md §1.5, §1.6) built from NN layers, with the
/// reference code's state-dict keys, to test layers and naming against PyTorch. The real model files live in Models.

/// A module holding one Sequential under "model", as CycleGAN's networks do (`model.1.weight`).
final class ModelWrapper: Module, UnaryLayer {
  let model: Sequential
  init(_ model: Sequential) {
    self.model = model
    super.init()
    registerModule("model", model)
  }
  func callAsFunction(_ x: Tensor) -> Tensor { model(x) }
}

/// ResnetBlock without dropout: x + [pad, conv 3×3, IN, ReLU, pad, conv 3×3, IN](x); convs at conv_block.1 and .5.
final class ResnetBlock: Module, UnaryLayer {
  let convBlock: Sequential
  init(_ dim: Int) {
    convBlock = Sequential(ReflectionPad2d(1), Conv2d(dim, dim, kernel: 3), InstanceNorm2d(dim), ReLU(),
                           ReflectionPad2d(1), Conv2d(dim, dim, kernel: 3), InstanceNorm2d(dim))
    super.init()
    registerModule("conv_block", convBlock)
  }
  func callAsFunction(_ x: Tensor) -> Tensor { x + convBlock(x) }
}

/// CycleGAN's ResnetGenerator with instance norm (convs carry a bias) and no dropout.
func resnetGenerator(ngf: Int, blocks: Int, channels: Int = 3) -> ModelWrapper {
  let model = Sequential(ReflectionPad2d(3), Conv2d(channels, ngf, kernel: 7), InstanceNorm2d(ngf), ReLU())
  var c = ngf
  for _ in 0..<2 {
    for layer: any UnaryLayer in [Conv2d(c, 2 * c, kernel: 3, stride: 2, padding: 1), InstanceNorm2d(2 * c), ReLU()] {
      model.append(layer)
    }
    c *= 2
  }
  for _ in 0..<blocks { model.append(ResnetBlock(c)) }
  for _ in 0..<2 {
    let up = ConvTranspose2d(c, c / 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1)
    for layer: any UnaryLayer in [up, InstanceNorm2d(c / 2), ReLU()] { model.append(layer) }
    c /= 2
  }
  for layer: any UnaryLayer in [ReflectionPad2d(3), Conv2d(ngf, channels, kernel: 7), Tanh()] { model.append(layer) }
  return ModelWrapper(model)
}

/// CycleGAN's NLayerDiscriminator (PatchGAN) with instance norm: channels ndf·min(2ⁿ, 8), the last two convs stride 1.
func patchGAN(ndf: Int, layers: Int = 3, channels: Int = 3) -> ModelWrapper {
  let model = Sequential(Conv2d(channels, ndf, kernel: 4, stride: 2, padding: 1), LeakyReLU(0.2))
  var mult = 1
  for n in 1...layers {
    let previous = mult
    mult = min(1 << n, 8)
    let conv = Conv2d(ndf * previous, ndf * mult, kernel: 4, stride: n < layers ? 2 : 1, padding: 1)
    for layer: any UnaryLayer in [conv, InstanceNorm2d(ndf * mult), LeakyReLU(0.2)] { model.append(layer) }
  }
  model.append(Conv2d(ndf * mult, 1, kernel: 4, stride: 1, padding: 1))
  return ModelWrapper(model)
}
