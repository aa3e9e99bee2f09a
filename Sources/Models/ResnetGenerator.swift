import NN
import Tensors

/// CycleGAN's ResNet generator (Johnson et al.; spec §1.5), one Sequential under `model` with the reference
/// indices, so its state-dict keys are PyTorch's:
///
/// | idx | layer | out for (N, inputNC, H, W) |
/// |---|---|---|
/// | 0–3 | reflect-pad 3, conv 7×7 → ngf, norm, ReLU | (N, ngf, H, W) |
/// | 4–6 | conv 3×3 s2 p1 → 2ngf, norm, ReLU | (N, 2ngf, H/2, W/2) |
/// | 7–9 | conv 3×3 s2 p1 → 4ngf, norm, ReLU | (N, 4ngf, H/4, W/4) |
/// | 10 … 9+B | B × ResnetBlock(4ngf) | (N, 4ngf, H/4, W/4) |
/// | then | convT 3×3 s2 p1 op1 → 2ngf, norm, ReLU; convT → ngf, norm, ReLU | (N, ngf, H, W) |
/// | last 3 | reflect-pad 3, conv 7×7 → outputNC (bias), tanh | (N, outputNC, H, W) in [−1, 1] |
///
/// Convs followed by a norm carry a bias iff the norm is instance norm; H and W must be multiples of 4.
public final class ResnetGenerator: Module, UnaryLayer {
  public let model: Sequential

  public init(inputNC: Int, outputNC: Int, ngf: Int = 64, norm: NormKind = .instance, useDropout: Bool = false,
              blocks: Int = 9) {
    precondition(blocks >= 0, "ResnetGenerator: the number of residual blocks must be ≥ 0, got \(blocks)")
    let bias = norm.convBias
    var layers: [any UnaryLayer] = [
      ReflectionPad2d(3), Conv2d(inputNC, ngf, kernel: 7, bias: bias), norm.layer(ngf), ReLU(),
    ]
    for i in 0..<2 {  // downsampling
      let c = ngf << i
      layers += [Conv2d(c, 2 * c, kernel: 3, stride: 2, padding: 1, bias: bias), norm.layer(2 * c), ReLU()]
    }
    for _ in 0..<blocks { layers.append(ResnetBlock(4 * ngf, norm: norm, useDropout: useDropout)) }
    for i in 0..<2 {  // upsampling
      let c = ngf << (2 - i)
      layers += [ConvTranspose2d(c, c / 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1, bias: bias),
                 norm.layer(c / 2), ReLU()]
    }
    layers += [ReflectionPad2d(3), Conv2d(ngf, outputNC, kernel: 7), Tanh()]
    model = Sequential(layers)
    super.init()
    registerModule("model", model)
  }

  /// x (N, inputNC, H, W) → (N, outputNC, H, W)
  public func callAsFunction(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4 && x.shape[2] % 4 == 0 && x.shape[3] % 4 == 0,
                 "ResnetGenerator: input must be (N, C, H, W) with H and W multiples of 4, got \(x.shape)")
    return model(x)
  }
}

/// x + F(x), F = [reflect-pad 1, conv 3×3, norm, ReLU, (Dropout 0.5), reflect-pad 1, conv 3×3, norm] under
/// `conv_block`, so its convs sit at `conv_block.1` and `conv_block.5` (`.6` with dropout). x, y (N, dim, H, W);
/// no activation after the sum.
public final class ResnetBlock: Module, UnaryLayer {
  public let convBlock: Sequential

  public init(_ dim: Int, norm: NormKind = .instance, useDropout: Bool = false) {
    let bias = norm.convBias
    var layers: [any UnaryLayer] = [ReflectionPad2d(1), Conv2d(dim, dim, kernel: 3, bias: bias), norm.layer(dim), ReLU()]
    if useDropout { layers.append(Dropout(p: 0.5)) }
    layers += [ReflectionPad2d(1), Conv2d(dim, dim, kernel: 3, bias: bias), norm.layer(dim)]
    convBlock = Sequential(layers)
    super.init()
    registerModule("conv_block", convBlock)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { x + convBlock(x) }
}
