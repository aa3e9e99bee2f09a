import Replicas
import NN
import Tensors

/// A zero-padded conv, spectrally normalised or not (the reference's `'spectral' in opt.norm_G`): the layer at a
/// SPADE ResBlk's conv position, with the state-dict keys of whichever it is (`weight`, or `weight_orig`,
/// `weight_u`, `weight_v`).
func spadeConv(_ inChannels: Int, _ outChannels: Int, kernel: Int, bias: Bool = true, spectral: Bool) -> any UnaryLayer {
  spectral ? SpectralNormConv2d(inChannels, outChannels, kernel: kernel, padding: kernel / 2, bias: bias)
           : Conv2d(inChannels, outChannels, kernel: kernel, padding: kernel / 2, bias: bias)
}

/// SPADE ResBlk (spec §1.2; the reference's `SPADEResnetBlock`), fin → fout with fmid = min(fin, fout):
///
///     dx = conv_1(lrelu(norm_1(conv_0(lrelu(norm_0(x, seg))), seg)))     conv 3×3 fin → fmid → fout
///     x_s = conv_s(norm_s(x, seg)) if fin ≠ fout (1×1, no bias; the learned shortcut), else x
///     y = x_s + dx
///
/// LeakyReLU slope 0.2; every SPADE sees the whole label map. Keys in the reference's order: `conv_0`, `conv_1`,
/// `conv_s`, `norm_0`, `norm_1`, `norm_s`. x (N, fin, H, W), seg (N, labelNC, ·, ·) → (N, fout, H, W).
///
/// NOTE: with instance norm in the SPADEs, conv_0's bias adds a per-channel constant that norm_1 removes: its true
/// gradient is 0, and computed it is rounding noise that Adam would turn into ±lr steps differing between runs and
/// world sizes (see `Sequential.append`). It is left out of the forward pass, keeping its key and value;
/// `cancelOutputBiases()` does the same for the biases that shift the block's output, when a network feeds that
/// output to normalising blocks only. With batch norm the bias still reaches the running mean, and so the eval-mode
/// output until the running mean has converged: it stays in the graph.
public final class SPADEResnetBlock: Module {
  public let fin: Int, fout: Int
  public var learnedShortcut: Bool { fin != fout }
  let conv0: any UnaryLayer, conv1: any UnaryLayer, convS: (any UnaryLayer)?
  public let norm0: SPADE, norm1: SPADE, normS: SPADE?
  /// Instance norm in the SPADEs: a per-channel constant in front of one is cancelled in every mode.
  let cancelsConstants: Bool

  public init(_ fin: Int, _ fout: Int, labelNC: Int, norm: SPADENorm, spectral: Bool, hidden: Int = 128) {
    self.fin = fin
    self.fout = fout
    let fmid = min(fin, fout), learned = fin != fout
    conv0 = spadeConv(fin, fmid, kernel: 3, spectral: spectral)
    conv1 = spadeConv(fmid, fout, kernel: 3, spectral: spectral)
    convS = learned ? spadeConv(fin, fout, kernel: 1, bias: false, spectral: spectral) : nil
    norm0 = SPADE(norm: norm, channels: fin, labelNC: labelNC, hidden: hidden)
    norm1 = SPADE(norm: norm, channels: fmid, labelNC: labelNC, hidden: hidden)
    normS = learned ? SPADE(norm: norm, channels: fin, labelNC: labelNC, hidden: hidden) : nil
    cancelsConstants = norm == .instance
    super.init()
    if cancelsConstants { Self.cancelBias(of: conv0) }
    registerModule("conv_0", conv0)
    registerModule("conv_1", conv1)
    if let convS { registerModule("conv_s", convS) }
    registerModule("norm_0", norm0)
    registerModule("norm_1", norm1)
    if let normS { registerModule("norm_s", normS) }
  }

  /// Leaves out the biases that add a per-channel constant to the block's output: conv_1's and the learned
  /// shortcut's SPADE β bias. For a block whose every consumer normalises its output (a SPADE generator's blocks but
  /// the last). Only with instance norm (see the type's note).
  public func cancelOutputBiases() {
    guard cancelsConstants else { return }
    Self.cancelBias(of: conv1)
    normS?.mlpBeta.biasIsCancelled = true
  }

  static func cancelBias(of conv: any UnaryLayer) {
    (conv as? Conv2d)?.biasIsCancelled = true
    (conv as? SpectralNormConv2d)?.biasIsCancelled = true
  }

  /// x (N, fin, H, W), seg (N, labelNC, ·, ·) → (N, fout, H, W); a collective with synchronised batch norm.
  public func callAsFunction(_ x: Tensor, _ seg: Tensor, context: ReplicaContext) throws -> Tensor {
    let shortcut: Tensor
    if let convS, let normS { shortcut = convS(try normS(x, seg, context: context)) } else { shortcut = x }
    let dx = conv0(leakyRelu(try norm0(x, seg, context: context), slope: 0.2))
    return shortcut + conv1(leakyRelu(try norm1(dx, seg, context: context), slope: 0.2))
  }
}
