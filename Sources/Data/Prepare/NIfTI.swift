import Foundation

/// The fields of a NIfTI-1 header (the 348 bytes at the start of a single-file `.nii`) that locate and scale voxels.
///
/// Byte offsets: 0 `sizeof_hdr` (int32, 348; its byte order is the file's), 40 `dim[8]` (int16: rank, then the
/// sizes), 70 `datatype`, 72 `bitpix` (int16), 76 `pixdim[8]` (float32), 108 `vox_offset`, 112 `scl_slope`,
/// 116 `scl_inter` (float32), 344 `magic` ("n+1\0": voxels in this file at `vox_offset`).
public struct NIfTIHeader: Equatable, Sendable {
  public static let size = 348

  /// The NIfTI `datatype` codes this reader converts, with their `bitpix`.
  public enum DataType: Int, Sendable {
    case uint8 = 2, int16 = 4, int32 = 8, float32 = 16, float64 = 64, int8 = 256, uint16 = 512, uint32 = 768

    public var bits: Int {
      switch self {
      case .uint8, .int8: return 8
      case .int16, .uint16: return 16
      case .int32, .uint32, .float32: return 32
      case .float64: return 64
      }
    }
  }

  public let bigEndian: Bool
  /// `dim[1...dim[0]]`: the size of each axis, x first.
  public let shape: [Int]
  /// `pixdim[1...dim[0]]`: the voxel size along each axis (mm for the MNI templates).
  public let spacing: [Float]
  public let dataType: DataType
  /// Where the voxels start in the file.
  public let voxelOffset: Int
  /// Stored value v means v · slope + intercept; slope 0 (or not finite) means no scaling, as the standard says.
  public let slope: Float
  public let intercept: Float

  public var voxelCount: Int { shape.reduce(1, *) }

  /// Parses the header at the start of `bytes`; errors name `name`.
  public init(bytes: [UInt8], name: String) throws {
    func fail(_ reason: String) -> DataError { .badImage(path: name, reason: "not a NIfTI-1 file: \(reason)") }
    guard bytes.count >= Self.size else { throw fail("truncated header (\(bytes.count) of \(Self.size) bytes)") }
    let little = Self.int32(bytes, 0, bigEndian: false), big = Self.int32(bytes, 0, bigEndian: true)
    guard little == 348 || big == 348 else {
      let other = little == 540 || big == 540 ? " (540 is NIfTI-2, which this reader does not read)" : ""
      throw fail("sizeof_hdr is \(little), expected 348 in either byte order\(other)")
    }
    let be = little != 348
    let magic = Array(bytes[344..<348])
    guard magic == Array("n+1\0".utf8) else {
      if magic == Array("ni1\0".utf8) {
        throw fail("magic \"ni1\" means a .hdr/.img pair; only single-file .nii (magic \"n+1\") is read")
      }
      throw fail("magic is \(magic.map { String(format: "%02x", $0) }.joined(separator: " ")), expected \"n+1\\0\"")
    }
    let rank = Int(Self.int16(bytes, 40, bigEndian: be))
    guard (1...7).contains(rank) else { throw fail("dim[0] is \(rank), expected 1...7") }
    let shape = (1...rank).map { Int(Self.int16(bytes, 40 + 2 * $0, bigEndian: be)) }
    guard shape.allSatisfy({ $0 >= 1 }) else { throw fail("dimensions \(shape) must all be at least 1") }
    let code = Int(Self.int16(bytes, 70, bigEndian: be)), bitpix = Int(Self.int16(bytes, 72, bigEndian: be))
    guard let dataType = DataType(rawValue: code) else {
      throw DataError.badImage(path: name, reason: "unsupported NIfTI datatype \(code) (read: uint8 2, int16 4, int32 8, float32 16, float64 64, int8 256, uint16 512, uint32 768)")
    }
    guard bitpix == dataType.bits else { throw fail("bitpix \(bitpix) does not match datatype \(dataType) (\(dataType.bits) bits)") }
    let offset = Self.float32(bytes, 108, bigEndian: be)
    guard offset.isFinite, offset >= Float(Self.size), offset == offset.rounded() else {
      throw fail("vox_offset \(offset) is not a whole number of bytes at or after the header")
    }
    bigEndian = be
    self.shape = shape
    spacing = (1...rank).map { Self.float32(bytes, 76 + 4 * $0, bigEndian: be) }
    self.dataType = dataType
    voxelOffset = Int(offset)
    slope = Self.float32(bytes, 112, bigEndian: be)
    intercept = Self.float32(bytes, 116, bigEndian: be)
  }

