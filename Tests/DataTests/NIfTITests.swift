import Foundation
import XCTest
@testable import Data

/// A single-file NIfTI-1 written byte by byte: the 348-byte header (sizeof_hdr, dim, datatype, bitpix, pixdim,
/// vox_offset 352, scl_slope, scl_inter, magic), 4 bytes of empty extension flag, then `data` as given.
func handMadeNIfTI(shape: [Int], datatype: Int, bitpix: Int, data: [UInt8], bigEndian: Bool = false,
                   spacing: Float = 1, slope: Float = 0, intercept: Float = 0, magic: String = "n+1\0",
                   sizeofHeader: Int32 = 348) -> [UInt8] {
  var bytes = [UInt8](repeating: 0, count: 352)
  func put(_ value: UInt64, _ count: Int, at: Int) {
    for i in 0..<count { bytes[at + (bigEndian ? count - 1 - i : i)] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
  }
  put(UInt64(UInt32(bitPattern: sizeofHeader)), 4, at: 0)
  put(UInt64(shape.count), 2, at: 40)
  for (d, n) in shape.enumerated() { put(UInt64(n), 2, at: 42 + 2 * d) }
  put(UInt64(datatype), 2, at: 70)
  put(UInt64(bitpix), 2, at: 72)
  for d in 0..<shape.count { put(UInt64(spacing.bitPattern), 4, at: 80 + 4 * d) }
  put(UInt64(Float(352).bitPattern), 4, at: 108)
  put(UInt64(slope.bitPattern), 4, at: 112)
  put(UInt64(intercept.bitPattern), 4, at: 116)
  for (i, c) in magic.utf8.enumerated() { bytes[344 + i] = c }
  return bytes + data
}

/// `values` as `count`-byte integers (two's complement), in the given byte order.
func packed(_ values: [Int64], _ count: Int, bigEndian: Bool = false) -> [UInt8] {
  values.flatMap { v in (0..<count).map { i in UInt8(truncatingIfNeeded: v >> (8 * (bigEndian ? count - 1 - i : i))) } }
}


final class NIfTITests: XCTestCase {
  func testUInt8VoxelsAreXFastestWithHeaderFields() throws {
    let data = (0..<12).map { UInt8($0 * 10) }
    let volume = try NIfTIVolume(bytes: handMadeNIfTI(shape: [3, 2, 2], datatype: 2, bitpix: 8, data: data, spacing: 1.5), name: "a.nii")
    XCTAssertEqual(volume.shape, [3, 2, 2])
    XCTAssertEqual(volume.header.spacing, [1.5, 1.5, 1.5])
    XCTAssertEqual(volume.header.dataType, .uint8)
    XCTAssertEqual(volume.header.voxelOffset, 352)
    XCTAssertFalse(volume.header.bigEndian)
    // File order is x fastest: voxel (x, y, z) = data[x + 3·(y + 2·z)].
    XCTAssertEqual(volume.voxels, data.map(Float.init))
  }

  /// Every datatype in both byte orders, found from sizeof_hdr; scl_slope 0 means unscaled.
  func testDataTypesInBothByteOrders() throws {
    let values: [Int64] = [-3, 0, 7, 1000]
    for bigEndian in [false, true] {
      let cases: [(Int, Int, [UInt8], [Float])] = [
        (2, 8, packed([0, 1, 200, 255], 1), [0, 1, 200, 255]),
        (256, 8, packed(values.map { $0 % 128 }, 1), [-3, 0, 7, 104]),
        (4, 16, packed(values, 2, bigEndian: bigEndian), [-3, 0, 7, 1000]),
        (512, 16, packed([0, 1, 40000, 65535], 2, bigEndian: bigEndian), [0, 1, 40000, 65535]),
        (8, 32, packed(values.map { $0 * 100_000 }, 4, bigEndian: bigEndian), [-300_000, 0, 700_000, 100_000_000]),
        (768, 32, packed([0, 5, 3_000_000_000, 1], 4, bigEndian: bigEndian), [0, 5, 3_000_000_000, 1]),
        (16, 32, packed([-2.5, 0, 0.125, 1e6].map { Int64(Float($0).bitPattern) }, 4, bigEndian: bigEndian), [-2.5, 0, 0.125, 1e6]),
        (64, 64, packed([-2.5, 0, 0.125, 1e6].map { Int64(bitPattern: $0.bitPattern) }, 8, bigEndian: bigEndian), [-2.5, 0, 0.125, 1e6]),
      ]
      for (datatype, bitpix, data, expected) in cases {
        let bytes = handMadeNIfTI(shape: [2, 2], datatype: datatype, bitpix: bitpix, data: data, bigEndian: bigEndian)
        let volume = try NIfTIVolume(bytes: bytes, name: "t.nii")
        XCTAssertEqual(volume.header.bigEndian, bigEndian)
        XCTAssertEqual(volume.voxels, expected, "datatype \(datatype), big-endian \(bigEndian)")
      }
    }
  }

  func testSlopeAndInterceptScale() throws {
    let bytes = handMadeNIfTI(shape: [3], datatype: 4, bitpix: 16, data: packed([0, 1, -4], 2, bigEndian: true),
                              bigEndian: true, slope: 0.5, intercept: 10)
    XCTAssertEqual(try NIfTIVolume(bytes: bytes, name: "s.nii").voxels, [10, 10.5, 8])
  }

  func testReadsNiiAndNiiGzFiles() throws {
    let folder = try temporaryFolder(self)
    let bytes = handMadeNIfTI(shape: [2, 3], datatype: 2, bitpix: 8, data: [1, 2, 3, 4, 5, 6])
    try Data(bytes).write(to: URL(fileURLWithPath: folder + "/v.nii"))
    try writeGzip(bytes, folder + "/w.nii")
    XCTAssertEqual(try NIfTIVolume(contentsOf: folder + "/v.nii").voxels, [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(try NIfTIVolume(contentsOf: folder + "/w.nii.gz").voxels, [1, 2, 3, 4, 5, 6])
    // A gzip stream cut short is an error of the file, not a short volume.
    let gz = try Data(contentsOf: URL(fileURLWithPath: folder + "/w.nii.gz"))
    try gz.prefix(gz.count - 10).write(to: URL(fileURLWithPath: folder + "/cut.nii.gz"))
    assertNamedError(folder + "/cut.nii.gz") { _ = try NIfTIVolume(contentsOf: folder + "/cut.nii.gz") }
    assertNamedError(folder + "/none.nii", containing: "cannot read") { _ = try NIfTIVolume(contentsOf: folder + "/none.nii") }
  }

  func testErrorsNameTheFile() throws {
    let good = handMadeNIfTI(shape: [2, 2], datatype: 2, bitpix: 8, data: [1, 2, 3, 4])
    assertNamedError("short.nii", containing: "truncated header") { _ = try NIfTIVolume(bytes: Array(good.prefix(300)), name: "short.nii") }
    assertNamedError("cut.nii", containing: "truncated NIfTI file") { _ = try NIfTIVolume(bytes: Array(good.dropLast()), name: "cut.nii") }
    assertNamedError("pair.nii", containing: "ni1") {
      _ = try NIfTIVolume(bytes: handMadeNIfTI(shape: [2], datatype: 2, bitpix: 8, data: [1, 2], magic: "ni1\0"), name: "pair.nii")
    }
    assertNamedError("magic.nii", containing: "expected \"n+1") {
      _ = try NIfTIVolume(bytes: handMadeNIfTI(shape: [2], datatype: 2, bitpix: 8, data: [1, 2], magic: "abc\0"), name: "magic.nii")
    }
    assertNamedError("rgb.nii", containing: "unsupported NIfTI datatype 128") {
      _ = try NIfTIVolume(bytes: handMadeNIfTI(shape: [2], datatype: 128, bitpix: 24, data: [UInt8](repeating: 0, count: 6)), name: "rgb.nii")
    }
    assertNamedError("bits.nii", containing: "bitpix 8") {
      _ = try NIfTIVolume(bytes: handMadeNIfTI(shape: [2], datatype: 4, bitpix: 8, data: [0, 0, 0, 0]), name: "bits.nii")
    }
    assertNamedError("v2.nii", containing: "NIfTI-2") {
      _ = try NIfTIVolume(bytes: handMadeNIfTI(shape: [2], datatype: 2, bitpix: 8, data: [1, 2], sizeofHeader: 540), name: "v2.nii")
    }
    assertNamedError("x.nii", containing: "sizeof_hdr") {
      _ = try NIfTIVolume(bytes: handMadeNIfTI(shape: [2], datatype: 2, bitpix: 8, data: [1, 2], sizeofHeader: 7), name: "x.nii")
    }
  }
}
