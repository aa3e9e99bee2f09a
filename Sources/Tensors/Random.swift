/// A counter-based random stream (Philox4x32-10, Salmon et al. 2011): the numbers are a pure function of
/// (seed, key, position), so any rank can compute "the crop offset of global sample 1234 in epoch 3" without
/// talking to anyone, and a resumed run draws exactly what an uninterrupted one would have.
///
/// `RandomStream(seed: 7, key: [Purpose.dataAugment, epoch, sampleIndex])` — keys are any list of integers.
public struct RandomStream {
  private let key0: UInt32, key1: UInt32
  private let stream0: UInt32, stream1: UInt32
  private var block: UInt64 = 0
  private var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
  private var used = 4
  private var spareNormal: Float? = nil

  public init(seed: UInt64, key: [UInt64] = []) {
    key0 = UInt32(truncatingIfNeeded: seed)
    key1 = UInt32(truncatingIfNeeded: seed >> 32)
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15
    for k in key { h = RandomStream.mix(h ^ RandomStream.mix(k &+ 0x632B_E59B_D9B4_E019)) }
    stream0 = UInt32(truncatingIfNeeded: h)
    stream1 = UInt32(truncatingIfNeeded: h >> 32)
  }

  /// SplitMix64's finaliser: a bijective 64-bit mix.
  @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  public mutating func nextUInt32() -> UInt32 {
    if used == 4 { buffer = philox(block); block &+= 1; used = 0 }
    defer { used += 1 }
    switch used {
    case 0: return buffer.0
    case 1: return buffer.1
    case 2: return buffer.2
    default: return buffer.3
    }
  }

  public mutating func nextUInt64() -> UInt64 { UInt64(nextUInt32()) << 32 | UInt64(nextUInt32()) }

  /// Uniform in [0, 1) with 24 random bits.
  public mutating func nextFloat() -> Float { Float(nextUInt32() >> 8) * (1.0 / 16_777_216.0) }

  /// Uniform integer in 0..<n (unbiased, by rejection).
  public mutating func nextInt(below n: Int) -> Int {
    precondition(n > 0, "nextInt(below:) needs a positive bound, got \(n)")
    let bound = UInt64(n)
    let limit = UInt64.max - UInt64.max % bound
    while true { let r = nextUInt64(); if r < limit { return Int(r % bound) } }
  }

  /// Standard normal (Box–Muller, in Double for accuracy in the tails).
  public mutating func nextNormal() -> Float {
    if let s = spareNormal { spareNormal = nil; return s }
    var u1 = Double(nextUInt64() >> 11) * 0x1.0p-53
    if u1 < 1e-300 { u1 = 1e-300 }
    let u2 = Double(nextUInt64() >> 11) * 0x1.0p-53
    let r = (-2 * _log(u1)).squareRoot()
    spareNormal = Float(r * _sin(2 * Double.pi * u2))
    return Float(r * _cos(2 * Double.pi * u2))
  }

  /// A uniformly random permutation of 0..<n (Fisher–Yates).
  public mutating func permutation(_ n: Int) -> [Int] {
    var p = Array(0..<n)
    if n > 1 { for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, nextInt(below: i + 1)) } }
    return p
  }

  private func philox(_ counter: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
    var c0 = UInt32(truncatingIfNeeded: counter), c1 = UInt32(truncatingIfNeeded: counter >> 32)
    var c2 = stream0, c3 = stream1
    var k0 = key0, k1 = key1
    for _ in 0..<10 {
      let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
      let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
      let n0 = UInt32(truncatingIfNeeded: p1 >> 32) ^ c1 ^ k0
      let n2 = UInt32(truncatingIfNeeded: p0 >> 32) ^ c3 ^ k1
      c1 = UInt32(truncatingIfNeeded: p1); c3 = UInt32(truncatingIfNeeded: p0)
      c0 = n0; c2 = n2
      k0 &+= 0x9E37_79B9; k1 &+= 0xBB67_AE85
    }
    return (c0, c1, c2, c3)
  }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Glibc.sin(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Foundation
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Foundation.sin(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
