import Tensors

/// An 8-bit gray (PIL mode "L") or RGB image, interleaved row-major (H, W, C): the unit that resizing, cropping
/// and flipping work on, so that augmentation matches PIL pixel for pixel before the conversion to float.
public struct Image: Equatable, Sendable {
  public let width: Int
  public let height: Int
  /// 1 (gray) or 3 (RGB).
  public let channels: Int
  /// height · width · channels bytes.
  public var pixels: [UInt8]

  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    precondition(channels == 1 || channels == 3, "Image: channels must be 1 or 3, got \(channels)")
    precondition(pixels.count == width * height * channels,
                 "Image: \(pixels.count) bytes for \(width)x\(height)x\(channels)")
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  public var sizeDescription: String { "\(width)x\(height)" }

  /// The `width` × `height` window whose top-left corner is (x, y); it must lie inside the image.
  public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Image {
    precondition(x >= 0 && y >= 0 && x + w <= width && y + h <= height,
                 "crop (\(x), \(y), \(w)x\(h)) outside a \(width)x\(height) image")
    if x == 0 && y == 0 && w == width && h == height { return self }
    var out = [UInt8](repeating: 0, count: w * h * channels)
    let rowBytes = w * channels
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for row in 0..<h {
          let from = ((y + row) * width + x) * channels
          for i in 0..<rowBytes { dst[row &* rowBytes &+ i] = src[from &+ i] }
        }
      }
    }
    return Image(width: w, height: h, channels: channels, pixels: out)
  }

  /// Mirror image left ↔ right (PIL's `transpose(FLIP_LEFT_RIGHT)`).
  public func flippedHorizontally() -> Image {
    var out = [UInt8](repeating: 0, count: pixels.count)
    let c = channels, w = width
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for row in 0..<height {
          let base = row * w * c
          for x in 0..<w {
            let from = base &+ x &* c, to = base &+ (w &- 1 &- x) &* c
            for k in 0..<c { dst[to &+ k] = src[from &+ k] }
          }
        }
      }
    }
    return Image(width: width, height: height, channels: channels, pixels: out)
  }

  // MARK: Tensors

  /// ToTensor then Normalize(0.5, 0.5), in float32 as torchvision computes it: x = (p/255 − 0.5)/0.5 ∈ [−1, 1].
  static let normalized: [Float] = (0..<256).map { (Float($0) / 255 - 0.5) / 0.5 }

  /// Writes this image as (C, H, W) floats at `destination` (normalised to [−1, 1], or raw values for a label map).
  func write(planarTo destination: UnsafeMutablePointer<Float>, labels: Bool = false) {
    let plane = width * height, c = channels
    Image.normalized.withUnsafeBufferPointer { table in
      pixels.withUnsafeBufferPointer { src in
        for p in 0..<plane {
          for k in 0..<c {
            let v = src[p &* c &+ k]
            destination[k &* plane &+ p] = labels ? Float(v) : table[Int(v)]
          }
        }
      }
    }
  }

  /// (C, H, W) tensor in [−1, 1]; for a label map (`labels: true`) the class ids as floats.
  public func tensor(labels: Bool = false) -> Tensor {
    let t = Tensor(uninitialized: [channels, height, width])
    write(planarTo: t.storage.base, labels: labels)
    return t
  }

  /// The inverse for saving results (`util.tensor2im`): clamp to [−1, 1], p = ⌊(x + 1)/2 · 255⌋.
  /// `tensor` is (C, H, W) or (1, C, H, W) with C = 1 or 3.
  public init(tensor: Tensor) {
    let shape = tensor.rank == 4 ? Array(tensor.shape.dropFirst()) : tensor.shape
    precondition(shape.count == 3 && (shape[0] == 1 || shape[0] == 3) && (tensor.rank == 3 || tensor.shape[0] == 1),
                 "Image(tensor:) needs (C, H, W) or (1, C, H, W) with C = 1 or 3, got \(tensor.shape)")
    let c = shape[0], h = shape[1], w = shape[2], plane = h * w
    let src = tensor.storage.base
    var out = [UInt8](repeating: 0, count: c * plane)
    out.withUnsafeMutableBufferPointer { dst in
      for p in 0..<plane {
        for k in 0..<c {
          let v = src[k &* plane &+ p]
          let x = v.isNaN ? -1 : min(max(v, -1), 1)
          dst[p &* c &+ k] = UInt8((x + 1) / 2 * 255)
        }
      }
    }
    self.init(width: w, height: h, channels: c, pixels: out)
  }
}
