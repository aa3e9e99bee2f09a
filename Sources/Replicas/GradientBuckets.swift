import Foundation
import Tensors

/// The gradients of one parameter group living as slices of a few flat buffers ("buckets"), so that
/// synchronising them is one in-place all-reduce per bucket, with no copy in or out. (The ×1/N of averaging is
/// folded into backward: registered leaves accumulate g/N, see `Node.gradientScale`.)
///
/// The layout is a pure function of the parameter list: parameters are taken in reverse order (the order backward
/// produces their gradients) and packed greedily into buckets of at most `capBytes` (a parameter larger than the
/// cap gets a bucket of its own). Every rank therefore builds the same layout; `layoutHash` lets them check.
package final class GradientBuckets {
  package struct Slot {
    package let name: String
    package let parameter: Tensor
    package let bucket: Int
    package let offset: Int
  }

  package let group: String
  package let slots: [Slot]
  /// Bucket buffers (element counts = sum of their parameters' counts).
  package let buffers: [TensorStorage]
  package let layoutHash: UInt64

  package init(group: String, parameters: [(String, Tensor)], capBytes: Int = 25 << 20) {
    precondition(capBytes > 0, "bucket cap must be positive")
    let cap = max(1, capBytes / MemoryLayout<Float>.stride)
    var bucketSizes: [Int] = []
    var placement: [(name: String, parameter: Tensor, bucket: Int, offset: Int)] = []
    for (name, p) in parameters.reversed() {
      precondition(p.node?.isLeaf == true, "parameter \(name) of group \(group) is not a leaf that requires grad")
      if bucketSizes.isEmpty || (bucketSizes[bucketSizes.count - 1] > 0 && bucketSizes[bucketSizes.count - 1] + p.count > cap) {
        bucketSizes.append(0)
      }
      placement.append((name, p, bucketSizes.count - 1, bucketSizes[bucketSizes.count - 1]))
      bucketSizes[bucketSizes.count - 1] += p.count
    }
    self.group = group
    self.buffers = bucketSizes.map { n in
      let s = TensorStorage(count: n)
      s.buffer.update(repeating: 0)
      return s
    }
    self.slots = placement.map { Slot(name: $0.name, parameter: $0.parameter, bucket: $0.bucket, offset: $0.offset) }
    var h = FNV1a64()
    h.add(group)
    for s in slots { h.add(s.name); for d in s.parameter.shape { h.add(UInt64(d)) }; h.add(UInt64(s.bucket)); h.add(UInt64(s.offset)) }
    self.layoutHash = h.value
    installGradientViews()
  }

  /// Points every parameter's `.grad` at its slice of its bucket (existing gradient values are kept).
  package func installGradientViews() {
    for s in slots {
      let base = buffers[s.bucket].base + s.offset
      if let g = s.parameter.grad, g.storage.base != base { base.update(from: g.storage.base, count: s.parameter.count) }
      else if s.parameter.grad == nil { base.update(repeating: 0, count: s.parameter.count) }
      if s.parameter.grad?.storage.base != base {
        s.parameter.grad = Tensor(storage: TensorStorage(borrowing: base, count: s.parameter.count, owner: buffers[s.bucket]),
                                  shape: s.parameter.shape)
      }
    }
  }

  /// Zeroes every gradient (the bucket buffers), keeping the views.
  package func zero() {
    installGradientViews()
    for b in buffers { b.buffer.update(repeating: 0); b.markModified() }
  }

  /// Parameters per bucket, counted down by the overlap path as their gradients complete.
  package var parameterCountPerBucket: [Int] {
    var n = [Int](repeating: 0, count: buffers.count)
    for s in slots { n[s.bucket] += 1 }
    return n
  }
}

extension FNV1a64 {
  /// A name in a layout fingerprint: its UTF-8 bytes, then 0xff as 8 bytes (so "ab" + "c" ≠ "a" + "bc").
  package mutating func add(_ s: String) { add(bytes: s.utf8); add(littleEndian: 0xff) }
  package mutating func add(_ x: UInt64) { add(littleEndian: x) }
  package mutating func add(_ p: UnsafeBufferPointer<Float>) { for x in p { add(littleEndian: UInt64(x.bitPattern)) } }
}
