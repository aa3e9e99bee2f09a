import XCTest
import Models
import NN
import Tensors
import TestSupport

/// ECGAN's pixel projection head (spec §2.6, suggestion 1): keys, initialisation, unit-length per-pixel embeddings.
final class PixelProjectionHeadTests: XCTestCase {
  func testHeadKeysShapesAndUnitLength() {
    let head = PixelProjectionHead(inputChannels: 64, seed: 3)
    XCTAssertEqual(head.stateDict().map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias"])
    XCTAssertEqual(head.namedParameters().map(\.tensor.shape), [[128, 64, 1, 1], [128], [128, 128, 1, 1], [128]])
    XCTAssertEqual(head.parameterCount, 24_832)
    XCTAssertEqual(PixelProjectionHead(inputChannels: 64, seed: 3).parameters()[2].scalars, head.parameters()[2].scalars,
                   "the same seed gives the same head")
    XCTAssertNotEqual(PixelProjectionHead(inputChannels: 64, seed: 4).parameters()[0].scalars,
                      head.parameters()[0].scalars)

    // NOTE: width 32, so that no pixel has every hidden ReLU off (its embedding would be 0, not unit length).
    let small = PixelProjectionHead(inputChannels: 3, width: 32, .normal, gain: 0.5, seed: 1)
    var rng = RandomStream(seed: 2)
    let x = Tensor.randn([2, 3, 4, 3], &rng)
    let e = small(x)
    XCTAssertEqual(e.shape, [2, 32, 4, 3])
    for b in 0..<2 {
      for p in 0..<12 {
        let norm = (0..<32).map { e[flat: (b * 32 + $0) * 12 + p] }.map { $0 * $0 }.reduce(0, +).squareRoot()
        XCTAssertEqual(norm, 1, accuracy: 1e-5)
      }
    }
    // A pixel's embedding depends on that pixel alone (1×1 convs): image 1's pixel 5 from its features only.
    let alone = small(x.narrow(axis: 0, start: 1, length: 1).reshape([1, 3, 12]).narrow(axis: 2, start: 5, length: 1)
      .reshape([1, 3, 1, 1]))
    for c in 0..<32 { XCTAssertEqual(alone[flat: c], e[flat: (32 + c) * 12 + 5], accuracy: 1e-6) }
  }
}
