import Distributed
import Models
import Tensors

/// What the N-ranks-against-one-process step checks (CUT, EnCo, ECGAN) compare after one step of a model on each
/// side: the losses averaged over ranks, and every network's parameter gradients.
enum StepComparison {
  /// Every parameter's gradient, "<network>.<parameter>" (the distributed one after the replica groups averaged it).
  static func gradients(_ m: any TranslationModel) -> [(String, Tensor)] {
    m.networks.flatMap { net in net.module.namedParameters().map { ("\(net.name).\($0.name)", $0.tensor.grad!) } }
  }

  /// This rank's losses averaged over ranks against the single process's (rtol 1e-4), then the gradients of each
  /// of `networks` (rtol 1e-4, atol 1e-4 of the tensor's largest entry).
  ///
  /// NOTE: a tensor whose largest entry is below 1e-5 of its network's largest (a bias in front of a normalisation:
  /// a cancelling sum, rounding noise on both sides) is held to that floor instead of to its own scale.
  static func check(losses: [(name: String, value: Double)], expected: [(name: String, value: Double)],
                      _ distributed: any TranslationModel, _ single: any TranslationModel, networks: [String],
                      context: MPIReplicaContext) throws -> String? {
    let mean = try context.meanOverRanks(losses.map(\.value))
    for ((name, value), (_, e)) in zip(zip(losses.map(\.name), mean), expected) {
      if let failure = compare(Tensor(scalar: Float(value)), Tensor(scalar: Float(e)), rtol: 1e-4, name) { return failure }
    }
    for net in networks {
      let pairs = zip(gradients(distributed), gradients(single)).filter { $0.0.0.hasPrefix(net + ".") }
      let floor = 1e-5 * pairs.map { $0.1.1.scalars.map(abs).max() ?? 0 }.max()!
      for ((name, g), (_, r)) in pairs {
        let scale = r.scalars.map(abs).max() ?? 0
        if let failure = compare(g, r, rtol: 1e-4, atol: scale < floor ? floor : 1e-4 * scale, name) { return failure }
      }
    }
    return nil
  }
}
