import Tensors

/// A data set of augmented samples. `sample` is a pure function of (slot, seed): every random choice about a
/// sample is drawn from streams keyed by its slot, so any rank can produce any sample, and a resumed run sees
/// exactly what an uninterrupted one would have.
public protocol ImageDataset: Sendable {
  /// Number of distinct samples in one epoch.
  var count: Int { get }
  /// Loads and augments sample `slot.index`; throws `DataError` naming the file at fault.
  func sample(_ slot: SampleSlot, seed: UInt64) throws -> Sample
  /// Every file a sample may read, each once (checked before training starts).
  var files: [String] { get }
}

/// What a folder holds: images with a channel count (1 gray, 3 RGB), label maps (class ids stored as gray
/// values; resized with nearest, kept as ids instead of being normalised), or edge maps (gray, 255 on an edge;
/// resized bicubic like images, written as p/255 in [0, 1]; see EdgeMap.swift).
public enum ImageKind: Equatable, Sendable {
  case image(channels: Int)
  case labelMap
  case edgeMap

  var channels: Int { if case .image(let c) = self { return c } else { return 1 } }
  var filter: Resample { self == .labelMap ? .nearest : .bicubic }
}

/// The purposes that key the random streams of the data pipeline (the first key after the seed).
public enum RandomPurpose: UInt64, Sendable {
  case permutation = 0xDA7A_0000
  case pairing
  case augmentA
  case augmentB
}

/// Where a sample sits in the global order of an epoch.
public struct SampleSlot: Hashable, Codable, Sendable {
  public let epoch: Int
  /// Position in the epoch's global order; past the dataset size when the last batch is padded.
  public let position: Int
  /// Dataset index at that position.
  public let index: Int

  public init(epoch: Int, position: Int, index: Int) { self.epoch = epoch; self.position = position; self.index = index }

  /// The stream for one purpose: keyed by (seed, purpose, epoch, position), independent of rank and time.
  public func random(seed: UInt64, _ purpose: RandomPurpose) -> RandomStream {
    RandomStream(seed: seed, key: [purpose.rawValue, UInt64(epoch), UInt64(position)])
  }
}

/// One augmented example: named images ("A", "B") with the files they came from.
public struct Sample: Sendable {
  public struct Field: Sendable {
    public var image: Image
    public var path: String
    public var kind: ImageKind
    public init(image: Image, path: String, kind: ImageKind) { self.image = image; self.path = path; self.kind = kind }
  }
  public var fields: [String: Field]
  public init(fields: [String: Field]) { self.fields = fields }
}

/// A rank's batch: one (N, C, H, W) tensor per field, the source files, and where the samples sit.
public struct Batch: Sendable {
  public let tensors: [String: Tensor]
  public let paths: [String: [String]]
  public let slots: [SampleSlot]
  /// The sampler cursor after this batch; a checkpoint that stores it resumes with the next batch.
  public let cursor: SamplerCursor

  /// The (N, C, H, W) tensor of field `name`; throws naming the field and the fields the batch has.
  public func field(_ name: String) throws -> Tensor {
    guard let t = tensors[name] else { throw DataError.noSuchField(name: name, has: tensors.keys.sorted()) }
    return t
  }

  /// `field(name)` for a field the caller knows is there (a missing one is a programming error).
  public subscript(_ name: String) -> Tensor {
    do { return try field(name) } catch { preconditionFailure("\(error)") }
  }

  /// Stacks samples field by field; images of one field must all have the same size.
  public init(stacking samples: [Sample], slots: [SampleSlot], cursor: SamplerCursor) throws {
    precondition(!samples.isEmpty && samples.count == slots.count, "Batch: \(samples.count) samples, \(slots.count) slots")
    var tensors: [String: Tensor] = [:], paths: [String: [String]] = [:]
    for name in samples[0].fields.keys.sorted() {
      guard let first = samples[0].fields[name] else { continue }
      let labels = first.kind == .labelMap
      let c = labels ? 1 : first.image.channels, h = first.image.height, w = first.image.width
      let t = Tensor(uninitialized: [samples.count, c, h, w])
      var names: [String] = []
      for (n, sample) in samples.enumerated() {
        guard let field = sample.fields[name] else {
          throw DataError.invalidOption("sample \(slots[n].index) has no field '\(name)'")
        }
        let image = field.image, channels = field.kind == .labelMap ? 1 : image.channels
        guard channels == c && image.height == h && image.width == w else {
          throw DataError.sizeMismatch(path: field.path, expected: "\(c)x\(w)x\(h) of \(first.path) in the same batch",
                                       got: "\(channels)x\(image.width)x\(image.height)")
        }
        let destination = t.storage.base + n * c * h * w
        switch field.kind {
        case .labelMap: image.writeIds(to: destination)
        case .edgeMap: image.writeEdges(to: destination)
        case .image: image.write(planarTo: destination)
        }
        names.append(field.path)
      }
      tensors[name] = t
      paths[name] = names
    }
    self.tensors = tensors
    self.paths = paths
    self.slots = slots
    self.cursor = cursor
  }
}

extension Image {
  /// The same picture with 1 or 3 channels (PIL `convert("L")` / `convert("RGB")`).
  public func converted(channels: Int) -> Image {
    channels == self.channels ? self : Image(raster, channels: channels)
  }
}

/// Loads one file and augments it with its own random crop and flip.
func loadAugmented(_ path: String, kind: ImageKind, transform: TransformOptions, random: inout RandomStream) throws
  -> Sample.Field
{
  let image = try ImageFile.load(path, channels: kind.channels)
  let out = try transform.augment(image, filter: kind.filter, path: path, random: &random)
  return Sample.Field(image: out, path: path, kind: kind)
}

/// Augments images that must stay aligned pixel for pixel (paired A and B; a label map with its image and
/// instance map) with one crop and one flip, drawn for the first field's size after resizing. Each field is
/// resized with its own kind's filter (nearest for label maps, bicubic for images).
func augmentAligned(_ fields: [Sample.Field], transform: TransformOptions, random: inout RandomStream) throws
  -> [Sample.Field]
{
  guard let first = fields.first else { return [] }
  let size = transform.resizedSize(width: first.image.width, height: first.image.height)
  let parameters = try transform.drawParameters(width: size.width, height: size.height, path: first.path,
                                                random: &random)
  return try fields.map { field in
    let image = try transform.apply(field.image, parameters, filter: field.kind.filter, path: field.path)
    return Sample.Field(image: image, path: field.path, kind: field.kind)
  }
}
