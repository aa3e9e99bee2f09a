import XCTest
import Tensors

/// Tolerances of STYLE.md: forward values rtol 1e-4 / atol 1e-5, gradients rtol 1e-3 / atol 1e-4.
public enum Tolerance {
  public static let forward = (rtol: Float(1e-4), atol: Float(1e-5))
  public static let gradient = (rtol: Float(1e-3), atol: Float(1e-4))
}

/// Passes when shapes agree and every element satisfies |a − b| ≤ atol + rtol·|b| (torch.allclose, b the reference).
public func assertClose(_ actual: Tensor?, _ expected: Tensor, rtol: Float, atol: Float, _ what: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
  guard let actual else { return XCTFail("\(what): no tensor (nil)", file: file, line: line) }
  guard actual.shape == expected.shape || (actual.count == expected.count && expected.count == 1) else {
    return XCTFail("\(what): shape \(actual.shape) != expected \(expected.shape)", file: file, line: line)
  }
  var worst = (index: -1, excess: Float(0))
  for i in 0..<expected.count {
    let a = actual[flat: i], b = expected[flat: i]
    let excess = abs(a - b) - (atol + rtol * abs(b))
    if !(excess <= 0) && (worst.index < 0 || !(excess <= worst.excess)) { worst = (i, excess) }
  }
  if worst.index >= 0 {
    let i = worst.index
    XCTFail("\(what): element \(i) is \(actual[flat: i]), expected \(expected[flat: i]) (rtol \(rtol), atol \(atol))",
            file: file, line: line)
  }
}

public func assertCloseForward(_ a: Tensor?, _ e: Tensor, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
  assertClose(a, e, rtol: Tolerance.forward.rtol, atol: Tolerance.forward.atol, what, file: file, line: line)
}

public func assertCloseGradient(_ a: Tensor?, _ e: Tensor, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
  assertClose(a, e, rtol: Tolerance.gradient.rtol, atol: Tolerance.gradient.atol, what, file: file, line: line)
}

/// Passes when every element of `actual` and `expected`, two float32 evaluations of the same K-term sums (in any
/// order: another GEMM blocking, a split over threads, a Double oracle rounded once), differ by at most the
/// worst-case rounding bound of the two, |a − b| ≤ (γ_K(a) + γ_K(b))·Σ|terms|, with γ_K = K·u/(1 − K·u) and
/// u = 2⁻²⁴ (Higham, Accuracy and Stability of Numerical Algorithms, §3.1). `magnitude[i]` is Σ|terms| of element i
/// (for a product, (|A|·|B|)[i]); `exactSides` counts the sides summed exactly and rounded once (then γ_1 = u).
/// The bound holds on every machine whatever the summation order, so a failure is a wrong sum, not rounding luck.
public func assertWithinSumBound(_ actual: Tensor, _ expected: Tensor, terms k: Int, magnitude: Tensor,
                                 exactSides: Int = 0, _ what: String = "",
                                 file: StaticString = #filePath, line: UInt = #line) {
  guard actual.shape == expected.shape, magnitude.count == expected.count else {
    return XCTFail("\(what): shapes \(actual.shape), \(expected.shape), magnitude \(magnitude.shape)", file: file, line: line)
  }
  let u = 0x1p-24, gamma = { (n: Int) in Double(n) * u / (1 - Double(n) * u) }
  let factor = Double(2 - exactSides) * gamma(k) + Double(exactSides) * gamma(1)
  for i in 0..<expected.count {
    let a = Double(actual[flat: i]), b = Double(expected[flat: i]), bound = factor * Double(magnitude[flat: i])
    if !(abs(a - b) <= bound) {
      return XCTFail("\(what): element \(i) is \(a), expected \(b): |difference| \(abs(a - b)) exceeds the bound "
                     + "\(bound) of two \(k)-term float sums", file: file, line: line)
    }
  }
}
