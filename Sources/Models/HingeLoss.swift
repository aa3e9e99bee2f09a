import NN
import Tensors

/// The SPADE/ECGAN objectives on a multi-scale discriminator's outputs (spec §1.3, §1.4; the reference's
/// `GANLoss(gan_mode='hinge')` and `compute_generator_loss`). `predictions[k]` holds scale k's layer outputs, the
/// score map last.
public enum MultiscaleGANLoss {
  /// The hinge loss of the score maps, averaged over the scales (each scale's map averaged over all its elements):
  ///
  ///     D, real:  mean(max(0, 1 − D))       D, fake:  mean(max(0, 1 + D))       G:  −mean(D)
  public static func hinge(_ predictions: [[Tensor]], targetIsReal: Bool, forDiscriminator: Bool) -> Tensor {
    precondition(!predictions.isEmpty && predictions.allSatisfy { !$0.isEmpty }, "hinge loss: no score maps")
    precondition(forDiscriminator || targetIsReal, "hinge loss: the generator's hinge loss aims for real")
    let perScale = predictions.map { layers -> Tensor in
      let scores = layers[layers.count - 1]
      guard forDiscriminator else { return -scores.mean() }
      return relu(targetIsReal ? 1 - scores : scores + 1).mean()
    }
    return perScale.dropFirst().reduce(perScale[0], +) / Float(predictions.count)
  }

  /// Feature matching: Σ over scales and intermediate layers (all but the score map) of L1(fake, real.detach()),
  /// times weight / numD (the reference's λ_feat = 10).
  public static func featureMatching(fake: [[Tensor]], real: [[Tensor]], weight: Float = 10) -> Tensor {
    precondition(fake.count == real.count && !fake.isEmpty, "feature matching: \(fake.count) fake and \(real.count) real scales")
    var total: Tensor?
    for (f, r) in zip(fake, real) {
      precondition(f.count == r.count, "feature matching: \(f.count) fake and \(r.count) real layers")
      for j in 0..<(f.count - 1) {
        let term = l1Loss(f[j], r[j].detached())
        total = total.map { $0 + term } ?? term
      }
    }
    guard let total else { return Tensor(scalar: 0) }
    return total * (weight / Float(fake.count))
  }
}
