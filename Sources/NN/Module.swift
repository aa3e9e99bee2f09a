import Tensors

/// A node of a model tree, as in PyTorch's `nn.Module` and mlx-swift's `Module`: ordered named children, and its own
/// ordered named parameters and buffers. Dotted paths through the tree (`model.10.conv_block.1.weight`) are the
/// PyTorch state-dict keys, so a checkpoint loads into the reference code and back.
///
/// A subclass creates its parameters as leaves that require grad, keeps them in stored properties for its forward
/// pass, and registers them (and its children) in the order PyTorch registers them:
/// ```swift
/// weight = Tensor(zeros: [out, in]).requiringGrad()
/// super.init()
/// registerParameter("weight", weight)
/// ```
/// Parameters keep their identity for life: loading a state dict or an optimiser step writes into their storage.
open class Module {
  /// Training mode (Dropout active, BatchNorm on batch statistics); set for the whole subtree by `train()`/`eval()`.
  public private(set) var isTraining = true
  public private(set) var children: [(name: String, module: Module)] = []
  /// This module's own parameters (not its children's), in registration order.
  public private(set) var localParameters: [(name: String, tensor: Tensor)] = []
  /// This module's own buffers: state that is saved but not trained (running statistics, fixed filters).
  public private(set) var localBuffers: [(name: String, tensor: Tensor)] = []

  public init() {}

  // MARK: Registration

  /// Adds (or replaces, keeping its position) the child called `name`.
  public func registerModule(_ name: String, _ module: Module) {
    Module.checkName(name, in: self)
    if let i = children.firstIndex(where: { $0.name == name }) { children[i].module = module } else {
      children.append((name, module))
    }
  }

  /// Adds (or replaces, keeping its position) a parameter: a leaf tensor that requires grad.
  public func registerParameter(_ name: String, _ tensor: Tensor) {
    Module.checkName(name, in: self)
    precondition(tensor.node?.isLeaf == true, "\(typeName).\(name): a parameter must be a leaf (use .requiringGrad())")
    if let i = localParameters.firstIndex(where: { $0.name == name }) { localParameters[i].tensor = tensor } else {
      localParameters.append((name, tensor))
    }
  }

  /// Adds (or replaces, keeping its position) a buffer: a tensor without gradient that belongs in the state dict.
  public func registerBuffer(_ name: String, _ tensor: Tensor) {
    Module.checkName(name, in: self)
    if let i = localBuffers.firstIndex(where: { $0.name == name }) { localBuffers[i].tensor = tensor.detached() } else {
      localBuffers.append((name, tensor.detached()))
    }
  }

  private static func checkName(_ name: String, in m: Module) {
    precondition(!name.isEmpty && !name.contains("."), "\(m.typeName): invalid member name '\(name)'")
  }

  var typeName: String { String(describing: type(of: self)) }

  // MARK: Traversal

  /// Every module of the tree, this one first (named ""), depth-first in registration order; a module reachable
  /// along two paths appears once, under its first path (PyTorch's `named_modules`).
  public func namedModules() -> [(name: String, module: Module)] {
    var seen: Set<ObjectIdentifier> = []
    var out: [(name: String, module: Module)] = []
    func visit(_ m: Module, _ path: String) {
      guard seen.insert(ObjectIdentifier(m)).inserted else { return }
      out.append((path, m))
      for (name, child) in m.children { visit(child, path.isEmpty ? name : "\(path).\(name)") }
    }
    visit(self, "")
    return out
  }

  public func modules() -> [Module] { namedModules().map(\.module) }

  /// The module at a dotted path (`"model.10.conv_block"`), or nil.
  public func module(at path: String) -> Module? {
    var m: Module = self
    for part in path.split(separator: ".") {
      guard let c = m.children.first(where: { $0.name == part }) else { return nil }
      m = c.module
    }
    return m
  }

  /// Every parameter with its dotted name, module by module as `namedModules()` orders them, each parameter once.
  public func namedParameters() -> [(name: String, tensor: Tensor)] {
    Module.collect(namedModules(), \.localParameters)
  }

  public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

  /// The parameters that are not frozen: what an optimiser should update.
  public func namedTrainableParameters() -> [(name: String, tensor: Tensor)] {
    namedParameters().filter { $0.tensor.node?.isFrozen == false }
  }

  public func trainableParameters() -> [Tensor] { namedTrainableParameters().map(\.tensor) }

  public func namedBuffers() -> [(name: String, tensor: Tensor)] { Module.collect(namedModules(), \.localBuffers) }

  private static func collect(_ modules: [(name: String, module: Module)],
                              _ members: KeyPath<Module, [(name: String, tensor: Tensor)]>) -> [(name: String, tensor: Tensor)] {
    var seen: Set<ObjectIdentifier> = []
    var out: [(name: String, tensor: Tensor)] = []
    for (path, m) in modules {
      for (name, t) in m[keyPath: members] where seen.insert(ObjectIdentifier(t.storage)).inserted {
        out.append((path.isEmpty ? name : "\(path).\(name)", t))
      }
    }
    return out
  }

  /// Number of parameter elements (PyTorch's `sum(p.numel() for p in net.parameters())`).
  public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

  // MARK: Modes

  /// Sets training mode on this module and every descendant.
  public func train(_ on: Bool = true) { for m in modules() { m.isTraining = on } }

  public func eval() { train(false) }

  /// Makes every parameter of the subtree a constant: no gradient flows to it and `trainableParameters()` skips it.
  public func freeze() { for p in parameters() { p.node?.isFrozen = true } }

  public func unfreeze() { for p in parameters() { p.node?.isFrozen = false } }

  /// Zeroes every parameter's gradient in place (so a gradient living in an all-reduce bucket stays there), or with
  /// `setToNone` drops it.
  public func zeroGrad(setToNone: Bool = false) {
    for p in parameters() { p.zeroGrad(setToNone: setToNone) }
  }
}

extension Tensor {
  /// Zeroes this leaf's `.grad` in place, or drops it.
  public func zeroGrad(setToNone: Bool = false) {
    guard let g = grad else { return }
    if setToNone { grad = nil; return }
    g.storage.buffer.update(repeating: 0)
    g.storage.markModified()
  }
}
