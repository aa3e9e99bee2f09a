import NN

/// A model's options from the command-line arguments the trainer's own options left over: `--flag VALUE` for
/// every key of `Options.optionHelp` (kebab or underscore spelling), `--flag` alone for a boolean meaning true.
/// Values are checked by the type of the default (numbers, booleans, lists, the choices of an enum); an option
/// the model does not have is an error naming it.
public struct ModelArguments<Options: ModelOptions> {
  /// The options with every given value applied over the defaults.
  public let options: Options
  /// The keys given on the command line (so that a descriptor can settle defaults that depend on them).
  public let given: Set<String>

  public init(_ arguments: [String], over defaults: Options, model: String) throws {
    let allHelp = Options.optionHelp
    let byFlag = Dictionary(allHelp.flatMap { h in ModelArguments.spellings(h.flag).map { ($0, h) } }, uniquingKeysWith: { a, _ in a })
    let aliases = Dictionary(Options.aliases.flatMap { a in ModelArguments.spellings(a.flag).map { ($0, a) } }, uniquingKeysWith: { a, _ in a })
    let defaultsFlat = try OptionValues.flatten(defaults)
    var values: [String: (flag: String, value: JSONValue, isAlias: Bool)] = [:]
    var i = 0
    while i < arguments.count {
      let token = arguments[i]
      i += 1
      guard token.hasPrefix("--") else {
        throw OptionError(token, "unexpected argument (options are --name VALUE)")
      }
      var name = String(token.dropFirst(2)), inline: String?
      if let eq = name.firstIndex(of: "=") { (name, inline) = (String(name[..<eq]), String(name[name.index(after: eq)...])) }
      let key: String, text: String?, help: OptionHelp?
      if let alias = aliases[name] {
        (key, text, help) = (alias.key, alias.value, allHelp.first { $0.key == alias.key })
      } else if let h = byFlag[name] {
        key = h.key
        help = h
        if case .bool = defaultsFlat[key] {  // a boolean: --flag, --flag true|false
          if let inline { text = inline } else if i < arguments.count, BooleanText(arguments[i]) != nil {
            text = arguments[i]; i += 1
          } else { text = "true" }
        } else if let inline { text = inline } else {
          guard i < arguments.count, !arguments[i].hasPrefix("--") || Double(arguments[i]) != nil else {
            throw OptionError("--" + name, "needs a value")
          }
          text = arguments[i]; i += 1
        }
      } else {
        throw OptionError("--" + name, "is not an option of \(model) (see i2i train --model \(model) --help)")
      }
      guard let defaultValue = defaultsFlat[key] else { preconditionFailure("\(Options.self): help lists '\(key)', which is not a field") }
      let flag = "--" + (help?.flag ?? name)
      let value = try ModelArguments.value(text!, like: defaultValue, choices: help?.choices, flag: flag)
      // A repeated option takes its last value, as argparse does; an alias and an option that disagree are an error.
      let isAlias = aliases[name] != nil
      if let earlier = values[key], earlier.value != value, isAlias || earlier.isAlias {
        let given = isAlias ? "--\(name) (\(flag) \(value))" : "\(flag) \(value)"
        throw OptionError(flag, "\(given) conflicts with \(earlier.flag) \(earlier.value); give one")
      }
      values[key] = ("--" + name, value, isAlias)
    }
    let flat = values.mapValues(\.value)
    options = try OptionValues.decode(Options.self, flat: flat, over: defaults) { key in
      "--" + (allHelp.first { $0.key == key }?.flag ?? OptionHelp.kebab(key))
    }
    given = Set(values.keys)
  }

  /// `lambda-NCE` and the reference's `lambda_NCE`.
  static func spellings(_ flag: String) -> [String] {
    let underscore = flag.replacingOccurrences(of: "-", with: "_")
    return underscore == flag ? [flag] : [flag, underscore]
  }

  /// `text` as a value of the default's JSON type.
  static func value(_ text: String, like defaultValue: JSONValue, choices: [String]?, flag: String) throws -> JSONValue {
    if let choices, !choices.contains(text) { throw OptionError.unknownValue(text, for: flag, expected: choices) }
    switch defaultValue {
    case .bool:
      guard let b = BooleanText(text) else { throw OptionError(flag, "'\(text)' is not true or false") }
      return .bool(b.value)
    case .number:
      guard let d = Double(text), d.isFinite else { throw OptionError(flag, "'\(text)' is not a number") }
      return .number(d)
    case .array:
      let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.filter { !$0.isWhitespace } }
      guard text.isEmpty || parts.allSatisfy({ Int($0) != nil }) else {
        throw OptionError(flag, "'\(text)' is not a comma-separated list of integers")
      }
      return .array(text.isEmpty ? [] : parts.map { .number(Double(Int($0)!)) })
    case .string, .null, .object:
      return .string(text)
    }
  }
}

/// A boolean as the reference code's scripts write it: true/false, True/False, 1/0, yes/no, on/off.
public struct BooleanText {
  public let value: Bool
  public init?(_ text: String) {
    switch text.lowercased() {
    case "true", "1", "yes", "on": value = true
    case "false", "0", "no", "off": value = false
    default: return nil
    }
  }
}
