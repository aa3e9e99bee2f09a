import XCTest
import Models
import NN
import Tensors
import TestSupport

/// CUT's blur layers: filter values, buffers (not parameters), and the outputs of their reference definitions.
final class AntialiasTests: XCTestCase {
  func testFiltersAreTheReferenceBinomialsAndBuffers() {
    let down = BlurDownsample(2), up = BlurUpsample(3)
    XCTAssertEqual(down.filt.shape, [2, 1, 3, 3])
    let blur: [Float] = [1, 2, 1, 2, 4, 2, 1, 2, 1]
    XCTAssertEqual(Array(down.filt.scalars.prefix(9)), blur.map { $0 / 16 })
    XCTAssertEqual(Array(down.filt.scalars.suffix(9)), Array(down.filt.scalars.prefix(9)))
    XCTAssertEqual(up.filt.shape, [3, 1, 4, 4])
    let row: [Float] = [1, 3, 3, 1]
    let expected: [Float] = (0..<16).map { i in row[i / 4] * row[i % 4] / 16 }  // /64 · 4
    XCTAssertEqual(Array(up.filt.scalars.prefix(16)), expected)
    for layer in [down as Module, up] {
      XCTAssertTrue(layer.parameters().isEmpty)
      XCTAssertEqual(layer.namedBuffers().map(\.name), ["filt"])
      XCTAssertEqual(layer.stateDict().map(\.name), ["filt"])
      XCTAssertFalse(layer.namedBuffers()[0].tensor.requiresGrad)
    }
  }

  /// y[c, i, j] = Σ filt · reflectPad₁(x)[c, 2i + ·, 2j + ·], written out by hand.
  func testDownsampleBlursWithReflectionThenSubsamples() {
    var rng = RandomStream(seed: 3)
    let x = Tensor.randn([2, 3, 5, 6], &rng)
    let y = BlurDownsample(3)(x)
    XCTAssertEqual(y.shape, [2, 3, 3, 3])
    let k: [Float] = [1, 2, 1]
    func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i) }
    for n in 0..<2 { for c in 0..<3 { for i in 0..<3 { for j in 0..<3 {
      var s: Float = 0
      for a in 0..<3 { for b in 0..<3 {
        let (r, q) = (reflect(2 * i + a - 1, 5), reflect(2 * j + b - 1, 6))
        s += k[a] * k[b] / 16 * x[flat: ((n * 3 + c) * 5 + r) * 6 + q]
      } }
      XCTAssertEqual(y[flat: ((n * 3 + c) * 3 + i) * 3 + j], s, accuracy: 1e-5)
    } } } }
  }

  /// The reference forward: replicate-pad 1, per-channel conv_transpose2d(filt, stride 2, padding 2), then drop the
  /// first and the last row and column; BlurUpsample computes it as bilinear ×2.
  func testUpsampleEqualsTheReferenceTransposedConv() {
    var rng = RandomStream(seed: 4)
    let (h, w) = (4, 5)
    let x = Tensor.randn([2, 3, h, w], &rng)
    let up = BlurUpsample(3)
    let y = up(x)
    XCTAssertEqual(y.shape, [2, 3, 2 * h, 2 * w])
    let channels = (0..<3).map { c -> Tensor in
      let padded = pad2d(x.narrow(axis: 1, start: c, length: 1), 1, mode: .replicate)
      let full = convTranspose2d(padded, up.filt.narrow(axis: 0, start: c, length: 1), nil, stride: 2, padding: 2)
      XCTAssertEqual(full.shape, [2, 1, 2 * h + 2, 2 * w + 2])
      return full.narrow(axis: 2, start: 1, length: 2 * h).narrow(axis: 3, start: 1, length: 2 * w)
    }
    assertClose(y, Tensor.concat(channels, axis: 1), rtol: 1e-5, atol: 1e-6, "upsample")
  }

  func testGradientsFlowThroughTheBlurLayers() {
    var rng = RandomStream(seed: 5)
    let x = Tensor.randn([1, 2, 5, 4], &rng)
    gradCheck("BlurDownsample", [x]) { BlurDownsample(2)($0[0]) }
    gradCheck("BlurUpsample", [x]) { BlurUpsample(2)($0[0]) }
  }
}
