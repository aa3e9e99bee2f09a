import XCTest
import Tensors

/// Finite-difference gradient check along a random direction.
///
/// With a random cotangent u and L(x) = Σ f(x)·u (accumulated in Double), the analytic directional derivative
/// Σᵢ ⟨∂L/∂xᵢ, vᵢ⟩ from `backward(u)` must match the central difference (L(x + εv) − L(x − εv)) / 2ε for a random
/// direction v, checked for each input on its own so a failure names the input. Use tiny shapes.
public func gradCheck(_ name: String, _ inputs: [Tensor], eps: Float = 1e-2, rtol: Double = 2e-2, atol: Double = 1e-3,
                      seed: UInt64 = 17, file: StaticString = #filePath, line: UInt = #line,
                      _ f: ([Tensor]) throws -> Tensor) rethrows {
  var rng = RandomStream(seed: seed, key: [0xC0DE])
  let leaves = inputs.map { $0.copy().requiringGrad() }
  let y = try f(leaves)
  let u = Tensor.randn(y.shape, &rng)
  do { try y.backward(u) } catch { return XCTFail("\(name): backward threw \(error)", file: file, line: line) }

  func loss(_ xs: [Tensor]) throws -> Double {
    let out = try noGrad { try f(xs) }
    var s = 0.0
    for i in 0..<out.count { s += Double(out[flat: i]) * Double(u[flat: i]) }
    return s
  }

  for (k, leaf) in leaves.enumerated() {
    let v = Tensor.randn(leaf.shape, &rng)
    guard let g = leaf.grad else { XCTFail("\(name): input \(k) got no gradient", file: file, line: line); continue }
    var analytic = 0.0
    for i in 0..<v.count { analytic += Double(g[flat: i]) * Double(v[flat: i]) }
    func shifted(_ sign: Float) -> [Tensor] {
      leaves.enumerated().map { j, x in
        guard j == k else { return x.detached() }
        let t = x.copy()
        for i in 0..<t.count { t[flat: i] += sign * eps * v[flat: i] }
        return t
      }
    }
    let numeric = (try loss(shifted(1)) - loss(shifted(-1))) / (2 * Double(eps))
    let ok = abs(analytic - numeric) <= atol + rtol * abs(numeric)
    XCTAssertTrue(ok, "\(name): input \(k) directional derivative \(analytic) (backward) vs \(numeric) (finite differences)",
                  file: file, line: line)
  }
}
