/// Pixels as an image file stores them: interleaved samples, row-major, 8 or 16 bits per sample.
///
/// Codecs read and write this; the data pipeline converts it once to an 8-bit `Image` with the channel count the
/// model wants.
public struct RasterImage: Equatable, Sendable {
  public let width: Int
  public let height: Int
  /// 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
  public let channels: Int
  /// 8 or 16.
  public let bitDepth: Int
  /// height · width · channels samples, each in 0 ... 2^bitDepth − 1.
  public var samples: [UInt16]

  public init(width: Int, height: Int, channels: Int, bitDepth: Int, samples: [UInt16]) {
    precondition((1...4).contains(channels), "RasterImage: channels must be 1...4, got \(channels)")
    precondition(bitDepth == 8 || bitDepth == 16, "RasterImage: bit depth must be 8 or 16, got \(bitDepth)")
    precondition(samples.count == width * height * channels,
                 "RasterImage: \(samples.count) samples for \(width)x\(height)x\(channels)")
    self.width = width
    self.height = height
    self.channels = channels
    self.bitDepth = bitDepth
    self.samples = samples
  }

  public var hasAlpha: Bool { channels == 2 || channels == 4 }
  public var colorChannels: Int { hasAlpha ? channels - 1 : channels }

  /// The largest image any decoder accepts (PIL's decompression-bomb limit is of the same order).
  public static let maxPixels = 1 << 28
}

extension Image {
  /// PIL's `convert("L")` / `convert("RGB")`: alpha is dropped (not composited), 16-bit samples are rounded to
  /// 8 bits, gray is replicated to RGB, and RGB becomes gray by the ITU-R 601 luma in PIL's fixed point:
  /// L = (19595·R + 38470·G + 7471·B + 2¹⁵) >> 16, i.e. R·299/1000 + G·587/1000 + B·114/1000 rounded.
  public init(_ raster: RasterImage, channels: Int) {
    precondition(channels == 1 || channels == 3, "Image: channels must be 1 or 3, got \(channels)")
    let n = raster.width * raster.height, inC = raster.channels, colors = raster.colorChannels
    let sixteen = raster.bitDepth == 16
    var out = [UInt8](repeating: 0, count: n * channels)
    raster.samples.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        @inline(__always) func byte(_ v: UInt16) -> Int {
          sixteen ? (Int(v) &* 255 &+ 32767) / 65535 : Int(v)
        }
        for p in 0..<n {
          let s = p &* inC
          if colors == 1 {
            let v = UInt8(byte(src[s]))
            if channels == 1 { dst[p] = v } else { dst[3 &* p] = v; dst[3 &* p &+ 1] = v; dst[3 &* p &+ 2] = v }
          } else {
            let r = byte(src[s]), g = byte(src[s &+ 1]), b = byte(src[s &+ 2])
            if channels == 1 {
              dst[p] = UInt8((r &* 19595 &+ g &* 38470 &+ b &* 7471 &+ 0x8000) >> 16)
            } else {
              dst[3 &* p] = UInt8(r); dst[3 &* p &+ 1] = UInt8(g); dst[3 &* p &+ 2] = UInt8(b)
            }
          }
        }
      }
    }
    self.init(width: raster.width, height: raster.height, channels: channels, pixels: out)
  }

  /// The same pixels as an 8-bit raster, for writing.
  public var raster: RasterImage {
    RasterImage(width: width, height: height, channels: channels, bitDepth: 8, samples: pixels.map { UInt16($0) })
  }
}
