import Foundation
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

/// `net` against a PyTorch network fixture made by `scripts/make_network_fixtures.py`: its `param.*` tensors load
/// strictly, y = forward(x) matches "y", the smooth loss sum(y·gy) matches "loss", and after backward every parameter
/// gradient matches its `grad.*`.
///
/// Before the gradients are compared, the forward error must sit well inside the fixture's `kink_margin`: the
/// script built the fixture so that every ReLU/LeakyReLU input is at least that far (relative to its tensor's RMS)
/// from 0. A forward that agrees to a small fraction of the margin takes every kink on the same side as PyTorch, so
/// the gradients are the same function and a mismatch is a real difference, not rounding luck (issue 11). The
/// output's error relative to its RMS stands for the error of every intermediate: float32 rounding grows about
/// uniformly through these networks, and the margin (1e-3) leaves two orders of magnitude over the 2e-6 to 1.3e-5
/// measured on the fixtures.
public func assertNetworkMatchesFixture(_ net: Module, _ f: Fixture, forward: (Tensor) -> Tensor,
                                        file: StaticString = #filePath, line: UInt = #line) throws {
  try loadParameters(net, from: f)
  let y = forward(f["x"])
  assertCloseForward(y, f["y"], "y", file: file, line: line)
  assertForwardInsideKinkMargin(y, f, file: file, line: line)
  let l = (y * f["gy"]).sum()
  assertCloseForward(l, f["loss"], "loss", file: file, line: line)
  try l.backward()
  assertGradientsMatch(net, f, file: file, line: line)
}

/// max|y − y_ref| / rms(y_ref) is below a tenth of the fixture's `kink_margin` (see `assertNetworkMatchesFixture`).
public func assertForwardInsideKinkMargin(_ y: Tensor, _ f: Fixture, file: StaticString = #filePath, line: UInt = #line) {
  guard let text = f.metadata["kink_margin"], let margin = Double(text) else {
    return XCTFail("\(f.name): no kink_margin in the metadata (regenerate with scripts/make_network_fixtures.py)",
                   file: file, line: line)
  }
  let reference = f["y"]
  guard y.count == reference.count else { return }  // the shape failure is reported by assertCloseForward
  var worst = 0.0, squares = 0.0
  for i in 0..<reference.count {
    worst = max(worst, Double(abs(y[flat: i] - reference[flat: i])))
    squares += Double(reference[flat: i]) * Double(reference[flat: i])
  }
  let relative = worst / max(sqrt(squares / Double(reference.count)), .leastNormalMagnitude)
  XCTAssertLessThan(relative, margin / 10, "\(f.name): forward error \(relative) (relative to rms) is not below a "
                    + "tenth of the kink margin \(margin): the gradient comparison would depend on rounding",
                    file: file, line: line)
}

/// "<network>.<path>.bias" of every conv whose bias a normalisation cancels (left out of the graph, never updated;
/// see `Sequential.append` and `SPADEResnetBlock`).
public func cancelledBiasNames(_ networks: [(name: String, module: Module)]) -> Set<String> {
  Set(networks.flatMap { net, module in
    module.namedModules().filter {
      ($0.module as? Conv2d)?.biasIsCancelled ?? ($0.module as? ConvTranspose2d)?.biasIsCancelled
        ?? ($0.module as? SpectralNormConv2d)?.biasIsCancelled ?? false
    }.map { "\(net).\($0.name).bias" }
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
