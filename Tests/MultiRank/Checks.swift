import Foundation
import Distributed
import Tensors

/// A tiny harness for checks that run on every rank: a check passes only if it passes on every rank.
struct MultiRankChecks {
  let comm: Communicator
  var passed = 0, failed = 0

  mutating func check(_ name: String, _ body: () throws -> String?) {
    var failure: String?
    do { failure = try body() } catch { failure = "threw \(error)" }
    let failures = (try? comm.allReduce(Int64(failure == nil ? 0 : 1), .sum)) ?? 1
    if let failure { FileHandle.standardError.write(Data("rank \(comm.rank): \(name): \(failure)\n".utf8)) }
    if failures == 0 { passed += 1 } else { failed += 1 }
    if comm.isRoot { print("\(failures == 0 ? "ok  " : "FAIL") \(name) [\(comm.size) ranks]") }
  }
}

/// nil when |a − b| ≤ atol + rtol·|b| everywhere, else a description of the worst element.
func compare(_ a: Tensor, _ b: Tensor, rtol: Float, atol: Float = 0, _ what: String) -> String? {
  guard a.shape == b.shape else { return "\(what): shape \(a.shape) vs \(b.shape)" }
  for i in 0..<a.count where !(abs(a[flat: i] - b[flat: i]) <= atol + rtol * abs(b[flat: i])) {
    return "\(what): element \(i) is \(a[flat: i]), expected \(b[flat: i])"
  }
  return nil
}

/// Rows [start, start + n) of a tensor along axis 0, as a fresh tensor.
func rows(_ x: Tensor, _ start: Int, _ n: Int) -> Tensor {
  let per = x.count / x.shape[0]
  let out = Tensor(uninitialized: [n] + x.shape.dropFirst())
  out.storage.base.update(from: x.storage.base + start * per, count: n * per)
  return out
}
