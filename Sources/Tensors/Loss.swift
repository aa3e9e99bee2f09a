#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Losses with mean reduction; each returns a scalar of shape [] and sends gradient to every input that needs it.

enum LossKernel {
  /// (1/n)·Σ term(i) for i in 0..<n: Float sums over blocks of 4096, added in order in Double. On the calling
  /// thread (see `parallelFor` for why a loop that calls a closure parameter runs serially).
  @inline(__always)
  static func mean(_ n: Int, _ term: (Int) -> Float) -> Float {
    let block = 4096
    var total = 0.0
    for start in stride(from: 0, to: n, by: block) {
      var s: Float = 0
      for i in start..<min(n, start &+ block) { s += term(i) }
      total += Double(s)
    }
    return Float(total / Double(max(n, 1)))
  }

  /// A tensor of `shape` with out[i] = f(i), on the calling thread.
  @inline(__always)
  static func generate(_ shape: [Int], _ f: (Int) -> Float) -> Tensor {
    let out = Tensor(uninitialized: shape)
    let po = out.storage.base
    for i in 0..<out.count { po[i] = f(i) }
    return out
  }

  static func checkSameShape(_ op: String, _ x: Tensor, _ t: Tensor) {
    precondition(x.shape == t.shape, "\(op): input \(x.shape) and target \(t.shape) must have the same shape")
  }
}

/// Cross-entropy of logits [N, C] with class indices `targets` [N], mean over N:
///   L = (1/N) Σ_n (logΣ_c exp x[n, c] − x[n, t_n]);  dx[n, c] = (softmax(x)[n, c] − [c = t_n]) / N.
public func crossEntropy(_ logits: Tensor, targets: [Int]) -> Tensor {
  precondition(logits.rank == 2 && logits.shape[0] == targets.count,
               "crossEntropy: logits \(logits.shape) must be [N, C] with N = \(targets.count) targets")
  let (n, c) = (logits.shape[0], logits.shape[1])
  precondition(targets.allSatisfy { (0..<c).contains($0) }, "crossEntropy: a target is outside 0..<\(c)")
  let lse = AxisLayout(logits.shape, axis: 1).logSumExp(logits)
  let px = logits.storage.base, pl = lse.storage.base
  var total = 0.0
  for i in 0..<n { total += Double(pl[i] - px[i * c + targets[i]]) }
  let loss = Tensor(scalar: Float(total / Double(max(n, 1))))

  let sx = logits.saved(for: "cross_entropy")
  return Tensor.record("cross_entropy", loss, inputs: [logits]) { g in
    let xv = try sx.get(), pxv = xv.storage.base, plse = lse.storage.base
    let scale = g.item / Float(n)
    let dx = LossKernel.generate(xv.shape) { i in scale * expf(pxv[i] - plse[i / c]) }
    let pd = dx.storage.base
    for i in 0..<n { pd[i * c + targets[i]] -= scale }
    return [dx]
  }
}

/// Mean squared error: L = mean((x − t)²);  dx = 2(x − t)/n,  dt = −dx.
public func mseLoss(_ x: Tensor, _ t: Tensor) -> Tensor {
  LossKernel.checkSameShape("mseLoss", x, t)
  let px = x.storage.base, pt = t.storage.base
  let loss = Tensor(scalar: LossKernel.mean(x.count) { i in let d = px[i] - pt[i]; return d * d })
  let (sx, st, needX, needT) = (x.saved(for: "mse"), t.saved(for: "mse"), x.requiresGrad, t.requiresGrad)
  return Tensor.record("mse", loss, inputs: [x, t]) { g in
    let (xv, tv) = (try sx.get(), try st.get())
    let a = xv.storage.base, b = tv.storage.base, scale = 2 * g.item / Float(xv.count)
    return [needX ? LossKernel.generate(xv.shape) { i in scale * (a[i] - b[i]) } : nil,
            needT ? LossKernel.generate(xv.shape) { i in scale * (b[i] - a[i]) } : nil]
  }
}

/// Mean absolute error: L = mean|x − t|;  dx = sign(x − t)/n (0 where x = t),  dt = −dx.
public func l1Loss(_ x: Tensor, _ t: Tensor) -> Tensor {
  LossKernel.checkSameShape("l1Loss", x, t)
  let px = x.storage.base, pt = t.storage.base
  let loss = Tensor(scalar: LossKernel.mean(x.count) { i in abs(px[i] - pt[i]) })
  let (sx, st, needX, needT) = (x.saved(for: "l1"), t.saved(for: "l1"), x.requiresGrad, t.requiresGrad)
  return Tensor.record("l1", loss, inputs: [x, t]) { g in
    let (xv, tv) = (try sx.get(), try st.get())
    let a = xv.storage.base, b = tv.storage.base, scale = g.item / Float(xv.count)
    func sign(_ d: Float) -> Float { d > 0 ? 1 : (d < 0 ? -1 : 0) }
    return [needX ? LossKernel.generate(xv.shape) { i in scale * sign(a[i] - b[i]) } : nil,
            needT ? LossKernel.generate(xv.shape) { i in scale * sign(b[i] - a[i]) } : nil]
  }
}

/// Binary cross-entropy on logits, stable form: L = mean(max(x, 0) − x·t + log(1 + exp(−|x|)));
///   dx = (σ(x) − t)/n,  dt = −x/n.
public func bceWithLogits(_ x: Tensor, _ t: Tensor) -> Tensor {
  LossKernel.checkSameShape("bceWithLogits", x, t)
  let px = x.storage.base, pt = t.storage.base
  let loss = Tensor(scalar: LossKernel.mean(x.count) { i in
    let v = px[i]
    return max(v, 0) - v * pt[i] + log1pf(expf(-abs(v)))
  })
  let (sx, st, needX, needT) = (x.saved(for: "bce_with_logits"), t.saved(for: "bce_with_logits"),
                                x.requiresGrad, t.requiresGrad)
  return Tensor.record("bce_with_logits", loss, inputs: [x, t]) { g in
    let (xv, tv) = (try sx.get(), try st.get())
    let a = xv.storage.base, b = tv.storage.base, scale = g.item / Float(xv.count)
    func logistic(_ v: Float) -> Float {
      if v >= 0 { return 1 / (1 + expf(-v)) }
      let e = expf(v)
      return e / (1 + e)
    }
    return [needX ? LossKernel.generate(xv.shape) { i in scale * (logistic(a[i]) - b[i]) } : nil,
            needT ? LossKernel.generate(xv.shape) { i in -scale * a[i] } : nil]
  }
}
