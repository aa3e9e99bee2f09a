import Foundation
import NN

/// A JSON value: how typed options are seen generically, to read them from the command line, flatten them into
/// `train_opt.json` and compare them across ranks and with a checkpoint.
public enum JSONValue: Codable, Equatable, Sendable, CustomStringConvertible {
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])
  case null

  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) }
    else if let d = try? c.decode(Double.self) { self = .number(d) }
    else if let s = try? c.decode(String.self) { self = .string(s) }
    else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
    else { self = .object(try c.decode([String: JSONValue].self)) }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .bool(let b): try c.encode(b)
    case .number(let d):
      // Integers as integers, so that an Int field decodes them back.
      if let i = Int64(exactly: d) { try c.encode(i) } else { try c.encode(d) }
    case .string(let s): try c.encode(s)
    case .array(let a): try c.encode(a)
    case .object(let o): try c.encode(o)
    case .null: try c.encodeNil()
    }
  }

  /// The value as `train_opt.txt` and the option comparisons show it: lists comma-separated.
  public var description: String {
    switch self {
    case .bool(let b): return "\(b)"
    case .number(let d): return Int64(exactly: d).map { "\($0)" } ?? "\(Float(exactly: d).map { "\($0)" } ?? "\(d)")"
    case .string(let s): return s
    case .array(let a): return a.map(\.description).joined(separator: ",")
    case .object(let o): return o.keys.sorted().map { "\($0)=\(o[$0]!)" }.joined(separator: ",")
    case .null: return "none"
    }
  }
}

/// Typed options as one flat JSON object: the fields of embedded option structs (a model's `network`) are lifted
/// to the top level, so that `train_opt.json` and the command line name every option by one key.
public enum OptionValues {
  /// `value` encoded, nested objects flattened one level.
  public static func flatten<T: Encodable>(_ value: T) throws -> [String: JSONValue] {
    guard case .object(let nested) = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value)) else {
      preconditionFailure("OptionValues.flatten: \(T.self) does not encode as an object")
    }
    var flat: [String: JSONValue] = [:]
    for (key, value) in nested {
      if case .object(let inner) = value { flat.merge(inner) { a, _ in a } } else { flat[key] = value }
    }
    return flat
  }

  /// A `T` made of `defaults` with every key of `flat` that names one of its fields set to that value; other
  /// keys (another struct's fields in the same file) are ignored. A value of the wrong type is an error naming the
  /// key through `flag`.
  public static func decode<T: Codable>(_ type: T.Type, flat: [String: JSONValue], over defaults: T,
                                        flag: (String) -> String) throws -> T {
    do { return try overlay(flat, on: defaults) } catch let error as DecodingError {
      // The decoder does not always say which key failed (an Int given 2.5): find it by setting one key at a time.
      let culprit = flat.keys.sorted().first { (try? overlay([$0: flat[$0]!], on: defaults)) == nil }
      guard let culprit else { throw OptionError("options", "a value has the wrong type (\(error.expected))") }
      throw OptionError(flag(culprit), "'\(flat[culprit]!)' is not a valid value (\(error.expected))")
    }
  }

  /// A list given as its comma-separated text (`"0,4,8"`, as `train_opt.json` held it before options were typed)
  /// for a list field; anything else as it is.
  static func listIfNeeded(_ given: JSONValue, like defaultValue: JSONValue) -> JSONValue {
    guard case .array = defaultValue, case .string(let text) = given else { return given }
    let parts = text.split(separator: ",").map { Int($0.filter { !$0.isWhitespace }) }
    return parts.contains(nil) ? given : .array(parts.map { .number(Double($0!)) })
  }

  /// `defaults` with the fields `flat` names (top-level or one level down) set to its values.
  static func overlay<T: Codable>(_ flat: [String: JSONValue], on defaults: T) throws -> T {
    guard case .object(var nested) = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(defaults)) else {
      preconditionFailure("OptionValues.decode: \(T.self) does not encode as an object")
    }
    for (key, value) in nested {
      if case .object(var inner) = value {
        for sub in inner.keys { if let given = flat[sub] { inner[sub] = listIfNeeded(given, like: inner[sub]!) } }
        nested[key] = .object(inner)
      } else if let given = flat[key] {
        nested[key] = listIfNeeded(given, like: value)
      }
    }
    return try JSONDecoder().decode(T.self, from: JSONEncoder().encode(JSONValue.object(nested)))
  }
}

extension DecodingError {
  var expected: String {
    switch self {
    case .typeMismatch(let type, _): return "expected \(type == Int.self ? "an integer" : type == Bool.self ? "true or false" : "a \(type)")"
    case .dataCorrupted(let context) where context.debugDescription.contains("Int"): return "expected an integer"
    default: return "expected a value of the option's type"
    }
  }
}
