import Replicas
import NN
import Tensors

/// The shape of ECGAN's generator (spec §2.4, §7). `paper` is the official code's (ngf 64, head_0, G_middle_0,
/// G_middle_1, up_0 … up_3, `num_upsampling_layers normal`); `mini` is the CPU default of §7: ngf 16 and 4 SPADE
/// ResBlks, head_0 and up_0 … up_2.
public struct ECGANGeneratorShape: Equatable, Sendable {
  /// Channels of the one-hot label map with its dontcare and instance-edge channels (the SPADEs' input).
  public var semanticNC: Int
  /// Classes, without dontcare and instance edge: the width of the semantic-preserving module's class features.
  public var labelNC: Int
  public var ngf = 16
  /// G_middle_0 and G_middle_1 after head_0 (the reference always has them; with them comes the ×2 upsampling
  /// after head_0).
  public var middleBlocks = false
  /// `num_upsampling_layers more`: one more ×2 between G_middle_0 and G_middle_1 (Cityscapes).
  public var moreUpsampling = false
  /// up_0 … up_(n−1): each halves the width and follows a ×2 upsampling, the last ending at ngf; head_0 runs at
  /// ngf·2ⁿ (the reference: n = 4, 16·ngf).
  public var upBlocks = 3
  public var spadeNorm = SPADENorm.instance
  /// The SPADEs' hidden width (the reference hard-codes 128).
  public var spadeHidden = 128
  /// Spectral norm on the ResBlks' convs (`spectral…` in `norm_G`; the reference's default).
  public var spectral = true
  /// Widths of the edge and image heads' first three convs (the reference hard-codes 32, 16, 8 at every ngf).
  public var headChannels = [32, 16, 8]

  public init(semanticNC: Int, labelNC: Int) {
    self.semanticNC = semanticNC
    self.labelNC = labelNC
  }

  public static func mini(semanticNC: Int, labelNC: Int) -> ECGANGeneratorShape {
    ECGANGeneratorShape(semanticNC: semanticNC, labelNC: labelNC)
  }

  /// The official code's generator: ngf 64, 7 ResBlks, synchronised batch norm in the SPADEs.
  public static func paper(semanticNC: Int, labelNC: Int, moreUpsampling: Bool = false) -> ECGANGeneratorShape {
    var s = ECGANGeneratorShape(semanticNC: semanticNC, labelNC: labelNC)
    (s.ngf, s.middleBlocks, s.moreUpsampling, s.upBlocks, s.spadeNorm) = (64, true, moreUpsampling, 4, .syncbatch)
    return s
  }

  /// Width of head_0 and the middle blocks.
  public var topChannels: Int { ngf << upBlocks }
  /// Number of ×2 upsamplings from the latent grid to the output: the label map's height and width must be
  /// multiples of 2 to this power.
  public var upsamplings: Int { upBlocks + (middleBlocks ? 1 : 0) + (moreUpsampling ? 1 : 0) }
}

/// What the generator returns: I′ (the image branch after the edge attention, roughly in [−2, 2]), I″ (the
/// semantic-preserving module's image, tanh), I′_e (the edge map, tanh), and the last SPADE features x
/// (N, ngf, H, W) that the heads read.
public struct ECGANGeneratorOutput {
  public let image: Tensor, refinedImage: Tensor, edge: Tensor, features: Tensor
}

/// ECGAN's generator as the official code (984be01, `SPADEGenerator`) builds it (spec §2.4): one SPADE trunk from
/// the label map, then an edge head and an image head whose features the edge features gate (attention-guided edge
/// transfer), and the semantic-preserving module.
///
///     x = fc(seg ↓ nearest to H/2ᵘ × W/2ᵘ)                              conv 3×3 semanticNC → ngf·2ⁿ
///     x = head_0(x) [, ↑, G_middle_0 [, ↑], G_middle_1],  then (↑, up_k) for k < n    (↑ nearest ×2)
///     e_k = conv_edge_k(lrelu(e_(k−1))), e_0 = x;   i_k = conv_img_k(lrelu(i_(k−1))), i_0 = x
///     i_k ← i_k · σ(e_k) + i_k  for k = 1, 2, 3
///     I′_e = tanh(e_4);  I′ = tanh(i_4) · σ(tanh(e_4)) + tanh(i_4)
///     c = cat(x, I′, I′_e, seg);  F = conv_comb1(lrelu(c)) (→ labelNC);  F ← F + F · σ(GAP(F))
///     I″ = tanh(conv_comb(lrelu(conv_comb2(lrelu(F)))))             conv_comb2 → ngf + 6 + semanticNC → 3
///
/// LeakyReLU slope 0.2, every conv 3×3 zero-padded with a bias. The reference's `fc1` (Linear labelNC → labelNC)
/// is built but never used; it is kept so that the state dicts load both ways (it gets no gradient). Its label
/// existence vector is computed but its product is commented out, so it is not an input here.
public final class ECGANGenerator: Module {
  public let shape: ECGANGeneratorShape
  public let fc: Conv2d
  public let trunk: [(name: String, block: SPADEResnetBlock)]
  public let convImage: [Conv2d], convEdge: [Conv2d]
  public let convComb: Conv2d, convComb1: Conv2d, convComb2: Conv2d
  public let fc1: Linear

