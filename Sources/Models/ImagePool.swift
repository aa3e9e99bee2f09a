import NN
import Tensors

/// A history of generated images that feeds the discriminator (Shrivastava et al.; spec §1.8), one per rank.
///
/// For each image of a batch, in order: while the pool holds fewer than `capacity` images, store a copy and return
/// the image; once full, with probability ½ return a stored image chosen uniformly and put the new one in its slot,
/// otherwise return the new image. Capacity 0 passes batches through. The choice for image i of a query draws from
/// the stream (seed, image pool, name, step, rank, i), so it is repeatable and a resumed run chooses as an
/// uninterrupted one would.
public final class ImagePool {
  public let capacity: Int
  /// Keys this pool's stream apart from other pools of the same model (the reference names: "fake_B_pool").
  public let name: String
  public let seed: UInt64
  /// The stored images, each (1, C, H, W), without gradient.
  public private(set) var images: [Tensor] = []

  public init(capacity: Int = 50, name: String, seed: UInt64) {
    precondition(capacity >= 0, "ImagePool: capacity must be ≥ 0, got \(capacity)")
    self.capacity = capacity
    self.name = name
    self.seed = seed
  }

  public var count: Int { images.count }

  /// batch (N, C, H, W) → (N, C, H, W) of current and stored images, detached.
  public func query(_ batch: Tensor, step: Int, rank: Int) -> Tensor {
    let key = [ModelRandomPurpose.imagePool.rawValue, stableKey(name), UInt64(step), UInt64(rank)]
    return query(batch) { i in
      var rng = RandomStream(seed: seed, key: key + [UInt64(i)])
      return rng.nextFloat() > 0.5 ? rng.nextInt(below: capacity) : nil
    }
  }

  /// The pool's rule with the random choices given: once the pool is full, `storedSlot(i)` is the slot whose image
  /// is returned (and replaced) for image i of the batch, or nil to return image i itself — the reference's
  /// `random.uniform(0, 1) > 0.5` and `random.randint(0, pool_size − 1)`. Used with recorded draws by the tests.
  func query(_ batch: Tensor, storedSlot: (Int) -> Int?) -> Tensor {
    let batch = batch.detached()
    guard capacity > 0 else { return batch }
    var returned: [Tensor] = []
    for i in 0..<batch.shape[0] {
      let image = batch.narrow(axis: 0, start: i, length: 1).copy()
      if images.count < capacity {
        images.append(image)
        returned.append(image)
      } else if let slot = storedSlot(i) {
        precondition((0..<capacity).contains(slot), "ImagePool: slot \(slot) outside 0..<\(capacity)")
        returned.append(images[slot])
        images[slot] = image
      } else {
        returned.append(image)
      }
    }
    return Tensor.concat(returned, axis: 0)
  }

  /// "count" (a scalar) and, when not empty, "images" (count, C, H, W): the checkpointed contents.
  public func stateDict() -> [(name: String, tensor: Tensor)] {
    var state: [(name: String, tensor: Tensor)] = [("count", Tensor(scalar: Float(images.count)))]
    if !images.isEmpty { state.append(("images", Tensor.concat(images, axis: 0))) }
    return state
  }

  /// Replaces the contents with `state` (from `stateDict()`), checking it before changing anything.
  public func loadStateDict(_ state: [String: Tensor]) throws {
    guard let countTensor = state["count"], countTensor.count == 1 else {
      throw StateDictError.missingKeys(["\(name).count"])
    }
    let n = Int(countTensor.item)
    guard n >= 0 && n <= capacity else {
      throw OptionError("\(name).count", "the checkpoint holds \(n) images, the pool holds at most \(capacity)")
    }
    let unexpected = state.keys.filter { $0 != "count" && $0 != "images" }.sorted()
    if !unexpected.isEmpty { throw StateDictError.unexpectedKeys(unexpected.map { "\(name).\($0)" }) }
    guard n > 0 else { images = []; return }
    guard let stacked = state["images"] else { throw StateDictError.missingKeys(["\(name).images"]) }
    guard stacked.rank == 4 && stacked.shape[0] == n else {
      throw StateDictError.shapeMismatch(key: "\(name).images", expected: [n, -1, -1, -1], got: stacked.shape)
    }
    images = (0..<n).map { stacked.narrow(axis: 0, start: $0, length: 1).copy() }
  }
}
