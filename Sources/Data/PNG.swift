import CPNG

/// PNG through libpng's simplified API (`png_image`): 1-, 2-, 4-, 8- and 16-bit gray, gray + alpha, RGB, RGBA;
/// palette images come out expanded to RGB(A).
///
/// NOTE: the simplified API treats 8-bit data as sRGB-encoded and 16-bit data as linear, so 16-bit files are read
/// and written as linear (a file with no gamma chunk, or with gAMA 1.0 as libpng writes it, reads back unchanged;
/// a 16-bit file that declares sRGB gamma is linearised). For 16-bit images with alpha the API works with
/// premultiplied colour; `decode` and `encode` convert so that callers always see straight (unassociated) alpha.
public enum PNG {
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Decodes PNG bytes; errors are `DataError.badImage` naming `name`.
  public static func decode(_ bytes: [UInt8], name: String) throws -> RasterImage {
    try decode(bytes, name: name, ids: false)
  }

  /// Decodes a label or instance map so that its ids come out exactly as stored: a palette image gives its
  /// palette indices (1 channel, 8-bit), not the palette colours; gray gives its 8- or 16-bit values unchanged.
  /// Ids are numbers, not light: the colour-space chunks (gAMA, sRGB, iCCP, cHRM) are dropped before decoding,
  /// so no gamma conversion can touch them. Colour (non-palette) files decode as `decode` does.
  public static func decodeIds(_ bytes: [UInt8], name: String) throws -> RasterImage {
    try decode(bytes, name: name, ids: true)
  }

  private static func decode(_ bytes: [UInt8], name: String, ids: Bool) throws -> RasterImage {
    guard bytes.starts(with: signature) else {
      throw DataError.badImage(path: name, reason: "not a PNG file (no PNG signature)")
    }
    // libpng stops after the image data; a file cut inside its last chunks would pass unnoticed.
    guard hasEndChunk(bytes) else {
      throw DataError.badImage(path: name, reason: "truncated or damaged PNG (no intact IEND chunk)")
    }
    let bytes = ids ? withoutChunks(colorSpaceChunks, bytes) : bytes
    return try bytes.withUnsafeBytes { raw -> RasterImage in
      var image = png_image()
      image.version = png_uint_32(PNG_IMAGE_VERSION)
      defer { png_image_free(&image) }
      guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
        throw DataError.badImage(path: name, reason: "not a readable PNG (\(message(of: &image)))")
      }
      let flags = image.format
      let linear = flags & PNG_FORMAT_FLAG_LINEAR != 0
      let channels = (flags & PNG_FORMAT_FLAG_COLOR != 0 ? 3 : 1) + (flags & PNG_FORMAT_FLAG_ALPHA != 0 ? 1 : 0)
      let width = Int(image.width), height = Int(image.height)
      guard width * height <= RasterImage.maxPixels else {
        throw DataError.badImage(path: name, reason: "PNG of \(width)x\(height) pixels is larger than the limit")
      }
      if ids && flags & PNG_FORMAT_FLAG_COLORMAP != 0 {
        // Keeping the colormap flag reads the indices; libpng maps a PNG palette to its colormap entry for entry.
        image.format = PNG_FORMAT_FLAG_COLORMAP | PNG_FORMAT_FLAG_COLOR
        var indices = [UInt8](repeating: 0, count: width * height)
        var colormap = [UInt8](repeating: 0, count: 256 * 3)
        let ok = indices.withUnsafeMutableBytes { out in
          colormap.withUnsafeMutableBytes { png_image_finish_read(&image, nil, out.baseAddress, 0, $0.baseAddress) }
        }
        guard ok != 0 else { throw DataError.badImage(path: name, reason: "corrupt PNG (\(message(of: &image)))") }
        return RasterImage(width: width, height: height, channels: 1, bitDepth: 8, samples: indices.map { UInt16($0) })
      }
      // Dropping the colormap flag asks for the palette to be expanded.
      image.format = flags & (PNG_FORMAT_FLAG_LINEAR | PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
      let count = width * height * channels
      var samples: [UInt16]
      if linear {
        samples = [UInt16](repeating: 0, count: count)
        let ok = samples.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else { throw DataError.badImage(path: name, reason: "corrupt PNG (\(message(of: &image)))") }
        if channels % 2 == 0 { unpremultiply(&samples, channels: channels) }
      } else {
        var bytes8 = [UInt8](repeating: 0, count: count)
        let ok = bytes8.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else { throw DataError.badImage(path: name, reason: "corrupt PNG (\(message(of: &image)))") }
        samples = bytes8.map { UInt16($0) }
      }
      return RasterImage(width: width, height: height, channels: channels, bitDepth: linear ? 16 : 8,
                         samples: samples)
    }
  }

