import CImageShim

/// JPEG decoding through libjpeg-turbo (8-bit gray or YCbCr/RGB, baseline or progressive), with libjpeg's default
/// settings (ISLOW DCT, fancy upsampling), so the pixels are those of `djpeg` and of PIL.
///
/// libjpeg reports errors through a handler that must not return; the decode therefore runs in a small C shim
/// that longjmps back and returns the message. Corrupt-data warnings, such as a premature end of file, are errors.
public enum JPEG {
  /// Decodes JPEG bytes; errors are `DataError.badImage` naming `name`.
  public static func decode(_ bytes: [UInt8], name: String) throws -> RasterImage {
    guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF else {
      throw DataError.badImage(path: name, reason: "not a JPEG file (no start-of-image marker)")
    }
    var decoded = i2i_jpeg_image()
    var message = [CChar](repeating: 0, count: 256)
    let rc = bytes.withUnsafeBufferPointer { src in
      i2i_jpeg_decode(src.baseAddress, src.count, Int64(RasterImage.maxPixels), &decoded, &message, message.count)
    }
    guard rc == 0, let pixels = decoded.pixels else {
      let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      throw DataError.badImage(path: name, reason: "corrupt JPEG (\(text))")
    }
    defer { i2i_free(pixels) }
    let count = Int(decoded.width) * Int(decoded.height) * Int(decoded.channels)
    let samples = [UInt16](unsafeUninitializedCapacity: count) { buffer, initialized in
      for i in 0..<count { buffer[i] = UInt16(pixels[i]) }
      initialized = count
    }
    return RasterImage(width: Int(decoded.width), height: Int(decoded.height), channels: Int(decoded.channels),
                       bitDepth: 8, samples: samples)
  }
}
