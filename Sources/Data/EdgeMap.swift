/// Edge maps as `Image`s: one gray channel, 255 on an edge and 0 elsewhere, as `Canny` computes them or an edge
/// file stores them.
///
/// They move through augmentation as the reference moves its edge files: ECGAN's loader
/// (`data/pix2pix_dataset.py`) opens the edge PNG, converts it to RGB and applies the image's own transform, so
/// an edge map shares the image's crop and flip and is resized bicubic, like the image (never nearest, which
/// would keep it 0/255 but is not what the reference trains on). After a resize it therefore holds levels between
/// 0 and 255, and it reaches its tensor as one channel p/255 in [0, 1]; the reference's tensor is that value as
/// 2·p/255 − 1, repeated in three channels.
extension Canny {
  /// The edges of a file's pixels as canny.m sees them after `imread`: a colour file through rgb2gray, a gray one
  /// as it is; alpha is dropped (imread returns it apart).
  public static func edges(of raster: RasterImage) -> Image {
    edges(of: Image(raster, channels: raster.colorChannels == 1 ? 1 : 3))
  }
}

extension Image {
  /// Writes this gray edge map as (1, H, W) floats p/255 at `destination`: 0/255 become exactly 0 and 1.
  func writeEdges(to destination: UnsafeMutablePointer<Float>) {
    precondition(channels == 1, "an edge map has one channel, not \(channels)")
    for (p, v) in pixels.enumerated() { destination[p] = Float(v) / 255 }
  }
}