  static func int16(_ b: [UInt8], _ at: Int, bigEndian: Bool) -> Int16 {
    Int16(bitPattern: UInt16(truncatingIfNeeded: unsigned(b, at, 2, bigEndian: bigEndian)))
  }
  static func int32(_ b: [UInt8], _ at: Int, bigEndian: Bool) -> Int32 {
    Int32(bitPattern: UInt32(truncatingIfNeeded: unsigned(b, at, 4, bigEndian: bigEndian)))
  }
  static func float32(_ b: [UInt8], _ at: Int, bigEndian: Bool) -> Float {
    Float(bitPattern: UInt32(truncatingIfNeeded: unsigned(b, at, 4, bigEndian: bigEndian)))
  }
  /// The `count`-byte unsigned integer at `at`.
  static func unsigned(_ b: [UInt8], _ at: Int, _ count: Int, bigEndian: Bool) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<count { v |= UInt64(b[at + (bigEndian ? count - 1 - i : i)]) << (8 * i) }
    return v
  }
}

/// A NIfTI-1 volume: its header and every voxel as a Float, scaled by `scl_slope`/`scl_inter`, x fastest
/// (index x + nx·(y + ny·z)), the order the file stores them in.
public struct NIfTIVolume: Sendable {
  public let header: NIfTIHeader
  public let voxels: [Float]
  public var shape: [Int] { header.shape }

  /// Reads a `.nii` or a gzip-compressed `.nii.gz` (by its extension).
  public init(contentsOf path: String) throws {
    let bytes: [UInt8]
    if path.hasSuffix(".gz") {
      bytes = try Gzip.decompress(file: path)
    } else {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError.badImage(path: path, reason: "cannot read file")
      }
      bytes = [UInt8](data)
    }
    try self.init(bytes: bytes, name: path)
  }

  /// Parses an uncompressed single-file NIfTI-1 held in `bytes`; errors name `name`.
  public init(bytes: [UInt8], name: String) throws {
    let header = try NIfTIHeader(bytes: bytes, name: name)
    let width = header.dataType.bits / 8, count = header.voxelCount
    let needed = header.voxelOffset + count * width
    guard bytes.count >= needed else {
      throw DataError.badImage(path: name, reason: "truncated NIfTI file: \(bytes.count) bytes, the header's \(header.shape) \(header.dataType) voxels at offset \(header.voxelOffset) need \(needed)")
    }
    var voxels = Self.convert(bytes, header: header)
    if header.slope != 0 && header.slope.isFinite && (header.slope != 1 || header.intercept != 0) {
      let (slope, intercept) = (header.slope, header.intercept.isFinite ? header.intercept : 0)
      for i in voxels.indices { voxels[i] = voxels[i] * slope + intercept }
    }
    self.header = header
    self.voxels = voxels
  }

  /// The stored values as Floats (unscaled).
  private static func convert(_ bytes: [UInt8], header: NIfTIHeader) -> [Float] {
    let count = header.voxelCount, base = header.voxelOffset, be = header.bigEndian
    let width = header.dataType.bits / 8
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      bytes.withUnsafeBufferPointer { b in
        @inline(__always) func word(_ i: Int) -> UInt64 {
          var v: UInt64 = 0
          let at = base &+ i &* width
          for k in 0..<width { v |= UInt64(b[at &+ (be ? width &- 1 &- k : k)]) << (8 &* k) }
          return v
        }
        switch header.dataType {
        case .uint8: for i in 0..<count { out[i] = Float(b[base &+ i]) }
        case .int8: for i in 0..<count { out[i] = Float(Int8(bitPattern: b[base &+ i])) }
        case .int16: for i in 0..<count { out[i] = Float(Int16(bitPattern: UInt16(truncatingIfNeeded: word(i)))) }
        case .uint16: for i in 0..<count { out[i] = Float(UInt16(truncatingIfNeeded: word(i))) }
        case .int32: for i in 0..<count { out[i] = Float(Int32(bitPattern: UInt32(truncatingIfNeeded: word(i)))) }
        case .uint32: for i in 0..<count { out[i] = Float(UInt32(truncatingIfNeeded: word(i))) }
        case .float32: for i in 0..<count { out[i] = Float(bitPattern: UInt32(truncatingIfNeeded: word(i))) }
        case .float64: for i in 0..<count { out[i] = Float(Double(bitPattern: word(i))) }
        }
      }
      initialized = count
    }
  }
}
