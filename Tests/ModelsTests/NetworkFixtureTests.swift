import XCTest
import Models
import NN
import Tensors
import TestSupport

/// The Models networks against PyTorch's at the sizes the models use (fixtures made by
/// `scripts/make_network_fixtures.py`, every activation input kept off its kink): the fixture's state dict loads
/// strictly, and the outputs, the loss sum(y·gy) and every parameter gradient match.
final class NetworkFixtureTests: XCTestCase {
  func testResnetGeneratorMatchesPyTorch() throws {
    let g = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 8, norm: .instance, useDropout: false, blocks: 2)
    try assertNetworkMatchesFixture(g, Fixture("resnet_generator_ngf8_2blocks"), forward: { g($0) })
  }

  func testSixBlockGeneratorMatchesPyTorch() throws {
    let g = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 16, blocks: 6)
    try assertNetworkMatchesFixture(g, Fixture("resnet_generator_ngf16_6blocks"), forward: { g($0) })
  }

  func testNineBlockGeneratorMatchesPyTorch() throws {
    let g = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 16, blocks: 9)
    try assertNetworkMatchesFixture(g, Fixture("resnet_generator_ngf16_9blocks"), forward: { g($0) })
  }

  func testAntialiasedGeneratorMatchesPyTorch() throws {
    let g = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 16, blocks: 9, antialias: true, antialiasUp: true)
    try assertNetworkMatchesFixture(g, Fixture("cut_generator_ngf16_9blocks"), forward: { g($0) })
  }

  func testPatchGANMatchesPyTorch() throws {
    for (ndf, name) in [(8, "patchgan_ndf8"), (16, "patchgan_ndf16")] {
      let d = NLayerDiscriminator(inputNC: 3, ndf: ndf, layers: 3, norm: .instance)
      try assertNetworkMatchesFixture(d, Fixture(name), forward: { d($0) })
    }
  }

  func testAntialiasedPatchGANMatchesPyTorch() throws {
    let d = NLayerDiscriminator(inputNC: 3, ndf: 16, layers: 3, norm: .instance, antialias: true)
    try assertNetworkMatchesFixture(d, Fixture("cut_patchgan_ndf16"), forward: { d($0) })
  }
}
