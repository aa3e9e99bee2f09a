import XCTest
import Models
import NN
import Tensors
import TestSupport

/// The Models networks against PyTorch's (shared/fixtures): the fixture's state dict loads strictly, and the
/// outputs, loss and every parameter gradient match.
final class NetworkFixtureTests: XCTestCase {
  func loadParameters(_ net: Module, from f: Fixture) throws {
    var state: [String: Tensor] = [:]
    for (key, t) in f.tensors where key.hasPrefix("param.") { state[String(key.dropFirst("param.".count))] = t }
    try net.loadStateDict(state)
  }

  func assertGradientsMatch(_ net: Module, _ f: Fixture, file: StaticString = #filePath, line: UInt = #line) {
    let names = net.namedParameters().map(\.name)
    XCTAssertEqual(Set(names.map { "grad." + $0 }), Set(f.tensors.keys.filter { $0.hasPrefix("grad.") }),
                   file: file, line: line)
    for (name, p) in net.namedParameters() { assertCloseGradient(p.grad, f["grad." + name], name, file: file, line: line) }
  }

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
