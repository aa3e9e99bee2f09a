import ArgumentParser
import Data
import Tensors
import Training

/// How `i2i translate` sizes an input for the generator (`--preprocess`), from the training run's options.
///
/// Training with resize_and_crop resizes every image to L = --load-size and crops C = --crop-size: the generator
/// learns objects L/C times larger than in the uncropped images. `none` (the default) translates at native size;
/// `auto` resizes each input by L/C (to a multiple of
/// 4, as the generator needs), translates, and resizes the output back to the input's size, unless the run's last
/// epochs already trained at scale 1 (the decay phase of --no-scale-aug-in-decay) or L = C.
struct InputScaling {
  enum Mode: String, CaseIterable { case auto, none, resizeAndCrop = "resize_and_crop" }

  let mode: Mode
  /// Input scale factor (1: native size).
  let factor: Double
  let loadSize: Int, cropSize: Int
  let summary: String

  /// `modelDecaysAtCropSize`: the model's own rule for the decay phase (its descriptor's `dataPolicy`),
  /// which `--no-scale-aug-in-decay` overrides.
  init(_ name: String, training o: TrainingOptions, modelDecaysAtCropSize: Bool, fromCheckpoint: Bool) throws {
    guard let mode = Mode(rawValue: name) else {
      throw ValidationError("--preprocess: unknown value '\(name)' (expected \(Mode.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    (loadSize, cropSize) = (o.loadSize, o.cropSize)
    let decayAtCropSize = (o.noScaleAugInDecay ?? modelDecaysAtCropSize) && o.nEpochsDecay > 0
    let scaleAugmented = fromCheckpoint && o.preprocess == "resize_and_crop" && o.loadSize > o.cropSize
    switch mode {
    case .none:
      (self.mode, factor) = (.none, 1)
      summary = "inputs at native size (--preprocess none)" + (scaleAugmented && !decayAtCropSize
        ? "; the run trained on \(o.cropSize)-pixel crops of images resized to \(o.loadSize), and --preprocess auto "
          + "would show inputs at that scale (it measured worse, BENCHMARKS.md)" : "")
    case .resizeAndCrop:
      (self.mode, factor) = (.resizeAndCrop, 1)
      summary = "each input resized to \(o.loadSize)×\(o.loadSize) and its centre \(o.cropSize)×\(o.cropSize) translated, as the reference test.py does"
    case .auto where scaleAugmented && !decayAtCropSize:
      (self.mode, factor) = (.auto, Double(o.loadSize) / Double(o.cropSize))
      summary = "the generator trained on \(o.cropSize)-pixel crops of images resized to \(o.loadSize); each input is "
        + "resized by \(o.loadSize)/\(o.cropSize) so objects appear at that scale, and the output resized back "
        + "(--preprocess none: native size)"
    case .auto:
      (self.mode, factor) = (.auto, 1)
      summary = scaleAugmented ? "inputs at native size: the run's last epochs trained at the crop size (--no-scale-aug-in-decay)"
        : "inputs at native size, the scale the generator trained at"
    }
  }

  /// The image the generator sees: sides multiples of 4.
  func input(_ image: Image, path: String) throws -> Image {
    switch mode {
    case .resizeAndCrop:
      let resized = image.resized(width: loadSize, height: loadSize)
      let side = cropSize - cropSize % 4
      return resized.cropped(x: (loadSize - side) / 2, y: (loadSize - side) / 2, width: side, height: side)
    case .none, .auto:
      let (w, h) = (scaled(image.width), scaled(image.height))
      guard w >= 4 && h >= 4 else { throw ValidationError("\(path): \(image.width)×\(image.height) is too small to translate") }
      if factor == 1 && w == image.width && h == image.height { return image }
      return image.resized(width: w, height: h)
    }
  }

  /// The output at the input's size (auto, none), or as translated (resize_and_crop).
  func output(_ y: Tensor, original: Image) -> Tensor {  // y (1, C, h, w)
    guard mode != .resizeAndCrop, y.shape[2] != original.height || y.shape[3] != original.width else { return y }
    return noGrad { resizeBilinear(y, height: original.height, width: original.width) }.clamp(min: -1, max: 1)
  }

  /// A side scaled by `factor`, rounded to the nearest multiple of 4 (at least 4).
  private func scaled(_ side: Int) -> Int { max(4, Int((Double(side) * factor / 4).rounded()) * 4) }
}
