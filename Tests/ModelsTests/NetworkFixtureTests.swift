import XCTest
import Models
import NN
import Tensors
import TestSupport

/// The Models networks against PyTorch's (shared/fixtures): the fixture's state dict loads strictly, and the
/// outputs, loss and every parameter gradient match.
final class NetworkFixtureTests: XCTestCase {
  func testResnetGeneratorMatchesPyTorch() throws {
    let f = try Fixture("resnet_generator_ngf8_2blocks")
    let g = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 8, norm: .instance, useDropout: false, blocks: 2)
    try loadParameters(g, from: f)
    let y = g(f["x"])
    assertCloseForward(y, f["y"], "y")
    let loss = l1Loss(y, f["t"])
    assertCloseForward(loss, f["loss"], "loss")
    try loss.backward()
    assertGradientsMatch(g, f)
  }

  func testPatchGANMatchesPyTorch() throws {
    let f = try Fixture("patchgan_ndf8")
    let d = NLayerDiscriminator(inputNC: 3, ndf: 8, layers: 3, norm: .instance)
    try loadParameters(d, from: f)
    let y = d(f["x"])
    assertCloseForward(y, f["y"], "y")
    let loss = GANLoss(mode: .lsgan)(y, targetIsReal: true)  // mean((y − 1)²)
    assertCloseForward(loss, f["loss"], "loss")
    try loss.backward()
    assertGradientsMatch(d, f)
  }
}
