/// Reverse-mode automatic differentiation on a dynamic tape.
///
/// Every differentiable op calls `Tensor.record(...)` with its output, its inputs and a backward rule that maps
/// the gradient of the output to the gradients of the inputs. `backward()` visits the nodes in reverse
/// topological order (computed iteratively), accumulates gradients with `+`, hands each leaf its gradient in
/// `.grad`, and releases each node's backward rule (and with it the saved buffers) once used.

public enum AutogradError: Error, CustomStringConvertible, Equatable {
  case doesNotRequireGrad
  case nonScalarWithoutGradient(shape: [Int])
  case savedTensorModified(op: String)
  case graphReleased(op: String)
  case gradientShape(op: String, expected: [Int], got: [Int])

  public var description: String {
    switch self {
    case .doesNotRequireGrad: return "backward() on a tensor that does not require grad"
    case .nonScalarWithoutGradient(let s): return "backward() without a gradient needs a scalar, shape is \(s)"
    case .savedTensorModified(let op):
      return "a tensor saved for the backward of \(op) was modified in place after it was saved"
    case .graphReleased(let op):
      return "backward through \(op) a second time: its saved buffers were already released"
    case .gradientShape(let op, let e, let g): return "backward of \(op) produced gradient \(g) for an input of \(e)"
    }
  }
}

/// A vertex of the autograd graph: a leaf (which accumulates `.grad`) or the result of an op.
public final class Node {
  public let op: String
  let shape: [Int]
  /// Inputs that require grad, with their position in the backward rule's result.
  let inputs: [(node: Node, slot: Int)]
  var backwardRule: ((Tensor) throws -> [Tensor?])?
  /// For leaves: the accumulated gradient.
  public var grad: Tensor?
  /// For leaves: a frozen leaf is treated as a constant (no gradient flows to it) until unfrozen.
  public var isFrozen = false
  /// For leaves: called during `backward()` once this leaf's gradient for that pass is complete (every consumer
  /// has contributed), e.g. to start all-reducing its bucket while backward goes on.
  public var gradientReadyHook: ((Node) -> Void)?
  /// For leaves: gradients are accumulated as `grad += gradientScale · g`. Data-parallel training sets it to 1/N
  /// so the all-reduced sum is already the mean, without a separate pass over the gradients.
  public var gradientScale: Float = 1

  public var isLeaf: Bool { op == "leaf" }

  init(leafOf shape: [Int]) {
    self.op = "leaf"; self.shape = shape; self.inputs = []; self.backwardRule = nil
  }

  init(op: String, shape: [Int], inputs: [(node: Node, slot: Int)], rule: @escaping (Tensor) throws -> [Tensor?]) {
    self.op = op; self.shape = shape; self.inputs = inputs; self.backwardRule = rule
  }
}

/// Whether ops record backward rules. `GradMode.disabled { ... }` (or `noGrad { ... }`) runs without recording.
public enum GradMode {
  @TaskLocal public static var isEnabled = true

  public static func disabled<R>(_ body: () throws -> R) rethrows -> R {
    try $isEnabled.withValue(false) { try body() }
  }
}

public func noGrad<R>(_ body: () throws -> R) rethrows -> R { try GradMode.disabled(body) }

/// A tensor kept for backward: its storage and the storage version at save time, without its graph node
/// (so saving never keeps the graph alive). `get()` throws if the storage was written in place since.
public struct SavedTensor {
  let storage: TensorStorage
  let shape: [Int]
  let version: Int
  let op: String

  public func get() throws -> Tensor {
    guard storage.version == version else { throw AutogradError.savedTensorModified(op: op) }
    return Tensor(storage: storage, shape: shape)
  }
}

extension Tensor {
  public var requiresGrad: Bool { if let n = node { return !n.isFrozen } else { return false } }

  /// A leaf that accumulates gradient into `.grad` (a parameter, or an input under test).
  public func requiringGrad() -> Tensor {
    Tensor(storage: storage, shape: shape, node: Node(leafOf: shape))
  }

  /// The same values without gradient history.
  public func detached() -> Tensor { Tensor(storage: storage, shape: shape) }

  /// The accumulated gradient of a leaf.
  public var grad: Tensor? {
    get { node?.grad }
    nonmutating set {
      precondition(node?.isLeaf == true, "only a leaf tensor has .grad")
      node?.grad = newValue
    }
  }

