import Replicas
import NN
import Tensors

/// `--pixel-memory M`: a per-class FIFO of recent pixel keys for the contrastive loss (spec §2.6, suggestion 5;
/// ContrastiveSeg's pixel queue). Keys are stored detached; once class c holds M keys, each new one overwrites the
/// oldest.
///
/// The loss enqueues the keys of the global batch (gathered from every rank, in rank order), so the bank is the
/// same on every rank and rank 0's copy is the whole state: `stateDict` and `loadStateDict` carry it through a
/// checkpoint's extra state, and `synchronizeFromRoot` gives every rank rank 0's copy after a resume (a rank that
/// the checkpoint has no extra file for, because fewer ranks wrote it, starts empty until then). The state has a
/// fixed shape whatever the fill, so that broadcast needs no agreement on sizes first. The bank fills N times as
/// fast on N ranks as the global batch is N times larger (spec §5).
public final class PixelMemoryBank {
  public let classes: Int
  /// M, keys per class.
  public let capacity: Int
  /// D, the key width.
  public let width: Int
  /// (classes, M, D): class c's keys in slots 0..<counts[c], in no particular order once the ring has wrapped.
  private var keys: Tensor
  /// Keys held per class (≤ M), and the slot the next key of each class goes to (the oldest once full).
  public private(set) var counts: [Int], next: [Int]

  public init(classes: Int, capacity: Int, width: Int) {
    precondition(classes >= 1 && capacity >= 1 && width >= 1,
                 "PixelMemoryBank: needs classes, capacity and width ≥ 1, got \(classes), \(capacity), \(width)")
    (self.classes, self.capacity, self.width) = (classes, capacity, width)
    keys = Tensor(zeros: [classes, capacity, width])
    counts = [Int](repeating: 0, count: classes)
    next = counts
  }

  /// Keys held over all classes.
  public var count: Int { counts.reduce(0, +) }

  /// Pushes rows (n, D) with their classes, in row order (the first row is the oldest of them).
  public func enqueue(_ rows: Tensor, labels: [Int]) {
    precondition(rows.rank == 2 && rows.shape[0] == labels.count && rows.shape[1] == width,
                 "PixelMemoryBank: rows \(rows.shape) for \(labels.count) labels, keys of width \(width)")
    let src = rows.storage.base, dst = keys.storage.base
    for (i, c) in labels.enumerated() {
      precondition((0..<classes).contains(c), "PixelMemoryBank: class \(c) outside 0..<\(classes)")
      (dst + (c * capacity + next[c]) * width).update(from: src + i * width, count: width)
      next[c] = (next[c] + 1) % capacity
      counts[c] = min(counts[c] + 1, capacity)
    }
    keys.storage.markModified()
  }

  /// Every held key (count, D), class by class in ascending order and slot order within a class, with its class.
  public func contents() -> (keys: Tensor, labels: [Int]) {
    let out = Tensor(uninitialized: [count, width])
    var labels: [Int] = []
    let src = keys.storage.base, dst = out.storage.base
    for c in 0..<classes where counts[c] > 0 {
      (dst + labels.count * width).update(from: src + c * capacity * width, count: counts[c] * width)
      labels += [Int](repeating: c, count: counts[c])
    }
    return (out, labels)
  }

  /// "keys" (classes, M, D), "count" (classes) and "next" (classes): the checkpointed state, as copies.
  public func stateDict() -> [(name: String, tensor: Tensor)] {
    [("keys", keys.copy()), ("count", Tensor(counts.map(Float.init), [classes])),
     ("next", Tensor(next.map(Float.init), [classes]))]
  }

  /// Replaces the contents with `state` (from `stateDict()`), checking all of it before changing anything.
  public func loadStateDict(_ state: [String: Tensor]) throws {
    let expected: [(String, [Int])] = [("keys", [classes, capacity, width]), ("count", [classes]), ("next", [classes])]
    let missing = expected.map(\.0).filter { state[$0] == nil }
    if !missing.isEmpty { throw StateDictError.missingKeys(missing.map { "pixel_memory.\($0)" }) }
    let unexpected = state.keys.filter { k in !expected.contains { $0.0 == k } }.sorted()
    if !unexpected.isEmpty { throw StateDictError.unexpectedKeys(unexpected.map { "pixel_memory.\($0)" }) }
    for (name, shape) in expected where state[name]!.shape != shape {
      throw StateDictError.shapeMismatch(key: "pixel_memory.\(name)", expected: shape, got: state[name]!.shape)
    }
    let counts = state["count"]!.scalars, next = state["next"]!.scalars
    for c in 0..<classes {
      // While a class is filling, its next slot is its count; once full, any slot.
      let valid = Int(exactly: counts[c]).map { n in
        (0...capacity).contains(n) && Int(exactly: next[c]).map { (0..<capacity).contains($0) && (n == capacity || $0 == n) } == true
      } ?? false
      guard valid else {
        throw OptionError("pixel_memory.count", "class \(c) holds \(counts[c]) keys with next slot \(next[c]); "
                            + "the bank holds at most \(capacity) per class (--pixel-memory)")
      }
    }
    keys.assign(state["keys"]!)
    self.counts = counts.map { Int($0) }
    self.next = next.map { Int($0) }
  }

  /// Every rank takes rank 0's bank (after loading a checkpoint). Collective.
  public func synchronizeFromRoot(context: ReplicaContext) throws {
    let state = stateDict()
    try context.broadcastFromRoot(state.map { ("pixel_memory.\($0.name)", $0.tensor) })
    try loadStateDict(Dictionary(uniqueKeysWithValues: state.map { ($0.name, $0.tensor) }))
  }
}
