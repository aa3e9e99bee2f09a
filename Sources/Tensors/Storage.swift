import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The float32 buffer behind one or more tensors (a reshape shares it).
///
/// Owned storage comes from `BufferPool` and goes back to it on `deinit`, so a training step that allocates the
/// same intermediate sizes every iteration reuses the same memory. Borrowed storage is a window into someone
/// else's buffer (a gradient living as a slice of an all-reduce bucket); `owner` keeps that buffer alive.
///
/// `version` counts in-place writes; autograd compares it with the version saved at forward time.
public final class TensorStorage: @unchecked Sendable {
  public let count: Int
  public let base: UnsafeMutablePointer<Float>
  public private(set) var version: Int = 0
  private let owner: AnyObject?
  private let owned: Bool

  /// Uninitialised storage of `count` floats from the pool.
  public init(count: Int) {
    precondition(count >= 0, "storage size must be non-negative, got \(count)")
    self.count = count
    self.base = BufferPool.shared.take(count)
    self.owner = nil
    self.owned = true
    LiveStorage.counter.add(1, ordering: .relaxed)
  }

  /// Storage that aliases `count` floats at `base`, kept alive by `owner`.
  public init(borrowing base: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject?) {
    self.count = count
    self.base = base
    self.owner = owner
    self.owned = false
    LiveStorage.counter.add(1, ordering: .relaxed)
  }

  deinit {
    if owned { BufferPool.shared.give(base, count) }
    LiveStorage.counter.subtract(1, ordering: .relaxed)
  }

  /// Call after writing into this storage in place.
  @inline(__always) public func markModified() { version &+= 1 }

  public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }
}

/// How many `TensorStorage` objects are alive: a leak test takes it before and after a training step.
public enum LiveStorage {
  static let counter = Atomic<Int>(0)
  public static var count: Int { counter.load(ordering: .relaxed) }
}

/// Free lists of 64-byte aligned float buffers keyed by size, so that steady-state training allocates nothing.
/// The pool holds at most `capacityBytes`; beyond that buffers are freed.
public final class BufferPool: @unchecked Sendable {
  public static let shared = BufferPool()

  private struct State {
    var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    var pooledBytes = 0
  }
  private let state = Mutex(State())
  public var capacityBytes = 2 << 30

  func take(_ count: Int) -> UnsafeMutablePointer<Float> {
    let reused: UnsafeMutablePointer<Float>? = state.withLock { s in
      guard var list = s.free[count], let p = list.popLast() else { return nil }
      s.free[count] = list
      s.pooledBytes -= Self.bytes(count)
      return p
    }
    if let p = reused { return p }
    var raw: UnsafeMutableRawPointer? = nil
    let rc = posix_memalign(&raw, 64, Self.bytes(count))
    guard rc == 0, let raw else { fatalError("out of memory allocating \(Self.bytes(count)) bytes for a tensor") }
    return raw.bindMemory(to: Float.self, capacity: max(count, 1))
  }

  func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
    let keep = state.withLock { s -> Bool in
      guard s.pooledBytes + Self.bytes(count) <= capacityBytes else { return false }
      s.free[count, default: []].append(p)
      s.pooledBytes += Self.bytes(count)
      return true
    }
    if !keep { free(p) }
  }

  /// Frees every pooled buffer (tests, or before a memory-hungry phase).
  public func drain() {
    let lists = state.withLock { s -> [[UnsafeMutablePointer<Float>]] in
      defer { s.free = [:]; s.pooledBytes = 0 }
      return Array(s.free.values)
    }
    for list in lists { for p in list { free(p) } }
  }

  private static func bytes(_ count: Int) -> Int { max(count, 1) * MemoryLayout<Float>.stride }
}
