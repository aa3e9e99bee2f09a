import NN
import Tensors

/// The ResNet generator (Johnson et al.) of CycleGAN (spec §1.5) and CUT (§3.3), one Sequential under `model` with
/// the reference indices, so its state-dict keys are PyTorch's. CycleGAN's layout (no antialiasing):
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
/// With `antialias` each downsampling step is [conv 3×3 **s1** p1, norm, ReLU, BlurDownsample] (4 layers), and with
/// `antialiasUp` each upsampling step is [BlurUpsample, conv 3×3 s1 p1, norm, ReLU]; CUT's default has both, giving
/// 0–3 stem, 4–7 and 8–11 down, 12 … 11+B blocks, then 21–24 and 25–28 up, 29–31 head for B = 9. The parameter
/// count does not change (the blur filters are buffers).
///
/// Convs followed by a norm carry a bias iff the norm is instance norm; H and W must be multiples of 4.
public final class ResnetGenerator: Module, UnaryLayer {
  public let model: Sequential

  public init(inputNC: Int, outputNC: Int, ngf: Int = 64, norm: NormKind = .instance, useDropout: Bool = false,
              blocks: Int = 9, antialias: Bool = false, antialiasUp: Bool = false) {
    precondition(blocks >= 0, "ResnetGenerator: the number of residual blocks must be ≥ 0, got \(blocks)")
    let bias = norm.convBias
    var layers: [any UnaryLayer] = [
      ReflectionPad2d(3), Conv2d(inputNC, ngf, kernel: 7, bias: bias), norm.layer(ngf), ReLU(),
    ]
    for i in 0..<2 {  // downsampling
      let c = ngf << i
      layers += [Conv2d(c, 2 * c, kernel: 3, stride: antialias ? 1 : 2, padding: 1, bias: bias), norm.layer(2 * c),
                 ReLU()]
      if antialias { layers.append(BlurDownsample(2 * c)) }
    }
    for _ in 0..<blocks { layers.append(ResnetBlock(4 * ngf, norm: norm, useDropout: useDropout)) }
    for i in 0..<2 {  // upsampling
      let c = ngf << (2 - i)
      if antialiasUp {
        layers += [BlurUpsample(c), Conv2d(c, c / 2, kernel: 3, padding: 1, bias: bias)]
      } else {
        layers.append(ConvTranspose2d(c, c / 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1, bias: bias))
      }
      layers += [norm.layer(c / 2), ReLU()]
    }
    layers += [ReflectionPad2d(3), Conv2d(ngf, outputNC, kernel: 7), Tanh()]
    model = Sequential(layers)
    super.init()
    registerModule("model", model)
  }

  /// The number of Sequential layers (`model.count`) of a generator with `blocks` residual blocks.
  public static func layerCount(blocks: Int, antialias: Bool, antialiasUp: Bool) -> Int {
    4 + 2 * (antialias ? 4 : 3) + blocks + 2 * (antialiasUp ? 4 : 3) + 3
  }

  /// x (N, inputNC, H, W) → (N, outputNC, H, W)
  public func callAsFunction(_ x: Tensor) -> Tensor {
    checkInput(x)
    return model(x)
  }

  /// The output together with the outputs of the Sequential layers `layers` (indices into `model`, in the order
  /// given), from one pass: the reference's `forward(input, layers)`, as EnCo uses it.
  public func callAsFunction(_ x: Tensor, features layers: [Int]) -> (output: Tensor, features: [Tensor]) {
    checkInput(x)
    let (output, features) = run(x, layers: layers, through: model.count - 1)
    return (output, features)
  }

  /// The outputs of the Sequential layers `layers` (in the order given), running the layers only up to the largest
  /// index: the reference's `forward(input, layers, encode_only=True)`, CUT's PatchNCE encoder.
  public func encode(_ x: Tensor, layers: [Int]) -> [Tensor] {
    checkInput(x)
    return run(x, layers: layers, through: layers.max() ?? -1).features
  }

  private func run(_ x: Tensor, layers: [Int], through last: Int) -> (output: Tensor, features: [Tensor]) {
    precondition(Set(layers).count == layers.count && layers.allSatisfy { (0..<model.count).contains($0) },
                 "ResnetGenerator: feature layers \(layers) must be distinct indices in 0..<\(model.count)")
    var kept: [Int: Tensor] = [:]
    var y = x
    for i in stride(from: 0, through: last, by: 1) {
      y = model[i](y)
      if layers.contains(i) { kept[i] = y }
    }
    return (y, layers.map { kept[$0]! })
  }

  private func checkInput(_ x: Tensor) {
    precondition(x.rank == 4 && x.shape[2] % 4 == 0 && x.shape[3] % 4 == 0,
                 "ResnetGenerator: input must be (N, C, H, W) with H and W multiples of 4, got \(x.shape)")
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
