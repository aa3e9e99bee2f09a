import Tensors

/// Dropout (PyTorch's `nn.Dropout`): in training, y = x · m / (1 − p) with m ~ Bernoulli(1 − p) per element;
/// in eval, y = x. The masks come from `stream`, a keyed counter-based stream, so a run is repeatable.
public final class Dropout: Module, UnaryLayer {
  public let p: Float
  /// Where the masks are drawn from; each call advances it. Re-key it to make masks a function of (epoch, step, …).
  public var stream: RandomStream

  public init(p: Float = 0.5, seed: UInt64 = 0, key: [UInt64] = []) {
    precondition(p >= 0 && p <= 1, "Dropout: p must be in [0, 1], got \(p)")
    self.p = p
    self.stream = RandomStream(seed: seed, key: key)
    super.init()
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    guard isTraining && p > 0 else { return x }
    let mask = Tensor(uninitialized: x.shape)  // (same shape as x): 0 or 1/(1 − p)
    let pm = mask.storage.base
    let keep = p < 1 ? 1 / (1 - p) : 0
    for i in 0..<mask.count { pm[i] = stream.nextFloat() < p ? 0 : keep }
    return x * mask
  }
}
