/// Binary PGM (P5) and PPM (P6), 8 or 16 bits: the format `djpeg` writes, used for reference decodes.
public enum PNM {
  /// Decodes P5/P6 bytes; errors are `DataError.badImage` naming `name`.
  public static func decode(_ bytes: [UInt8], name: String) throws -> RasterImage {
    func fail(_ reason: String) -> DataError { .badImage(path: name, reason: reason) }
    guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "6")
    else { throw fail("not a binary PGM/PPM file") }
    let channels = bytes[1] == UInt8(ascii: "5") ? 1 : 3
    var i = 2
    var fields: [Int] = []
    while fields.count < 3 {
      while i < bytes.count, bytes[i] == UInt8(ascii: "#") || isSpace(bytes[i]) {
        if bytes[i] == UInt8(ascii: "#") { while i < bytes.count, bytes[i] != 10 { i += 1 } } else { i += 1 }
      }
      var value = 0, digits = 0
      while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57, digits < 9 {
        value = value * 10 + Int(bytes[i] - 48); i += 1; digits += 1
      }
      guard digits > 0 else { throw fail("malformed PGM/PPM header") }
      fields.append(value)
    }
    guard i < bytes.count, isSpace(bytes[i]) else { throw fail("malformed PGM/PPM header") }
    i += 1
    let (width, height, maxValue) = (fields[0], fields[1], fields[2])
    guard width > 0, height > 0, width * height <= RasterImage.maxPixels, (1...65535).contains(maxValue) else {
      throw fail("unsupported PGM/PPM size \(width)x\(height) or maximum value \(maxValue)")
    }
    let wide = maxValue > 255, count = width * height * channels
    guard bytes.count - i >= count * (wide ? 2 : 1) else { throw fail("truncated PGM/PPM data") }
    var samples = [UInt16](repeating: 0, count: count)
    for k in 0..<count {
      samples[k] = wide ? UInt16(bytes[i + 2 * k]) << 8 | UInt16(bytes[i + 2 * k + 1]) : UInt16(bytes[i + k])
      guard Int(samples[k]) <= maxValue else { throw fail("sample \(samples[k]) above the maximum \(maxValue)") }
    }
    // Rescale other maximum values to the full 8- or 16-bit range, as PIL does.
    let full = wide ? 65535 : 255
    if maxValue != full { samples = samples.map { UInt16((Int($0) * full + maxValue / 2) / maxValue) } }
    return RasterImage(width: width, height: height, channels: channels, bitDepth: wide ? 16 : 8, samples: samples)
  }

  private static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }
}
