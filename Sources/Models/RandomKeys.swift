import NN
import Tensors

/// The purposes that key the models' random streams (the first key after the seed; the data pipeline has its own).
public enum ModelRandomPurpose: UInt64, Sendable {
  /// (seed, weightInit, network name): the same on every rank.
  case weightInit = 0x40DE_0000
  /// (seed, imagePool, pool name, step, rank, image index): inherently per rank.
  case imagePool
  /// (seed, dropout, network name, step, rank, layer): inherently per rank.
  case dropout
  /// (seed, patchSample, step, NCE term, layer): CUT's patch positions, shared by the whole global batch.
  case patchSample
  /// (seed, flipEquivariance, step): FastCUT's coin, flipping the whole global batch or none of it.
  case flipEquivariance
  /// (seed, dagSample, step, pair, global image index): EnCo's DAG positions, per image.
  case dagSample
  /// (seed, imageFlip, step, domain): EnCo's mirroring coin for the whole batch of one domain.
  case imageFlip
  /// (seed, pixelSample, step, global image index): ECGAN's contrast pixels, per image.
  case pixelSample
}

/// A name as a random-stream key: FNV-1a over its UTF-8 bytes (stable across processes, unlike `Hasher`).
func stableKey(_ name: String) -> UInt64 {
  var h = FNV1a64()
  h.add(bytes: name.utf8)
  return h.value
}

extension Module {
  /// Points the k-th `Dropout` of the tree (in `modules()` order) at the stream (seed, key + [k]), so masks are a
  /// function of the key (e.g. step and rank) and a resumed run draws what an uninterrupted one would.
  func rekeyDropout(seed: UInt64, key: [UInt64]) {
    let layers = modules().compactMap { $0 as? Dropout }
    for (k, layer) in layers.enumerated() { layer.stream = RandomStream(seed: seed, key: key + [UInt64(k)]) }
  }
}
