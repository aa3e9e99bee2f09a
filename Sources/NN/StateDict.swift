import Foundation
import Tensors

/// Why a state dict did not load. Each case names the keys at fault.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
  case missingKeys([String])
  case unexpectedKeys([String])
  case shapeMismatch(key: String, expected: [Int], got: [Int])

  public var description: String {
    switch self {
    case .missingKeys(let k): return "state dict is missing \(k.count == 1 ? "key" : "keys") \(k.joined(separator: ", "))"
    case .unexpectedKeys(let k): return "state dict has unexpected \(k.count == 1 ? "key" : "keys") \(k.joined(separator: ", "))"
    case .shapeMismatch(let key, let e, let g): return "state dict key \(key): expected shape \(e), got \(g)"
    }
  }
}

extension Module {
  /// Parameters then buffers of each module, module by module (PyTorch's `state_dict` order), detached views of
  /// the live storage.
  public func stateDict() -> [(name: String, tensor: Tensor)] {
    var out: [(name: String, tensor: Tensor)] = []
    func visit(_ m: Module, _ prefix: String) {
      for (name, t) in m.localParameters + m.localBuffers { out.append((prefix + name, t.detached())) }
      for (name, c) in m.children { visit(c, prefix + name + ".") }
    }
    visit(self, "")
    return out
  }

  /// Copies `state` into the parameters and buffers in place (their identity, gradients and optimiser state are
  /// kept). Every key is checked before anything is written, so a failed load changes nothing. `strict` also
  /// requires the key sets to match exactly; a shape mismatch is always an error.
  public func loadStateDict(_ state: [String: Tensor], strict: Bool = true) throws {
    let own = stateDict()
    if strict {
      let missing = own.map(\.name).filter { state[$0] == nil }
      if !missing.isEmpty { throw StateDictError.missingKeys(missing) }
      let known = Set(own.map(\.name))
      let unexpected = state.keys.filter { !known.contains($0) }.sorted()
      if !unexpected.isEmpty { throw StateDictError.unexpectedKeys(unexpected) }
    }
    for (name, t) in own {
      if let v = state[name], v.shape != t.shape {
        throw StateDictError.shapeMismatch(key: name, expected: t.shape, got: v.shape)
      }
    }
    for (name, t) in own { if let v = state[name] { t.assign(v) } }
  }

  /// Writes the state dict as safetensors (atomically).
  public func save(to url: URL, metadata: [String: String] = [:]) throws {
    try SafeTensors.write(stateDict().map { ($0.name, $0.tensor) }, metadata: metadata, to: url)
  }

  /// Loads a safetensors state dict written by `save(to:)` or converted from a PyTorch checkpoint.
  public func load(from url: URL, strict: Bool = true) throws {
    try loadStateDict(SafeTensors.read(url).tensors, strict: strict)
  }
}
