/// An IDX array (the MNIST / Fashion-MNIST format): a big-endian header — two zero bytes, a type byte (0x08 =
/// unsigned byte), the number of dimensions, then each dimension as a UInt32 — followed by the raw values.
public struct IDXArray: Sendable {
  public let shape: [Int]
  public let values: [UInt8]

  /// Reads a gzip-compressed IDX file of unsigned bytes.
  public init(gzipFile path: String) throws {
    try self.init(bytes: try Gzip.decompress(file: path), name: path)
  }

  public init(bytes: [UInt8], name: String) throws {
    func fail(_ reason: String) -> DataError { .badImage(path: name, reason: "not an IDX file of bytes: \(reason)") }
    guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else { throw fail("bad magic number") }
    guard bytes[2] == 0x08 else { throw fail("element type 0x\(String(bytes[2], radix: 16)) is not unsigned byte") }
    let rank = Int(bytes[3])
    guard rank >= 1, bytes.count >= 4 + 4 * rank else { throw fail("truncated header") }
    var shape: [Int] = []
    for d in 0..<rank {
      let o = 4 + 4 * d
      shape.append(bytes[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) })
    }
    let count = shape.reduce(1, *), offset = 4 + 4 * rank
    guard bytes.count == offset + count else { throw fail("\(bytes.count - offset) values for shape \(shape)") }
    self.shape = shape
    self.values = Array(bytes[offset...])
  }
}
