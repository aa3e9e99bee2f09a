import Foundation
import Tensors

/// FNV-1a (64 bit) over a file's bytes, read 8 bytes at a time: detects truncation and flipped bits in a
/// checkpoint file. Not a cryptographic hash; it guards against accidents, not adversaries.
public enum Checksum {
  public static func of(_ data: Data) -> String {
    var h = FNV1a64()
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      let words = raw.count / 8
      for i in 0..<words { h.add(word: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
      for i in (words * 8)..<raw.count { h.add(byte: raw[i]) }
    }
    h.add(word: UInt64(data.count))
    return "fnv1a64:" + String(h.value, radix: 16).leftPadded(to: 16)
  }

  public static func of(file url: URL) throws -> String { of(try Data(contentsOf: url)) }
}

extension String {
  func leftPadded(to n: Int, with c: Character = "0") -> String { count >= n ? self : String(repeating: c, count: n - count) + self }
}
