/// Label and instance maps as `Image`s whose ids survive the 8-bit pipeline.
///
/// Crop, flip and nearest resizing move whole pixels and never blend channels, so an id of up to 24 bits can ride
/// through augmentation packed into the three bytes of an RGB pixel, little end first: id = R + 256·G + 65536·B
/// (the packing COCO panoptic PNGs use). A map whose ids are all below 256 stays one gray channel, exactly as
/// before; only maps with larger ids (16-bit instance maps) are packed. Either way a label map reaches its tensor
/// as one channel of ids.
extension Image {
  /// The ids of `raster` read by `ImageFile.loadIds`: 16-bit gray values exactly (packed if any is ≥ 256); any
  /// other raster as `Image(raster, channels: 1)` (8-bit gray and palette indices unchanged).
  public init(ids raster: RasterImage) {
    guard raster.bitDepth == 16 && raster.colorChannels == 1 else {
      self.init(raster, channels: 1)
      return
    }
    let stride = raster.channels
    let ids = Swift.stride(from: 0, to: raster.samples.count, by: stride).map { Int(raster.samples[$0]) }
    self.init(ids: ids, width: raster.width, height: raster.height)
  }

  /// A map holding `ids` (row-major, each in 0 ..< 2²⁴): one gray channel if all are below 256, else packed.
  public init(ids: [Int], width: Int, height: Int) {
    precondition(ids.count == width * height, "Image(ids:): \(ids.count) ids for \(width)x\(height)")
    precondition(ids.allSatisfy { (0 ..< 1 << 24).contains($0) }, "Image(ids:): an id outside 0 ..< 2^24")
    if ids.allSatisfy({ $0 < 256 }) {
      self.init(width: width, height: height, channels: 1, pixels: ids.map { UInt8($0) })
    } else {
      let bytes = ids.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8 & 0xFF), UInt8($0 >> 16)] }
      self.init(width: width, height: height, channels: 3, pixels: bytes)
    }
  }

  /// The id of each pixel, row-major: the gray value, or R + 256·G + 65536·B of a packed map.
  public var ids: [Int] {
    if channels == 1 { return pixels.map { Int($0) } }
    return (0 ..< width * height).map { p in
      Int(pixels[3 * p]) | Int(pixels[3 * p + 1]) << 8 | Int(pixels[3 * p + 2]) << 16
    }
  }

  /// Writes `ids` as (1, H, W) floats at `destination` (exact up to 2²⁴).
  func writeIds(to destination: UnsafeMutablePointer<Float>) {
    for (p, id) in ids.enumerated() { destination[p] = Float(id) }
  }
}
