/// Kernel Inception Distance (Bińkowski et al., "Demystifying MMD GANs", 2018): the unbiased estimate of the squared
/// maximum mean discrepancy between two feature sets under the cubic polynomial kernel k(x, y) = (x·y / d + 1)³,
///
///   MMD²ᵤ = Σ_{i≠j} k(xᵢ, xⱼ) / (m(m−1)) + Σ_{i≠j} k(yᵢ, yⱼ) / (n(n−1)) − 2 Σ_{i,j} k(xᵢ, yⱼ) / (mn).
///
/// Unbiased, so it can come out slightly negative when the two sets are alike. Computed in Double over all
/// features at once (the 100-image test sets here are smaller than the reference's 1000-image subsets).
public enum KID {
  /// `x` (m rows) and `y` (n rows) of `d` features each, row-major; m, n ≥ 2.
  public static func squaredMMD(_ x: [Float], _ y: [Float], features d: Int) -> Double {
    precondition(d > 0 && x.count % d == 0 && y.count % d == 0, "KID: feature arrays are not rows of \(d)")
    let m = x.count / d, n = y.count / d
    precondition(m >= 2 && n >= 2, "KID: needs at least 2 rows in each set, got \(m) and \(n)")
    func kernel(_ a: [Float], _ i: Int, _ b: [Float], _ j: Int) -> Double {
      var dot = 0.0
      for k in 0..<d { dot += Double(a[i * d + k]) * Double(b[j * d + k]) }
      let base = dot / Double(d) + 1
      return base * base * base
    }
    func withinSum(_ a: [Float], _ rows: Int) -> Double {
      var sum = 0.0
      for i in 0..<rows { for j in 0..<rows where j != i { sum += kernel(a, i, a, j) } }
      return sum / Double(rows * (rows - 1))
    }
    var cross = 0.0
    for i in 0..<m { for j in 0..<n { cross += kernel(x, i, y, j) } }
    return withinSum(x, m) + withinSum(y, n) - 2 * cross / Double(m * n)
  }
}
