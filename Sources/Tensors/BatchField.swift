/// What one field of a batch holds; every field is an (N, C, H, W) tensor.
public enum FieldKind: Equatable, Sendable, CustomStringConvertible {
  /// An image in [−1, 1] with 1 (gray) or 3 (RGB) channels.
  case image(channels: Int)
  /// A semantic label map: one channel of class ids in 0..<classes stored as floats; `dontCare` (e.g. 255 in
  /// Cityscapes/ADE20K) marks unlabelled pixels, or nil.
  case labelMap(classes: Int, dontCare: Int?)
  /// An instance map: one channel of instance ids as floats (Cityscapes' *_instanceIds.png).
  case instanceMap
  /// An exemplar (style/reference) image in [−1, 1] with 1 or 3 channels.
  case exemplar(channels: Int)
  /// An edge map: one channel in [0, 1].
  case edgeMap

  /// Channels of the field's tensor: 1 except for images and exemplars.
  public var channels: Int {
    switch self {
    case .image(let c), .exemplar(let c): return c
    case .labelMap, .instanceMap, .edgeMap: return 1
    }
  }

  public var description: String {
    switch self {
    case .image(let c): return "image (\(c) channel\(c == 1 ? "" : "s"))"
    case .labelMap(let classes, let dontCare):
      return "label map (\(classes) classes" + (dontCare.map { ", don't-care \($0)" } ?? "") + ")"
    case .instanceMap: return "instance map"
    case .exemplar(let c): return "exemplar (\(c) channel\(c == 1 ? "" : "s"))"
    case .edgeMap: return "edge map"
    }
  }
}

/// A named field of a batch and what it holds.
public struct BatchField: Equatable, Sendable, CustomStringConvertible {
  public var name: String
  public var kind: FieldKind

  public init(_ name: String, _ kind: FieldKind) { (self.name, self.kind) = (name, kind) }

  public var description: String { "'\(name)' (\(kind))" }
}
