import NN
import Tensors
import XCTest

/// Loads a fixture's `param.<name>` tensors into `net` by their PyTorch state-dict names (strictly).
public func loadParameters(_ net: Module, from f: Fixture) throws {
  var state: [String: Tensor] = [:]
  for (key, t) in f.tensors where key.hasPrefix("param.") { state[String(key.dropFirst("param.".count))] = t }
  try net.loadStateDict(state)
}

/// Every parameter of `net` has a `grad.<name>` in the fixture and its gradient matches it. A parameter without a
/// gradient (a conv bias cancelled by the instance norm after it, left out of the graph) must have PyTorch's gradient 0
/// within the gradient tolerance.
public func assertGradientsMatch(_ net: Module, _ f: Fixture, file: StaticString = #filePath, line: UInt = #line) {
  let names = net.namedParameters().map(\.name)
  XCTAssertEqual(Set(names.map { "grad." + $0 }), Set(f.tensors.keys.filter { $0.hasPrefix("grad.") }),
                 file: file, line: line)
  for (name, p) in net.namedParameters() {
    guard let g = p.grad else {
      let reference = f["grad." + name]
      XCTAssertEqual(reference.count, p.count, name, file: file, line: line)
      for i in 0..<reference.count {
        XCTAssertLessThanOrEqual(abs(reference.storage.base[i]), 1e-4, "\(name)[\(i)]: no gradient here", file: file, line: line)
      }
      continue
    }
    assertCloseGradient(g, f["grad." + name], name, file: file, line: line)
  }
}

/// `net` against a PyTorch network fixture: its `param.*` tensors load strictly, y = forward(x) matches "y",
/// loss(y, fixture) matches "loss", and after backward every parameter gradient matches its `grad.*`.
public func assertNetworkMatchesFixture(_ net: Module, _ f: Fixture, forward: (Tensor) -> Tensor,
                                        loss: (Tensor, Fixture) -> Tensor,
                                        file: StaticString = #filePath, line: UInt = #line) throws {
  try loadParameters(net, from: f)
  let y = forward(f["x"])
  assertCloseForward(y, f["y"], "y", file: file, line: line)
  let l = loss(y, f)
  assertCloseForward(l, f["loss"], "loss", file: file, line: line)
  try l.backward()
  assertGradientsMatch(net, f, file: file, line: line)
}

/// "<network>.<path>.bias" of every conv whose bias an instance norm cancels (left out of the graph, never updated;
/// see `Sequential.append`).
public func cancelledBiasNames(_ networks: [(name: String, module: Module)]) -> Set<String> {
  Set(networks.flatMap { net, module in
    module.namedModules().filter { ($0.module as? Conv2d)?.biasIsCancelled ?? ($0.module as? ConvTranspose2d)?.biasIsCancelled ?? false }
      .map { "\(net).\($0.name).bias" }
  })
}

/// Every parameter changed between `before` and `after` (same names, same order), except the cancelled biases,
/// which must not have changed.
public func assertEveryParameterMoved(before: [(name: String, tensor: Tensor)], after: [(name: String, tensor: Tensor)],
                                      except cancelled: Set<String>, file: StaticString = #filePath, line: UInt = #line) {
  XCTAssertEqual(before.map(\.name), after.map(\.name), file: file, line: line)
  for (b, a) in zip(before, after) {
    if cancelled.contains(a.name) {
      XCTAssertEqual(b.tensor.scalars, a.tensor.scalars, "\(a.name) moved", file: file, line: line)
    } else {
      XCTAssertNotEqual(b.tensor.scalars, a.tensor.scalars, "\(a.name) did not change", file: file, line: line)
    }
  }
}
