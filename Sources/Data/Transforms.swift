import Tensors

/// `--preprocess`: how an image is brought to the training size (reference `data/base_dataset.py:get_transform`).
public enum Preprocess: String, CaseIterable, Sendable, Codable {
  /// Resize to load × load (bicubic), then a random crop × crop window.
  case resizeAndCrop = "resize_and_crop"
  /// Only the random crop.
  case crop
  /// Width becomes load; height keeps the aspect ratio but is at least crop.
  case scaleWidth = "scale_width"
  case scaleWidthAndCrop = "scale_width_and_crop"
  /// Nothing but the multiple-of-4 guard.
  case none

  var crops: Bool { self == .resizeAndCrop || self == .crop || self == .scaleWidthAndCrop }
}

/// Where to crop and whether to flip one sample. Paired images (aligned A and B) share one set.
public struct TransformParameters: Equatable, Sendable {
  public var cropX: Int
  public var cropY: Int
  public var flip: Bool
  public init(cropX: Int, cropY: Int, flip: Bool) { self.cropX = cropX; self.cropY = cropY; self.flip = flip }
}

/// The training-time augmentation, in the reference order: resize (or scale width) → random crop →
/// round each side to a multiple of 4 → random horizontal flip (p = ½) unless `--no-flip`.
///
/// NOTE: the multiple-of-4 guard is applied in every mode, as CUT does (CycleGAN applies it only with `none`);
/// it is a no-op whenever the crop size is a multiple of 4.
public struct TransformOptions: Equatable, Sendable {
  public var preprocess: Preprocess
  public var loadSize: Int
  public var cropSize: Int
  public var flip: Bool

  public init(preprocess: Preprocess = .resizeAndCrop, loadSize: Int = 286, cropSize: Int = 256, flip: Bool = true) {
    self.preprocess = preprocess
    self.loadSize = loadSize
    self.cropSize = cropSize
    self.flip = flip
  }

  /// The size after the resize step for a `width` × `height` input.
  /// scale_width: (load, ⌊max(load · h / w, crop)⌋), unchanged if the width is already load and h ≥ crop.
  public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
    switch preprocess {
    case .resizeAndCrop: return (loadSize, loadSize)
    case .scaleWidth, .scaleWidthAndCrop:
      if width == loadSize && height >= cropSize { return (width, height) }
      return (loadSize, Int(max(Double(loadSize * height) / Double(width), Double(cropSize))))
    case .crop, .none: return (width, height)
    }
  }

  /// Python's `int(round(size / 4) * 4)` (round half to even); at least 4.
  public static func multipleOf4(_ size: Int) -> Int {
    max(4, Int((Double(size) / 4).rounded(.toNearestOrEven)) * 4)
  }

  /// Draws the crop corner (uniform over every position that fits) and the flip for an image that measures
  /// `width` × `height` after resizing. Throws if the crop does not fit.
  public func drawParameters(width: Int, height: Int, path: String, random: inout RandomStream) throws
    -> TransformParameters
  {
    var x = 0, y = 0
    if preprocess.crops {
      guard width >= cropSize && height >= cropSize else {
        throw DataError.smallerThanCrop(path: path, width: width, height: height, crop: cropSize)
      }
      x = random.nextInt(below: width - cropSize + 1)
      y = random.nextInt(below: height - cropSize + 1)
    }
    let flip = self.flip && random.nextFloat() < 0.5
    return TransformParameters(cropX: x, cropY: y, flip: flip)
  }

  /// Resize, crop at the drawn corner, round to multiples of 4, flip. `filter` is bicubic for images and
  /// nearest for label maps.
  public func apply(_ image: Image, _ parameters: TransformParameters, filter: Resample = .bicubic, path: String)
    throws -> Image
  {
    let size = resizedSize(width: image.width, height: image.height)
    var out = image.resized(width: size.width, height: size.height, filter: filter)
    if preprocess.crops {
      guard out.width >= cropSize && out.height >= cropSize else {
        throw DataError.smallerThanCrop(path: path, width: out.width, height: out.height, crop: cropSize)
      }
      guard parameters.cropX + cropSize <= out.width && parameters.cropY + cropSize <= out.height else {
        throw DataError.sizeMismatch(path: path, expected: "room for a \(cropSize) crop at (\(parameters.cropX), \(parameters.cropY))",
                                     got: out.sizeDescription)
      }
      out = out.cropped(x: parameters.cropX, y: parameters.cropY, width: cropSize, height: cropSize)
    }
    out = out.resized(width: Self.multipleOf4(out.width), height: Self.multipleOf4(out.height), filter: filter)
    return parameters.flip ? out.flippedHorizontally() : out
  }

  /// Draw and apply, for an image with its own random choices (an unpaired domain, a single folder).
  public func augment(_ image: Image, filter: Resample = .bicubic, path: String, random: inout RandomStream) throws
    -> Image
  {
    let size = resizedSize(width: image.width, height: image.height)
    let parameters = try drawParameters(width: size.width, height: size.height, path: path, random: &random)
    return try apply(image, parameters, filter: filter, path: path)
  }
}
