import XCTest
import Tensors

/// Comparisons scaled by a reference tensor's RMS, for fixtures whose tolerances are derived per tensor from the
/// rounding of the sums that produce it (a gradient element summing K terms of mixed sign: see `sumBound`).
public enum RMSComparison {
  /// √(mean of b²) in Double.
  public static func rms(_ b: Tensor) -> Double {
    var s = 0.0
    for i in 0..<b.count { s += Double(b[flat: i]) * Double(b[flat: i]) }
    return (s / Double(max(b.count, 1))).squareRoot()
  }

  /// max |a − b| / rms(b) over the elements (0 for two all-zero tensors, ∞ for a mismatch against zeros).
  public static func error(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.count == b.count, "RMSComparison: \(a.shape) against \(b.shape)")
    var worst = 0.0
    for i in 0..<b.count { worst = max(worst, Double(abs(a[flat: i] - b[flat: i]))) }
    let scale = rms(b)
    return worst == 0 ? 0 : (scale > 0 ? worst / scale : .infinity)
  }

  /// The worst-case difference of two float32 evaluations (in any order) of a K-term sum of mixed-sign terms,
  /// relative to the size of the sum: 2γ_K·Σ|terms| with Σ|terms| ≈ √K·|sum| (Higham §3.1; γ_K = Ku/(1 − Ku),
  /// u = 2⁻²⁴). K = 1024 gives 4e-3, the bound StepParityTests holds gradients to.
  public static func sumBound(terms k: Int) -> Double {
    let u = 0x1p-24, gamma = Double(k) * u / (1 - Double(k) * u)
    return 2 * gamma * Double(k).squareRoot()
  }
}

/// Passes when a has b's shape and max |a − b| ≤ bound·rms(b); the message gives the measured ratio.
public func assertClose(_ a: Tensor?, _ b: Tensor, relativeToRMS bound: Double, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
  guard let a else { return XCTFail("\(what): no tensor (nil)", file: file, line: line) }
  guard a.shape == b.shape || (a.count == b.count && b.count == 1) else {
    return XCTFail("\(what): shape \(a.shape) != expected \(b.shape)", file: file, line: line)
  }
  let e = RMSComparison.error(a, b)
  XCTAssertLessThanOrEqual(e, bound, "\(what): max |difference| is \(e) of the reference's RMS (bound \(bound))",
                           file: file, line: line)
}