  /// Encodes an 8- or 16-bit raster; `name` is only for error messages.
  public static func encode(_ raster: RasterImage, name: String = "PNG") throws -> [UInt8] {
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    image.width = png_uint_32(raster.width)
    image.height = png_uint_32(raster.height)
    image.format = (raster.colorChannels == 3 ? PNG_FORMAT_FLAG_COLOR : 0) | (raster.hasAlpha ? PNG_FORMAT_FLAG_ALPHA : 0)
      | (raster.bitDepth == 16 ? PNG_FORMAT_FLAG_LINEAR : 0)
    defer { png_image_free(&image) }

    var capacity = raster.samples.count * (raster.bitDepth / 8) + raster.height + 1024
    for _ in 0..<2 {
      var out = [UInt8](repeating: 0, count: capacity)
      var size = png_alloc_size_t(capacity)
      let ok: Int32
      if raster.bitDepth == 16 {
        var samples = raster.samples
        if raster.hasAlpha { premultiply(&samples, channels: raster.channels) }
        ok = samples.withUnsafeBytes { src in
          out.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, src.baseAddress, 0, nil) }
        }
      } else {
        let bytes8 = raster.samples.map { UInt8(truncatingIfNeeded: $0) }
        ok = bytes8.withUnsafeBytes { src in
          out.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, src.baseAddress, 0, nil) }
        }
      }
      if ok != 0 { return Array(out.prefix(Int(size))) }
      guard Int(size) > capacity else { break }
      capacity = Int(size)
      image.warning_or_error = 0
    }
    throw DataError.badImage(path: name, reason: "cannot encode PNG (\(message(of: &image)))")
  }

  /// Walks the chunks (4-byte length, type, data, CRC) to an IEND chunk that is complete and has its fixed CRC.
  static func hasEndChunk(_ bytes: [UInt8]) -> Bool {
    var offset = 8
    while offset + 12 <= bytes.count {
      let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
      guard length < 1 << 31, offset + 12 + length <= bytes.count else { return false }
      if bytes[(offset + 4)..<(offset + 8)].elementsEqual("IEND".utf8) {
        return length == 0 && bytes[(offset + 8)..<(offset + 12)].elementsEqual([0xAE, 0x42, 0x60, 0x82])
      }
      offset += 12 + length
    }
    return false
  }

  static let colorSpaceChunks: Set<String> = ["gAMA", "sRGB", "iCCP", "cHRM"]

  /// The PNG without the chunks whose type is in `types` (the others, and their CRCs, are kept byte for byte).
  /// Call after `hasEndChunk`, which guarantees the chunk walk stays inside `bytes`.
  static func withoutChunks(_ types: Set<String>, _ bytes: [UInt8]) -> [UInt8] {
    var out = Array(bytes.prefix(8))
    var offset = 8
    while offset + 12 <= bytes.count {
      let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
      let end = min(bytes.count, offset + 12 + length)
      if !types.contains(String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)) { out += bytes[offset..<end] }
      offset = end
    }
    return out
  }

  private static func message(of image: inout png_image) -> String {
    withUnsafeBytes(of: &image.message) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
  }

  /// Associated → straight alpha for 16-bit samples: c ← round(c · 65535 / a) (0 where a = 0).
  private static func unpremultiply(_ samples: inout [UInt16], channels: Int) {
    samples.withUnsafeMutableBufferPointer { s in
      for p in stride(from: 0, to: s.count, by: channels) {
        let a = Int(s[p &+ channels &- 1])
        for k in 0..<(channels - 1) {
          s[p &+ k] = a == 0 ? 0 : UInt16(min(65535, (Int(s[p &+ k]) &* 65535 &+ a / 2) / a))
        }
      }
    }
  }

  /// Straight → associated alpha for 16-bit samples: c ← round(c · a / 65535).
  private static func premultiply(_ samples: inout [UInt16], channels: Int) {
    samples.withUnsafeMutableBufferPointer { s in
      for p in stride(from: 0, to: s.count, by: channels) {
        let a = Int(s[p &+ channels &- 1])
        for k in 0..<(channels - 1) { s[p &+ k] = UInt16((Int(s[p &+ k]) &* a &+ 32767) / 65535) }
      }
    }
  }
}
