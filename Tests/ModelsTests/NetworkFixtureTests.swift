import XCTest
import Models
import NN
import Tensors
import TestSupport

/// The Models networks against PyTorch's (shared/fixtures): the fixture's state dict loads strictly, and the
/// outputs, loss and every parameter gradient match.
final class NetworkFixtureTests: XCTestCase {
  func testResnetGeneratorMatchesPyTorch() throws {
    let g = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 8, norm: .instance, useDropout: false, blocks: 2)
    try assertNetworkMatchesFixture(g, Fixture("resnet_generator_ngf8_2blocks"), forward: { g($0) }) { y, f in
      l1Loss(y, f["t"])
    }
  }

  func testPatchGANMatchesPyTorch() throws {
    let d = NLayerDiscriminator(inputNC: 3, ndf: 8, layers: 3, norm: .instance)
    try assertNetworkMatchesFixture(d, Fixture("patchgan_ndf8"), forward: { d($0) }) { y, _ in
      GANLoss(mode: .lsgan)(y, targetIsReal: true)  // mean((y − 1)²)
    }
  }
}
