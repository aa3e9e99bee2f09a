/// The one error for an option value that cannot be used, wherever it is found (the model's options, the trainer's,
/// the evaluation's): it names the option and says why, as "--option: reason".
public struct OptionError: Error, CustomStringConvertible, Equatable {
  public let option: String
  public let reason: String
  public init(option: String, reason: String) { self.option = option; self.reason = reason }
  public init(_ option: String, _ reason: String) { self.init(option: option, reason: reason) }

  /// A value that is not one of the option's names.
  public static func unknownValue(_ value: String, for option: String, expected: [String]) -> OptionError {
    OptionError(option, "unknown value '\(value)' (expected \(expected.joined(separator: ", ")))")
  }

  public var description: String { "\(option): \(reason)" }
}
