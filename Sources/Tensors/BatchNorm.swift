/// Batch normalisation (PyTorch `batch_norm`) of x [N, C] or [N, C, *] per channel c, with weight and bias [C].
///
/// Training (or no running statistics, like `track_running_stats=False`): the batch statistics over (N, *) —
///   y = (x − μ_c)/√(σ²_c + eps)·w[c] + b[c],  σ² biased;
///   dx = (w[c]/σ_c)(gy − mean(gy) − x̂·mean(gy·x̂)),  dw[c] = Σ gy·x̂,  db[c] = Σ gy;
/// and the running statistics [C] are updated in place: r ← (1 − momentum)·r + momentum·(μ, σ²·M/(M − 1)), M = N·|*|.
/// Evaluation: the running statistics are constants, y = (x − r_μ)/√(r_σ² + eps)·w + b, so dx = gy·w/√(r_σ² + eps).
public func batchNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
                      training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
  precondition(x.rank >= 2, "batchNorm: input \(x.shape) must be [N, C] or [N, C, spatial...]")
  let (n, c) = (x.shape[0], x.shape[1])
  let layout = GroupLayout(outer: n, groups: c, inner: x.count / max(n * c, 1), channels: c)
  for (name, r) in [("runningMean", runningMean), ("runningVar", runningVar)] {
    if let r { precondition(r.shape == [c], "batchNorm: \(name) \(r.shape) must be [\(c)] for input \(x.shape)") }
  }
  precondition((runningMean == nil) == (runningVar == nil), "batchNorm: give both running statistics or neither")

  if !training, let runningMean, let runningVar {
    return batchNormInference(x, layout, weight: weight, bias: bias, mean: runningMean, variance: runningVar, eps: eps)
  }
  let m = layout.groupCount
  precondition(m > 1, "batchNorm: training needs more than one value per channel, input is \(x.shape)")
  let (y, mean, variance) = NormKernel.normalize("batch_norm", x, layout, weight: weight, bias: bias, eps: eps)
  if let runningMean, let runningVar {
    let pm = mean.storage.base, pv = variance.storage.base
    let prm = runningMean.storage.base, prv = runningVar.storage.base
    let unbias = Float(m) / Float(m - 1)
    for i in 0..<c {
      prm[i] = (1 - momentum) * prm[i] + momentum * pm[i]
      prv[i] = (1 - momentum) * prv[i] + momentum * pv[i] * unbias
    }
    runningMean.storage.markModified()
    runningVar.storage.markModified()
  }
  return y
}

/// Batch norm with fixed statistics: y = x·k[c] + (b[c] − μ[c]·k[c]), k = w/√(σ² + eps);
/// dx = gy·k,  dw[c] = Σ gy·x̂,  db[c] = Σ gy.
private func batchNormInference(_ x: Tensor, _ l: GroupLayout, weight: Tensor?, bias: Tensor?,
                                mean: Tensor, variance: Tensor, eps: Float) -> Tensor {
  for (name, p) in [("weight", weight), ("bias", bias)] {
    if let p { precondition(p.shape == [l.channels], "batchNorm: \(name) \(p.shape) must be [\(l.channels)] for input \(x.shape)") }
  }
  // NOTE: the statistics are copied: a later training call updates the running buffers in place.
  let m = mean.copy(), rstd = variance.map { 1 / ($0 + eps).squareRoot() }
  let scale = Tensor(uninitialized: [l.channels]), shift = Tensor(uninitialized: [l.channels])
  let pk = scale.storage.base, pc = shift.storage.base, pm = m.storage.base, pr = rstd.storage.base
  let pw = weight?.storage.base, pb = bias?.storage.base
  for ch in 0..<l.channels {
    pk[ch] = pr[ch] * (pw?[ch] ?? 1)
    pc[ch] = (pb?[ch] ?? 0) - pm[ch] * pk[ch]
  }
  let y = NormKernel.affine(x, l, scale: scale, shift: shift)

  let (needX, needW, needB) = (x.requiresGrad, weight?.requiresGrad == true, bias?.requiresGrad == true)
  let (hasW, hasB) = (weight != nil, bias != nil)
  let sx = needW || needB ? x.saved(for: "batch_norm") : nil
  let inputs = [x] + [weight, bias].compactMap { $0 }
  return Tensor.record("batch_norm", y, inputs: inputs) { gy in
    var grads: [Tensor?] = [needX ? NormKernel.affine(gy, l, scale: scale, shift: nil) : nil]
    if let sx {
      let (sumG, sumGXhat) = NormKernel.gradientSums(gy, try sx.get(), l, m: m, s: rstd)
      if hasW { grads.append(needW ? sumGXhat : nil) }
      if hasB { grads.append(needB ? sumG : nil) }
    }
    return grads
  }
}
