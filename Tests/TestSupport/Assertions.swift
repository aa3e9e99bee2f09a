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
