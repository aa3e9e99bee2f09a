import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`,
/// then the raw little-endian data. Read F32 (and F64/F16/I64/I32 converted to Float); written as F32.
public enum SafeTensors {
  public struct Error: Swift.Error, CustomStringConvertible {
    public let file: String
    public let reason: String
    public var description: String { "\(file): \(reason)" }
  }

  public struct File {
    public var tensors: [String: Tensor]
    public var metadata: [String: String]
    /// Names in file order (by data offset).
    public var names: [String]
  }

  public static func read(_ url: URL) throws -> File {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw Error(file: url.path, reason: "cannot read: \(error.localizedDescription)")
    }
    return try decode(data, file: url.path)
  }

  public static func decode(_ data: Data, file: String) throws -> File {
    func fail(_ r: String) -> Error { Error(file: file, reason: r) }
    guard data.count >= 8 else { throw fail("too short for a safetensors header (\(data.count) bytes)") }
    let headerLength = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    guard headerLength <= UInt64(data.count - 8) else { throw fail("header length \(headerLength) exceeds file size") }
    let body = 8 + Int(headerLength)
    guard let json = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<body)) as? [String: Any] else {
      throw fail("header is not a JSON object")
    }
    var file = File(tensors: [:], metadata: [:], names: [])
    var order: [(Int, String)] = []
    for (name, value) in json {
      if name == "__metadata__" {
        guard let m = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
        file.metadata = m
        continue
      }
      guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
            let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
      else { throw fail("tensor '\(name)' has a malformed header entry") }
      let (begin, end) = (body + offsets[0], body + offsets[1])
      guard offsets[0] >= 0, begin <= end, end <= data.count else {
        throw fail("tensor '\(name)' data [\(offsets[0]), \(offsets[1])) lies outside the file")
      }
      let t = try decodeTensor(data, begin..<end, dtype: dtype, shape: shape, fail: { fail("tensor '\(name)': \($0)") })
      file.tensors[name] = t
      order.append((offsets[0], name))
    }
    file.names = order.sorted { $0 < $1 }.map(\.1)
    return file
  }

  private static func decodeTensor(_ data: Data, _ range: Range<Int>, dtype: String, shape: [Int],
                                   fail: (String) -> Error) throws -> Tensor {
    let n = Tensor.elementCount(shape)
    let width = ["F32": 4, "F64": 8, "F16": 2, "I64": 8, "I32": 4][dtype]
    guard let width else { throw fail("unsupported dtype \(dtype)") }
    guard range.count == n * width else { throw fail("\(range.count) bytes for \(n) elements of \(dtype)") }
    let t = Tensor(uninitialized: shape)
    let o = t.storage.base
    data[range].withUnsafeBytes { raw in
      for i in 0..<n {
        switch dtype {
        case "F32": o[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        case "F64": o[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
        case "F16": o[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
        case "I64": o[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
        default: o[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
        }
      }
    }
    return t
  }

  /// Encodes tensors as F32 in the order given.
  public static func encode(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws -> Data {
    var header: [String: Any] = [:]
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var offset = 0
    for (name, t) in tensors {
      header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]] as [String: Any]
      offset += 4 * t.count
    }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while (8 + json.count) % 8 != 0 { json.append(0x20) }  // pad with spaces so the data is 8-byte aligned
    var out = Data(capacity: 8 + json.count + offset)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(json)
    for (_, t) in tensors {
      out.append(UnsafeBufferPointer(start: t.storage.base, count: t.count))  // little-endian hosts only
    }
    return out
  }

  /// Writes atomically: to `<file>.tmp`, fsync, then rename over `url`.
  public static func write(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], to url: URL) throws {
    let data = try encode(tensors, metadata: metadata)
    do { try DurableFiles.replace(url, with: data) } catch let e as DurableFiles.Error {
      throw Error(file: url.path, reason: "cannot write: \(e.reason)")
    }
  }
}
