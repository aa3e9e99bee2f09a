import NN
import Tensors

/// One sampled pixel of the contrastive loss: where it is and what class it has.
public struct PixelPick: Equatable, Sendable {
  /// Row-major position y·w + x in the h×w embedding map.
  public let position: Int
  public let label: Int
  public init(position: Int, label: Int) { (self.position, self.label) = (position, label) }
}

/// Picks the pixels of ECGAN's cross-layout contrastive loss (spec §2.6, suggestion 2): the label map is
/// nearest-downsampled to the embeddings' h×w (PyTorch's `interpolate(mode='nearest')`, as SPADE resizes it), and
/// for each image and each class present in it, up to K of the class's pixels are drawn uniformly without
/// replacement. The don't-care id is never drawn.
///
/// Image b's draw is the first K pixels of each class in one random permutation of its h·w positions, taken from
/// the stream (seed, pixel sample, step, firstGlobalImage + b), where `firstGlobalImage + b` is the image's index
/// in the global batch: the picks of an image do not depend on how the global batch is split over ranks. Picks
/// come class by class (ascending), each class's in permutation order.
public struct PixelSampler: Sendable {
  /// The number of classes: valid ids are 0..<classes.
  public let classes: Int
  /// K, pixels per present class per image.
  public let pixelsPerClass: Int
  /// An id that is ignored (ADE20K's unlabelled pixels, 150 after the id shift); it may lie outside 0..<classes.
  public let dontCare: Int?

  public init(classes: Int, pixelsPerClass: Int, dontCare: Int? = nil) {
    precondition(classes >= 1 && pixelsPerClass >= 1,
                 "PixelSampler: needs classes ≥ 1 and pixelsPerClass ≥ 1, got \(classes) and \(pixelsPerClass)")
    self.classes = classes
    self.pixelsPerClass = pixelsPerClass
    self.dontCare = dontCare
  }

  /// labels (n, 1, H, W), class ids as floats → the ids of each image at h×w, row-major. An id that is neither a
  /// whole number in 0..<classes nor the don't-care id is an error that names it.
  public func classIds(_ labels: Tensor, height: Int, width: Int) throws -> [[Int]] {
    precondition(labels.rank == 4 && labels.shape[1] == 1,
                 "PixelSampler: labels must be (n, 1, H, W) class ids, got \(labels.shape)")
    let small = labels.shape[2] == height && labels.shape[3] == width
      ? labels.detached() : noGrad { resizeNearest(labels.detached(), height: height, width: width) }
    let positions = height * width, p = small.storage.base
    return try (0..<labels.shape[0]).map { b in
      try (0..<positions).map { i in
        let v = p[b * positions + i]
        guard let id = Int(exactly: v), (0..<classes).contains(id) || id == dontCare else {
          throw OptionError("--label-nc", "pixel contrast: label \(v) in image \(b) is not a class id in "
                              + "0..<\(classes)\(dontCare.map { " or the dontcare id \($0)" } ?? "")")
        }
        return id
      }
    }
  }

  /// ids[b] (h·w class ids of image b) → picks[b]: up to K pixels of each class present in image b.
  public func sample(_ ids: [[Int]], seed: UInt64, step: Int, firstGlobalImage: Int) -> [[PixelPick]] {
    ids.enumerated().map { b, own in
      var rng = RandomStream(seed: seed, key: [ModelRandomPurpose.pixelSample.rawValue, UInt64(step),
                                               UInt64(firstGlobalImage + b)])
      return pick(own, &rng)
    }
  }

  /// One image: walks a permutation of the positions, keeping a pixel while its class has fewer than K.
  func pick(_ ids: [Int], _ rng: inout RandomStream) -> [PixelPick] {
    var present = [Int](repeating: 0, count: classes)
    for id in ids where id != dontCare { present[id] += 1 }
    var wanted = present.reduce(0) { $0 + min($1, pixelsPerClass) }
    var byClass = [[Int]](repeating: [], count: classes)
    for position in rng.permutation(ids.count) {
      if wanted == 0 { break }
      let id = ids[position]
      guard id != dontCare, byClass[id].count < pixelsPerClass else { continue }
      byClass[id].append(position)
      wanted -= 1
    }
    return byClass.enumerated().flatMap { c, positions in positions.map { PixelPick(position: $0, label: c) } }
  }
}
