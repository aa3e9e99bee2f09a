import ArgumentParser

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
    switch argument.lowercased() {
    case "true", "1", "yes", "on": value = true
    case "false", "0", "no", "off": value = false
    default: return nil
    }
  }
  static var defaultCompletionKind: CompletionKind { .list(["true", "false"]) }
}
