import XCTest
import Models
import NN
import Tensors
import TestSupport

/// CUT's antialiased generator and discriminator (spec §3.3, §3.4): reference keys, buffers, parameter counts,
/// shapes, and the feature taps PatchNCE and EnCo read.
final class CUTNetworkTests: XCTestCase {
  func weightKeys(_ m: Module) -> [String] { m.namedParameters().map(\.name).filter { $0.hasSuffix(".weight") } }

  func cutGenerator(ngf: Int = 64, blocks: GeneratorArchitecture = .resnet9Blocks) -> ResnetGenerator {
    Networks.generator(blocks, inputNC: 3, outputNC: 3, ngf: ngf, norm: .instance, useDropout: false,
                       antialias: true, antialiasUp: true)
  }

  func testGeneratorKeysBuffersAndParameterCount() {
    let g = cutGenerator()
    XCTAssertEqual(g.parameterCount, 11_378_179)  // the same as CycleGAN's: the blur filters are buffers
    XCTAssertEqual(g.model.count, 32)
    let blocks = (12...20).flatMap { ["model.\($0).conv_block.1.weight", "model.\($0).conv_block.5.weight"] }
    XCTAssertEqual(weightKeys(g), ["model.1.weight", "model.4.weight", "model.8.weight"] + blocks
                     + ["model.22.weight", "model.26.weight", "model.30.weight"])
    XCTAssertEqual(g.namedBuffers().map(\.name), ["model.7.filt", "model.11.filt", "model.21.filt", "model.25.filt"])
    XCTAssertEqual(g.namedBuffers().map(\.tensor.shape), [[128, 1, 3, 3], [256, 1, 3, 3], [256, 1, 4, 4], [128, 1, 4, 4]])
    XCTAssertEqual(g.stateDict().count, 2 * (3 + 18 + 3) + 4)
    XCTAssertTrue(g.model[31] is Tanh)
    XCTAssertEqual((g.model[4] as? Conv2d)?.stride, 1)
    XCTAssertEqual(g.model[22].parameters()[0].shape, [128, 256, 3, 3])  // a conv (out, in, k, k), not a convT
  }

  func testNoAntialiasFlagsRestoreTheCycleGANLayout() {
    let plain = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 4, blocks: 2)
    let g = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 4, blocks: 2, antialias: false, antialiasUp: false)
    XCTAssertEqual(g.stateDict().map(\.name), plain.stateDict().map(\.name))
    let downOnly = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 4, blocks: 2, antialias: true, antialiasUp: false)
    XCTAssertEqual(downOnly.namedBuffers().map(\.name), ["model.7.filt", "model.11.filt"])
    XCTAssertTrue(downOnly.model[14] is ConvTranspose2d)
    let upOnly = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 4, blocks: 2, antialias: false, antialiasUp: true)
    XCTAssertEqual(upOnly.namedBuffers().map(\.name), ["model.12.filt", "model.16.filt"])
    for net in [downOnly, upOnly] { XCTAssertEqual(net(Tensor(zeros: [1, 3, 16, 12])).shape, [1, 3, 16, 12]) }
  }

  func testDiscriminatorKeysBuffersAndParameterCount() {
    let d = Networks.discriminator(.basic, inputNC: 3, ndf: 64, nLayers: 3, norm: .instance, antialias: true)
    XCTAssertEqual(d.parameterCount, 2_764_737)
    XCTAssertEqual(weightKeys(d), ["model.0.weight", "model.3.weight", "model.7.weight", "model.11.weight",
                                   "model.14.weight"])
    XCTAssertEqual(d.namedBuffers().map(\.name), ["model.2.filt", "model.6.filt", "model.10.filt"])
    XCTAssertEqual(d.namedBuffers().map { $0.tensor.shape[0] }, [64, 128, 256])
    let small = NLayerDiscriminator(inputNC: 3, ndf: 4, layers: 3, antialias: true)
    XCTAssertEqual(small(Tensor(zeros: [2, 3, 64, 64])).shape, [2, 1, 6, 6])  // as without antialiasing
  }

  func testLayerCountMatchesTheBuiltSequential() {
    for blocks in [0, 2, 9] {
      for (down, up) in [(false, false), (true, false), (false, true), (true, true)] {
        let g = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 2, blocks: blocks, antialias: down, antialiasUp: up)
        XCTAssertEqual(ResnetGenerator.layerCount(blocks: blocks, antialias: down, antialiasUp: up), g.model.count)
      }
    }
  }

  /// encode stops after the last tap; the full pass returns the output of the plain forward and the same taps.
  func testFeatureTapsAtTheNCEAndEnCoIndices() {
    let g = cutGenerator(ngf: 4)
    Networks.initialize(g, name: "G", .xavier, gain: 0.02, seed: 1)
    var rng = RandomStream(seed: 2)
    let x = Tensor.uniform([2, 3, 16, 12], low: -1, high: 1, &rng)
    let nce = g.encode(x, layers: [0, 4, 8, 12, 16])
    XCTAssertEqual(nce.map(\.shape), [[2, 3, 22, 18], [2, 8, 16, 12], [2, 16, 8, 6], [2, 16, 4, 3], [2, 16, 4, 3]])
    let full = g(x, features: [3, 7, 13, 18, 24, 28])
    XCTAssertEqual(full.features.map(\.shape), [[2, 4, 16, 12], [2, 8, 8, 6], [2, 16, 4, 3], [2, 16, 4, 3],
                                                [2, 8, 8, 6], [2, 4, 16, 12]])
    XCTAssertEqual(full.output.scalars, g(x).scalars)
    let again = g(x, features: [16, 0])
    XCTAssertEqual(again.features[0].scalars, nce[4].scalars)
    XCTAssertEqual(again.features[1].scalars, nce[0].scalars)
    XCTAssertEqual(g.model[0](x).scalars, nce[0].scalars)  // layer 0 is the reflection-padded input
  }

  /// Initialisation leaves the fixed filters alone and a state dict with them round-trips.
  func testInitialisationKeepsTheFiltersAndStateRoundTrips() throws {
    let g = cutGenerator(ngf: 4, blocks: .resnet6Blocks)
    let before = g.namedBuffers().map(\.tensor.scalars)
    Networks.initialize(g, name: "G", .xavier, gain: 0.02, seed: 3)
    XCTAssertEqual(g.namedBuffers().map(\.tensor.scalars), before)
    let copy = cutGenerator(ngf: 4, blocks: .resnet6Blocks)
    try copy.loadStateDict(Dictionary(uniqueKeysWithValues: g.stateDict().map { ($0.name, $0.tensor) }))
    let x = Tensor(repeating: 0.3, [1, 3, 8, 8])
    XCTAssertEqual(copy(x).scalars, g(x).scalars)
  }
}
