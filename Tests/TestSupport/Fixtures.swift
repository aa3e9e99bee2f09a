import Foundation
import Tensors

/// PyTorch reference values (`Tests/Fixtures`, copied from shared/fixtures; see its INDEX.json).
/// Convention: `y = f(inputs)`, `gy` a random cotangent, every `g<name>` = d(sum(y·gy))/d<name>.
public struct Fixture {
  public let name: String
  public let tensors: [String: Tensor]
  public let metadata: [String: String]

  public static let directory: URL = {
    if let dir = ProcessInfo.processInfo.environment["I2I_FIXTURES"] { return URL(fileURLWithPath: dir) }
    // Tests/TestSupport/Fixtures.swift → Tests/Fixtures
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures")
  }()

  public init(_ name: String) throws {
    let file = try SafeTensors.read(Fixture.directory.appendingPathComponent("\(name).safetensors"))
    self.name = name
    self.tensors = file.tensors
    self.metadata = file.metadata
  }

  public subscript(_ key: String) -> Tensor {
    guard let t = tensors[key] else { fatalError("fixture \(name) has no tensor '\(key)' (has \(tensors.keys.sorted()))") }
    return t
  }

  /// A fresh leaf with the fixture's values that requires grad.
  public func leaf(_ key: String) -> Tensor { self[key].copy().requiringGrad() }
}
