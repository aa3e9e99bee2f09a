/// 2-D convolution (PyTorch `conv2d`, zero padding, groups; depthwise when groups = C = O):
///
///     y[n, o, oy, ox] = b[o] + Σ_{c ∈ group(o), ky, kx} w[o, c, ky, kx] · x[n, c, oy·s + ky − p, ox·s + kx − p]
///
/// x (N, C, H, W), w (O, C/groups, kh, kw), b (O) or nil → y (N, O, (H + 2p − kh)/s + 1, (W + 2p − kw)/s + 1).
/// Backward, each only when its input requires grad: gx = convᵀ(gy) (col2im(Wᵀ·gy)),
/// gw = Σ_n gy_n · im2col(x_n)ᵀ, gb[o] = Σ_{n, oy, ox} gy[n, o, oy, ox]. Kernels: ConvEngine.swift.
public func conv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int = 1, padding: Int = 0, groups: Int = 1) -> Tensor {
  precondition(x.rank == 4 && w.rank == 4, "conv2d: x \(x.shape) and w \(w.shape) must be 4-d (NCHW and OIHW)")
  let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
  precondition(groups >= 1 && x.shape[1] == w.shape[1] * groups && o % groups == 0,
               "conv2d: x \(x.shape) and w \(w.shape) do not fit groups \(groups)")
  precondition(stride >= 1 && padding >= 0, "conv2d: stride \(stride) must be ≥ 1 and padding \(padding) ≥ 0")
  precondition(x.shape[2] + 2 * padding >= kh && x.shape[3] + 2 * padding >= kw,
               "conv2d: kernel \(w.shape) larger than input \(x.shape) padded by \(padding)")
  precondition(b == nil || b!.shape == [o], "conv2d: bias \(b?.shape ?? []) must be [\(o)] for w \(w.shape)")

  let shape = Conv2dShape(batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3],
                          outChannels: o, kernelH: kh, kernelW: kw, stride: stride, padding: padding, groups: groups)
  let y = Tensor(uninitialized: [shape.batch, o, shape.outHeight, shape.outWidth])
  shape.forward(x: x.storage.base, w: w.storage.base, y: y.storage.base)
  if let b { addChannelBias(b, to: y) }

  let needB = b?.requiresGrad ?? false
  let sx = w.requiresGrad ? x.saved(for: "conv2d") : nil  // x is needed only for gw, w only for gx
  let sw = x.requiresGrad ? w.saved(for: "conv2d") : nil
  let (xShape, wShape) = (x.shape, w.shape)
  return Tensor.record("conv2d", y, inputs: b.map { [x, w, $0] } ?? [x, w]) { gy in
    let gx = sw.map { _ in Tensor(uninitialized: xShape) }, gw = sx.map { _ in Tensor(uninitialized: wShape) }
    shape.backward(gy: gy.storage.base, w: try sw?.get().storage.base, gx: gx?.storage.base,
                   x: try sx?.get().storage.base, gw: gw?.storage.base)
    return [gx, gw, needB ? channelSum(gy) : nil]
  }
}

/// y[n, c, ...] += b[c] in place, for y (N, C, ...) freshly computed by the caller.
func addChannelBias(_ b: Tensor, to y: Tensor) {
  let (n, c) = (y.shape[0], y.shape[1])
  let plane = y.count / max(n * c, 1)
  let pb = b.storage.base, py = y.storage.base
  parallelFor(n * c, grain: max(1, elementsPerThread / max(plane, 1))) { r in
    for i in r {
      let v = pb[i % c], row = py + i &* plane
      for j in 0..<plane { row[j] += v }
    }
  }
}

/// s[c] = Σ_{n, ...} g[n, c, ...]: the gradient of a per-channel bias.
func channelSum(_ g: Tensor) -> Tensor {
  let (n, c) = (g.shape[0], g.shape[1])
  let plane = g.count / max(n * c, 1)
  let out = Tensor(uninitialized: [c])
  let pg = g.storage.base, po = out.storage.base
  parallelFor(c, grain: max(1, elementsPerThread / max(n * plane, 1))) { r in
    for ch in r {
      var s: Float = 0
      for img in 0..<n { s += planeSum(pg + (img &* c &+ ch) &* plane, plane) }
      po[ch] = s
    }
  }
  return out
}

/// p[0] + … + p[count − 1], in sixteen interleaved partial sums (a strict left-to-right sum does not vectorise).
@inline(__always)
private func planeSum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
  var acc = SIMD16<Float>.zero
  var i = 0
  while i &+ 16 <= count {
    acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
    i &+= 16
  }
  var s = acc.sum()
  while i < count { s += p[i]; i &+= 1 }
  return s
}
