/// Transposed 2-D convolution (PyTorch `conv_transpose2d`, groups 1): the adjoint of a conv2d, plus a bias.
///
///     y[n, o, iy·s + ky − p, ix·s + kx − p] += w[i, o, ky, kx] · x[n, i, iy, ix]      then y[n, o] += b[o]
///
/// x (N, I, H, W), w (I, O, kh, kw), b (O) or nil → y (N, O, (H − 1)·s − 2p + kh + op, (W − 1)·s − 2p + kw + op),
/// op = outputPadding < stride adding rows and columns at the bottom/right that receive only the bias.
/// It is the input gradient of the conv2d from y's shape to x's (weight [I, O, kh, kw] read as that conv's
/// [out, in, kh, kw]), so with that conv's passes: y = col2im(Wᵀ·x), gx = conv(gy), gw = Σ_n x_n · im2col(gy_n)ᵀ,
/// gb = Σ_{n, y, x} gy.
public func convTranspose2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0) -> Tensor {
  precondition(x.rank == 4 && w.rank == 4 && x.shape[1] == w.shape[0],
               "convTranspose2d: x \(x.shape) and w \(w.shape) must be (N, I, H, W) and (I, O, kh, kw)")
  precondition(stride >= 1 && padding >= 0 && outputPadding >= 0 && outputPadding < stride,
               "convTranspose2d: need stride ≥ 1, padding ≥ 0, 0 ≤ outputPadding < stride; got \(stride), \(padding), \(outputPadding)")
  let (o, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
  let height = (x.shape[2] - 1) * stride - 2 * padding + kh + outputPadding
  let width = (x.shape[3] - 1) * stride - 2 * padding + kw + outputPadding
  precondition(height > 0 && width > 0, "convTranspose2d: x \(x.shape), w \(w.shape) give an empty output")
  precondition(b == nil || b!.shape == [o], "convTranspose2d: bias \(b?.shape ?? []) must be [\(o)] for w \(w.shape)")

  let adjoint = Conv2dShape(batch: x.shape[0], inChannels: o, height: height, width: width, outChannels: x.shape[1],
                            kernelH: kh, kernelW: kw, stride: stride, padding: padding, groups: 1)
  let y = Tensor(uninitialized: [x.shape[0], o, height, width])
  adjoint.inputGradient(gy: x.storage.base, w: w.storage.base, gx: y.storage.base)
  if let b { addChannelBias(b, to: y) }

  let needB = b?.requiresGrad ?? false
  let sx = w.requiresGrad ? x.saved(for: "conv_transpose2d") : nil
  let sw = x.requiresGrad ? w.saved(for: "conv_transpose2d") : nil
  let (xShape, wShape) = (x.shape, w.shape)
  return Tensor.record("conv_transpose2d", y, inputs: b.map { [x, w, $0] } ?? [x, w]) { gy in
    let gx = sw.map { _ in Tensor(uninitialized: xShape) }, gw = sx.map { _ in Tensor(uninitialized: wShape) }
    adjoint.forwardAndWeightGradient(x: gy.storage.base, w: try sw?.get().storage.base, y: gx?.storage.base,
                                     gy: try sx?.get().storage.base, gw: gw?.storage.base)
    return [gx, gw, needB ? channelSum(gy) : nil]
  }
}