  public func saved(for op: String) -> SavedTensor {
    SavedTensor(storage: storage, shape: shape, version: storage.version, op: op)
  }

  /// Attaches `output` to the graph: when grad mode is on and any input requires grad, `output` gets a node whose
  /// rule maps d(loss)/d(output) to one optional gradient per input (same order as `inputs`; nil = no gradient).
  /// The rule runs with grad mode off and must capture `SavedTensor`s or plain values, never `output` itself.
  public static func record(_ op: String, _ output: Tensor, inputs: [Tensor],
                            backward rule: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
    guard GradMode.isEnabled else { return output }
    var edges: [(node: Node, slot: Int)] = []
    for (slot, x) in inputs.enumerated() { if let n = x.node, !n.isFrozen { edges.append((n, slot)) } }
    guard !edges.isEmpty else { return output }
    var out = output
    out.node = Node(op: op, shape: output.shape, inputs: edges, rule: rule)
    return out
  }

  /// Back-propagates from this tensor. Without `gradient` it must be a scalar (seeded with 1).
  /// With `retainGraph` the backward rules are kept so the graph can be walked again.
  public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) throws {
    guard let root = node else { throw AutogradError.doesNotRequireGrad }
    if gradient == nil && count != 1 { throw AutogradError.nonScalarWithoutGradient(shape: shape) }
    let seed = gradient ?? Tensor(repeating: 1, shape)
    if seed.shape != shape { throw AutogradError.gradientShape(op: "backward seed", expected: shape, got: seed.shape) }

    var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
    for n in Node.reverseTopologicalOrder(from: root) {
      guard let g = pending.removeValue(forKey: ObjectIdentifier(n)) else { continue }
      if n.isLeaf { n.accumulate(g); n.gradientReadyHook?(n); continue }
      guard let rule = n.backwardRule else { throw AutogradError.graphReleased(op: n.op) }
      let grads = try GradMode.disabled { try rule(g) }
      if !retainGraph { n.backwardRule = nil }
      for (input, slot) in n.inputs {
        guard slot < grads.count, let gi = grads[slot] else { continue }
        guard gi.shape == input.shape else {
          throw AutogradError.gradientShape(op: n.op, expected: input.shape, got: gi.shape)
        }
        let key = ObjectIdentifier(input)
        if let acc = pending[key] { pending[key] = Tensor.sumOfGradients(acc, gi) } else { pending[key] = gi }
      }
    }
  }

  /// a + b for two gradients of one shape, in a fresh buffer (either may alias a buffer used elsewhere:
  /// `add`'s rule hands the same gradient to both of its inputs).
  static func sumOfGradients(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = Tensor(uninitialized: a.shape)
    let o = out.storage.base, p = a.storage.base, q = b.storage.base
    parallelFor(out.count, grain: elementsPerThread) { r in for i in r { o[i] = p[i] + q[i] } }
    return out
  }
}

extension Node {
  /// Adds `gradientScale · g` into this leaf's `.grad`, in place when a gradient buffer already exists (it may be a slice of
  /// an all-reduce bucket).
  func accumulate(_ g: Tensor) {
    let s = gradientScale
    if let existing = grad {
      let p = existing.storage.base, q = g.storage.base
      parallelFor(existing.count, grain: elementsPerThread) { r in for i in r { p[i] += s * q[i] } }
      existing.storage.markModified()
    } else {
      // NOTE: a copy, because g may alias a buffer the caller still holds (a seed, or add's shared gradient).
      grad = s == 1 ? g.copy() : g.map { s * $0 }
    }
  }

  /// Nodes reachable from `root`, each after every node that consumes it (root first), by iterative DFS.
  static func reverseTopologicalOrder(from root: Node) -> [Node] {
    var postOrder: [Node] = []
    var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
    var stack: [(node: Node, next: Int)] = [(root, 0)]
    while let top = stack.last {
      if top.next < top.node.inputs.count {
        stack[stack.count - 1].next += 1
        let child = top.node.inputs[top.next].node
        if visited.insert(ObjectIdentifier(child)).inserted { stack.append((child, 0)) }
      } else {
        postOrder.append(top.node)
        stack.removeLast()
      }
    }
    return postOrder.reversed()
  }
}
