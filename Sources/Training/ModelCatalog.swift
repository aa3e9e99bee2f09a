import NN
import Models

/// The models the trainer can run, as their descriptors: a new model joins `standard` with one line.
public struct ModelCatalog: @unchecked Sendable {
  public let descriptors: [any ModelDescriptor.Type]

  public init(_ descriptors: [any ModelDescriptor.Type]) { self.descriptors = descriptors }

  public static let standard = ModelCatalog([CycleGANDescriptor.self, CUTDescriptor.self, EnCoDescriptor.self,
                                                 ECGANDescriptor.self])

  /// Every `--model` value, in catalog order.
  public var names: [String] { descriptors.flatMap { $0.names } }

  /// The descriptor answering to `name`, or an error naming `--model` and the accepted names.
  public func descriptor(named name: String) throws -> any ModelDescriptor.Type {
    guard let d = descriptors.first(where: { $0.names.contains(name) }) else {
      throw OptionError.unknownValue(name, for: "--model", expected: names)
    }
    return d
  }

  /// One line per model for `i2i train --help`.
  public var summary: String {
    descriptors.map { "  \($0.names.joined(separator: ", ")): \($0.summary)" }.joined(separator: "\n")
  }
}
