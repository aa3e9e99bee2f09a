/// A float32 tensor: a shape over contiguous row-major (NCHW) storage, plus its place in the autograd graph.
///
/// `Tensor` is a value that refers to shared storage; a reshape is a new value over the same storage. Tensors that
/// require gradient carry a `Node`: leaves accumulate into `.grad`, op results know how to send gradient back.
public struct Tensor: @unchecked Sendable {
  public let storage: TensorStorage
  public let shape: [Int]
  public internal(set) var node: Node?

  public init(storage: TensorStorage, shape: [Int], node: Node? = nil) {
    precondition(Tensor.elementCount(shape) == storage.count,
                 "shape \(shape) has \(Tensor.elementCount(shape)) elements but the storage holds \(storage.count)")
    self.storage = storage
    self.shape = shape
    self.node = node
  }

  /// Uninitialised tensor (from the buffer pool): every element must be written before it is read.
  public init(uninitialized shape: [Int]) {
    self.init(storage: TensorStorage(count: Tensor.elementCount(shape)), shape: shape)
  }

  public init(zeros shape: [Int]) { self.init(repeating: 0, shape) }

  public init(repeating value: Float, _ shape: [Int]) {
    self.init(uninitialized: shape)
    storage.buffer.update(repeating: value)
  }

  public init(_ values: [Float], _ shape: [Int]) {
    precondition(values.count == Tensor.elementCount(shape), "\(values.count) values do not fill shape \(shape)")
    self.init(uninitialized: shape)
    _ = storage.buffer.update(fromContentsOf: values)
  }

  public init(scalar: Float) { self.init([scalar], []) }

  public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape) }

  /// Standard normal samples from a counter-based stream.
  public static func randn(_ shape: [Int], _ rng: inout RandomStream) -> Tensor {
    let t = Tensor(uninitialized: shape)
    let p = t.storage.base
    for i in 0..<t.count { p[i] = rng.nextNormal() }
    return t
  }

  /// Uniform samples in [low, high).
  public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, _ rng: inout RandomStream) -> Tensor {
    let t = Tensor(uninitialized: shape)
    let p = t.storage.base
    for i in 0..<t.count { p[i] = low + (high - low) * rng.nextFloat() }
    return t
  }

  // MARK: Shape

  public var count: Int { storage.count }
  public var rank: Int { shape.count }
  public func size(_ axis: Int) -> Int { shape[normalizedAxis(axis)] }

  /// Maps a negative axis (-1 = last) to its index; traps with the shape on an out-of-range axis.
  public func normalizedAxis(_ axis: Int) -> Int {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < Swift.max(rank, 1), "axis \(axis) out of range for shape \(shape)")
    return a
  }

  public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

  /// Row-major strides of a contiguous tensor of `shape`.
  public static func strides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
    return s
  }

  // MARK: Values

  public var scalars: [Float] { Array(storage.buffer) }
  public var item: Float {
    precondition(count == 1, "item needs a one-element tensor, shape is \(shape)")
    return storage.base[0]
  }
  public subscript(flat i: Int) -> Float {
    get { storage.base[i] }
    nonmutating set { storage.base[i] = newValue; storage.markModified() }
  }

  /// A copy with fresh storage, no gradient history.
  public func copy() -> Tensor {
    let t = Tensor(uninitialized: shape)
    t.storage.base.update(from: storage.base, count: count)
    return t
  }

  /// Overwrites this tensor's values with `other`'s (same element count), in place.
  public func assign(_ other: Tensor) {
    precondition(other.count == count, "assign: \(other.shape) into \(shape)")
    storage.base.update(from: other.storage.base, count: count)
    storage.markModified()
  }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
    return "Tensor(\(shape): [\(shown)\(count > 8 ? ", …" : "")]\(requiresGrad ? ", requiresGrad" : ""))"
  }
}
