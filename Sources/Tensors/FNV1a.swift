/// FNV-1a, 64 bit: the one stable hash of the project (Swift's `Hasher` is seeded per process). It keys random
/// streams by name, fingerprints bucket layouts and tensor lists across ranks, and checksums checkpoint files.
///
///     h₀ = 0xcbf29ce484222325,   h ← (h ⊕ x)·0x100000001b3   for each input unit x
///
/// The unit is a byte (`add(byte:)`, `add(bytes:)`, and `add(littleEndian:)` for the 8 bytes of a UInt64, low byte
/// first) or a whole 64-bit word (`add(word:)`, eight times fewer multiplications, used for file checksums). The
/// two give different values for the same bytes; each caller keeps its own, so stored checksums and random keys
/// stay what they were.
public struct FNV1a64 {
  public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
  static let prime: UInt64 = 0x100_0000_01b3

  public init() {}

  @inline(__always)
  public mutating func add(byte: UInt8) { value = (value ^ UInt64(byte)) &* FNV1a64.prime }

  public mutating func add(bytes: some Sequence<UInt8>) { for b in bytes { add(byte: b) } }

  /// The 8 bytes of `x`, low byte first.
  public mutating func add(littleEndian x: UInt64) {
    var v = x
    for _ in 0..<8 { add(byte: UInt8(truncatingIfNeeded: v)); v >>= 8 }
  }

  /// `x` as one unit.
  @inline(__always)
  public mutating func add(word x: UInt64) { value = (value ^ x) &* FNV1a64.prime }
}
