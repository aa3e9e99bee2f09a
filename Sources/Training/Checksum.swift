import Foundation

/// FNV-1a (64 bit) over a file's bytes, read 8 bytes at a time: detects truncation and flipped bits in a
/// checkpoint file. Not a cryptographic hash; it guards against accidents, not adversaries.
public enum Checksum {
  public static func of(_ data: Data) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      let words = raw.count / 8
      for i in 0..<words { h = (h ^ raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) &* 0x100_0000_01b3 }
      for i in (words * 8)..<raw.count { h = (h ^ UInt64(raw[i])) &* 0x100_0000_01b3 }
    }
    h = (h ^ UInt64(data.count)) &* 0x100_0000_01b3
    return "fnv1a64:" + String(h, radix: 16).leftPadded(to: 16)
  }

  public static func of(file url: URL) throws -> String { of(try Data(contentsOf: url)) }
}

extension String {
  func leftPadded(to n: Int, with c: Character = "0") -> String { count >= n ? self : String(repeating: c, count: n - count) + self }
}
