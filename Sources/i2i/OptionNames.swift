import ArgumentParser
import Models

extension NameSpecification {
  /// `--n-epochs` and the reference code's `--n_epochs`, both accepted.
  static func both(_ kebab: String) -> NameSpecification {
    let underscore = kebab.replacingOccurrences(of: "-", with: "_")
    return kebab == underscore ? [.customLong(kebab)] : [.customLong(kebab), .customLong(underscore)]
  }
}

/// A boolean option value as the reference code's scripts write it: true/false, True/False, 1/0, yes/no.
struct BoolValue: ExpressibleByArgument {
  let value: Bool
  init?(argument: String) {
    guard let b = BooleanText(argument) else { return nil }
    value = b.value
  }
  static var defaultCompletionKind: CompletionKind { .list(["true", "false"]) }
}