  public init(_ shape: ECGANGeneratorShape) {
    precondition(shape.upBlocks >= 1 && shape.headChannels.count == 3 && shape.ngf >= 1,
                 "ECGANGenerator: needs up blocks ≥ 1, 3 head widths and ngf ≥ 1, got \(shape)")
    self.shape = shape
    let top = shape.topChannels, nf = shape.ngf
    let block = { (fin: Int, fout: Int) in
      SPADEResnetBlock(fin, fout, labelNC: shape.semanticNC, norm: shape.spadeNorm, spectral: shape.spectral,
                       hidden: shape.spadeHidden)
    }
    fc = Conv2d(shape.semanticNC, top, kernel: 3, padding: 1)
    var trunk = [("head_0", block(top, top))]
    if shape.middleBlocks { trunk += [("G_middle_0", block(top, top)), ("G_middle_1", block(top, top))] }
    for k in 0..<shape.upBlocks { trunk.append(("up_\(k)", block(nf << (shape.upBlocks - k), nf << (shape.upBlocks - k - 1)))) }
    self.trunk = trunk
    let widths = [nf] + shape.headChannels + [3]
    convImage = (0..<4).map { Conv2d(widths[$0], widths[$0 + 1], kernel: 3, padding: 1) }
    convEdge = (0..<4).map { Conv2d(widths[$0], widths[$0 + 1], kernel: 3, padding: 1) }
    let combined = nf + 3 + 3 + shape.semanticNC
    convComb = Conv2d(combined, 3, kernel: 3, padding: 1)
    convComb1 = Conv2d(combined, shape.labelNC, kernel: 3, padding: 1)
    convComb2 = Conv2d(shape.labelNC, combined, kernel: 3, padding: 1)
    fc1 = Linear(shape.labelNC, shape.labelNC)
    super.init()
    // Every block but the last feeds its output to the next block's SPADEs only, which normalise it per channel;
    // fc's output reaches the outputs only through head_0's SPADEs and its identity shortcut into the next block.
    // Their biases are cancelled by that structure (see `SPADEResnetBlock`).
    for (_, block) in self.trunk.dropLast() { block.cancelOutputBiases() }
    if !self.trunk[0].block.learnedShortcut && shape.spadeNorm == .instance { fc.biasIsCancelled = true }
    registerModule("fc", fc)
    for (name, b) in trunk { registerModule(name, b) }
    for (k, c) in convImage.enumerated() { registerModule("conv_img\(k + 1)", c) }
    for (k, c) in convEdge.enumerated() { registerModule("conv_edge\(k + 1)", c) }
    registerModule("conv_comb", convComb)
    registerModule("conv_comb1", convComb1)
    registerModule("conv_comb2", convComb2)
    registerModule("fc1", fc1)
  }

  /// seg (N, semanticNC, H, W), H and W multiples of 2^upsamplings → I′, I″, I′_e (N, 3, H, W) and the trunk's
  /// features; a collective with synchronised batch norm.
  public func callAsFunction(_ seg: Tensor, context: ReplicaContext) throws -> ECGANGeneratorOutput {
    let features = try trunkFeatures(seg, context: context)
    let (image, edge) = edgeGuidedHeads(features)
    let refined = semanticPreserving(features: features, image: image, edge: edge, seg: seg)
    return ECGANGeneratorOutput(image: image, refinedImage: refined, edge: edge, features: features)
  }

  /// The SPADE trunk: seg → x (N, ngf, H, W).
  public func trunkFeatures(_ seg: Tensor, context: ReplicaContext) throws -> Tensor {
    let scale = 1 << shape.upsamplings
    precondition(seg.rank == 4 && seg.shape[1] == shape.semanticNC && seg.shape[2] % scale == 0 && seg.shape[3] % scale == 0,
                 "ECGANGenerator: seg must be (N, \(shape.semanticNC), H, W) with H, W multiples of \(scale), got \(seg.shape)")
    var x = fc(resizeNearest(seg, height: seg.shape[2] / scale, width: seg.shape[3] / scale))
    for (name, block) in trunk {
      // ×2 before every up block; after head_0 and (with `more`) between the middle blocks.
      if name.hasPrefix("up_") || name == "G_middle_0" || (name == "G_middle_1" && shape.moreUpsampling) {
        x = upsampleNearest(x, scale: 2)
      }
      x = try block(x, seg, context: context)
    }
    return x
  }

  /// The edge and image heads with the attention-guided edge transfer: x → (I′, I′_e).
  func edgeGuidedHeads(_ x: Tensor) -> (image: Tensor, edge: Tensor) {
    var e = x, i = x
    for k in 0..<3 {
      e = convEdge[k](leakyRelu(e, slope: 0.2))
      i = convImage[k](leakyRelu(i, slope: 0.2))
      i = i * sigmoid(e) + i
    }
    let edgeLogits = convEdge[3](leakyRelu(e, slope: 0.2))
    let edge = tanh(edgeLogits)
    let image = tanh(convImage[3](leakyRelu(i, slope: 0.2)))
    return (image * sigmoid(edge) + image, edge)
  }

  /// The semantic-preserving module: per-class features reweighted by their global average, then I″.
  func semanticPreserving(features: Tensor, image: Tensor, edge: Tensor, seg: Tensor) -> Tensor {
    let combined = Tensor.concat([features, image, edge, seg], axis: 1)
    let classFeatures = convComb1(leakyRelu(combined, slope: 0.2))  // (N, labelNC, H, W)
    let gamma = sigmoid(classFeatures.mean(axes: [2, 3], keepDims: true))  // (N, labelNC, 1, 1)
    let refined = convComb2(leakyRelu(classFeatures * gamma + classFeatures, slope: 0.2))
    return tanh(convComb(leakyRelu(refined, slope: 0.2)))
  }
}
