import XCTest
import Tensors

/// The published FNV-1a 64 test vectors: the hash that keys random streams and checksums files must not drift.
final class FNV1aTests: XCTestCase {
  func testPublishedVectors() {
    for (text, expected) in [("", 0xcbf2_9ce4_8422_2325), ("a", 0xaf63_dc4c_8601_ec8c), ("foobar", 0x8594_4171_f739_67e8)]
    as [(String, UInt64)] {
      var h = FNV1a64()
      h.add(bytes: text.utf8)
      XCTAssertEqual(h.value, expected, "\"\(text)\"")
    }
  }

  func testLittleEndianWordIsItsEightBytes() {
    var a = FNV1a64(), b = FNV1a64()
    a.add(littleEndian: 0x0807_0605_0403_0201)
    b.add(bytes: [1, 2, 3, 4, 5, 6, 7, 8])
    XCTAssertEqual(a.value, b.value)
  }
}
