import XCTest
import Models
import NN
import Tensors
import TestSupport

/// ECGAN's VGG19 perceptual loss against the official VGGLoss over the official VGG19 slices of torchvision's
/// vgg19().features (fixture by `scripts/make_vgg_fixture.py`), both with the fixture's closed-form conv weights
/// (torchvision's ImageNet file is not available offline; the converter `scripts/convert_vgg19.py` writes it in the
/// same keys). Float32 on both sides; the weights are computed in float64 and rounded once on each side, so they agree
/// to within an ulp.
///
/// Tolerances (derived, as in ECGANNetworkTests): the fixture keeps every ReLU input ≥ `kink_margin` (1e-5) of its
/// channel's RMS from 0, so both sides differentiate the same function; the loss, a weighted sum of L1 means of
/// ≤ 64·32·32 terms of one sign, within 1e-4 (STYLE.md's forward rtol); the input gradient within sumBound(4608) of
/// its RMS, the longest sum behind it being a 512-channel 3×3 conv's input gradient (512·9 taps).
final class VGGPerceptualLossTests: XCTestCase {
  /// The fixture's weights: features.<i>.weight[e] = sin(0.7·e + i)·√(2/fan_in), bias[e] = 0.01·sin(e + i).
  func closedForm() -> VGG19Features {
    let vgg = VGG19Features()
    for (name, module) in vgg.features.namedModules() {
      guard let conv = module as? Conv2d, let i = Int(name) else { continue }
      let fanIn = Double(conv.weight.count / conv.weight.shape[0])
      conv.weight.assign(Tensor((0..<conv.weight.count).map { Float(sin(0.7 * Double($0) + Double(i)) * (2 / fanIn).squareRoot()) },
                                conv.weight.shape))
      conv.bias!.assign(Tensor((0..<conv.bias!.count).map { Float(0.01 * sin(Double($0) + Double(i))) }, conv.bias!.shape))
    }
    return vgg
  }

  func testLossAndInputGradientMatchTheOfficialVGGLoss() throws {
    let f = try Fixture("vgg_perceptual_loss")
    XCTAssertGreaterThanOrEqual(Double(try XCTUnwrap(f.metadata["kink_margin"]))!, 1e-5)
    let loss = VGGPerceptualLoss(vgg: closedForm())
    let x = f.leaf("x")
    let value = loss(x, f["y"])
    XCTAssertEqual(Double(value.item), Double(f["loss"].item), accuracy: 1e-4 * Double(f["loss"].item))
    try value.backward()
    assertClose(x.grad, f["gx"], relativeToRMS: RMSComparison.sumBound(terms: 4608), "gx")
    // The network is frozen: no parameter gets a gradient.
    XCTAssertTrue(loss.vgg.parameters().allSatisfy { $0.grad == nil })
  }

  /// torchvision's keys, up to relu5_1: the 13 convs at features.0 … features.28.
  func testStateDictKeysAreTorchvisionsFeatures() {
    let keys = VGG19Features().namedParameters().map(\.name)
    let convs = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28]
    XCTAssertEqual(keys, convs.flatMap { ["features.\($0).weight", "features.\($0).bias"] })
  }
}
