import Tensors

/// What a run asks of its data: where it lies, which typed fields each sample must hold, and how to augment.
public struct DatasetRequest: Sendable {
  public var root: String
  /// The folder prefix: `train`, `test`, `val`.
  public var phase: String
  /// The fields a sample must hold, by name and kind (e.g. "A" and "B" images; "label", "image", "instance").
  public var fields: [BatchField]
  public var transform: TransformOptions
  /// Unaligned: pair A[i] with B[i mod |B|] instead of a random B.
  public var serialBatches: Bool
  /// At most this many files per folder (`--max-dataset-size`).
  public var maxSize: Int

  public init(root: String, phase: String = "train", fields: [BatchField], transform: TransformOptions,
              serialBatches: Bool = false, maxSize: Int = .max) {
    self.root = root
    self.phase = phase
    self.fields = fields
    self.transform = transform
    self.serialBatches = serialBatches
    self.maxSize = maxSize
  }
}

/// A way of laying out a data set on disk, chosen by `--dataset-mode`: it builds the data set that produces the
/// fields a request names, or says which fields it can produce.
public protocol DatasetLayout {
  /// The `--dataset-mode` value.
  static var name: String { get }
  /// One line for `--help`: the folders it reads.
  static var summary: String { get }
  /// The fields it can produce: a name (or "any name") and the kinds, described for errors and help.
  static var yields: [(name: String, kinds: String)] { get }
  /// The data set for `request`; throws `DataError.fieldNotProduced` for a field it cannot produce and
  /// `DataError.fieldMissing` for one it needs.
  static func make(_ request: DatasetRequest) throws -> any ImageDataset
}

extension DatasetLayout {
  /// `yields` as one phrase: "'A' (image), 'B' (image)".
  public static var yieldsDescription: String {
    yields.map { "'\($0.name)' (\($0.kinds))" }.joined(separator: ", ")
  }

  /// The error for a requested field this layout cannot produce.
  static func cannotProduce(_ field: BatchField) -> DataError {
    .fieldNotProduced(layout: name, field: field, yields: yieldsDescription)
  }

  /// The image kinds of fields "A" and "B", which must be the request's only fields (in any order).
  static func imageKindsAB(_ request: DatasetRequest) throws -> (a: ImageKind, b: ImageKind) {
    var channels: [String: Int] = [:]
    for field in request.fields {
      guard field.name == "A" || field.name == "B", channels[field.name] == nil,
            case .image(let c) = field.kind else { throw cannotProduce(field) }
      channels[field.name] = c
    }
    for name in ["A", "B"] where channels[name] == nil {
      throw DataError.fieldMissing(layout: self.name, needed: "'\(name)' (image)", requested: request.fields)
    }
    return (.image(channels: channels["A"]!), .image(channels: channels["B"]!))
  }
}

/// Every `--dataset-mode`: a new layout joins by conforming to `DatasetLayout` in a file of its own and adding
/// itself here.
public enum DatasetLayouts {
  public static let all: [any DatasetLayout.Type] = [
    UnalignedLayout.self, AlignedLayout.self, LabelFolderLayout.self, CityscapesLayout.self, ADE20KLayout.self,
  ]

  /// The layout whose name is `mode`; throws naming `--dataset-mode`, the value and the accepted names.
  public static func named(_ mode: String) throws -> any DatasetLayout.Type {
    guard let layout = all.first(where: { $0.name == mode }) else {
      throw DataError.invalidOption("--dataset-mode: unknown mode '\(mode)' (expected \(all.map { $0.name }.joined(separator: ", ")))")
    }
    return layout
  }
}
