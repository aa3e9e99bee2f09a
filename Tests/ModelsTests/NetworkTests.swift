import XCTest
import Models
import NN
import Tensors
import TestSupport

/// The shared networks: the reference's state-dict keys, parameter counts, bias rules and outputs.
final class NetworkTests: XCTestCase {
  func weightKeys(_ m: Module) -> [String] { m.namedParameters().map(\.name).filter { $0.hasSuffix(".weight") } }

  func testResnetGeneratorKeysAndParameterCounts() {
    let g9 = Networks.generator(.resnet9Blocks, inputNC: 3, outputNC: 3, ngf: 64, norm: .instance, useDropout: false)
    XCTAssertEqual(g9.parameterCount, 11_378_179)
    let blocks = (10...18).flatMap { ["model.\($0).conv_block.1.weight", "model.\($0).conv_block.5.weight"] }
    XCTAssertEqual(weightKeys(g9), ["model.1.weight", "model.4.weight", "model.7.weight"] + blocks
                     + ["model.19.weight", "model.22.weight", "model.26.weight"])
    XCTAssertEqual(g9.stateDict().count, 2 * (3 + 18 + 3))  // every conv has a bias with instance norm
    XCTAssertTrue(g9.model[27] is Tanh)
    let g6 = Networks.generator(.resnet6Blocks, inputNC: 3, outputNC: 3, ngf: 64, norm: .instance, useDropout: false)
    XCTAssertEqual(g6.parameterCount, 7_837_699)
    XCTAssertEqual(weightKeys(g6).suffix(3), ["model.16.weight", "model.19.weight", "model.23.weight"])
  }

  func testDropoutShiftsTheSecondBlockConv() {
    let g = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 4, useDropout: true, blocks: 1)
    XCTAssertEqual(weightKeys(g).filter { $0.contains("conv_block") },
                   ["model.10.conv_block.1.weight", "model.10.conv_block.6.weight"])
    XCTAssertTrue(g.model[10] is ResnetBlock)
  }

  func testPatchGANKeysAndParameterCount() {
    let d = Networks.discriminator(.basic, inputNC: 3, ndf: 64, nLayers: 5, norm: .instance)
    XCTAssertEqual(d.parameterCount, 2_764_737)
    XCTAssertEqual(weightKeys(d), ["model.0.weight", "model.2.weight", "model.5.weight", "model.8.weight", "model.11.weight"])
    let d5 = Networks.discriminator(.nLayers, inputNC: 3, ndf: 8, nLayers: 5, norm: .instance)
    XCTAssertEqual(weightKeys(d5).last, "model.17.weight")
    XCTAssertEqual(d5(Tensor(zeros: [1, 3, 128, 128])).shape, [1, 1, 2, 2])
  }

  /// Convs followed by batch norm or no norm have no bias; the first and last D convs and the last G conv keep one.
  func testBiasRules() {
    for norm in [NormKind.batch, .none] {
      let g = ResnetGenerator(inputNC: 3, outputNC: 3, ngf: 4, norm: norm, blocks: 1)
      let convBiases = g.namedParameters().map(\.name).filter { $0.hasSuffix(".bias") && !g.isNormParameter($0) }
      XCTAssertEqual(convBiases, ["model.18.bias"], "\(norm)")
      let d = NLayerDiscriminator(inputNC: 3, ndf: 4, norm: norm)
      XCTAssertEqual(d.namedParameters().map(\.name).filter { $0.hasSuffix(".bias") && !d.isNormParameter($0) },
                     ["model.0.bias", "model.11.bias"], "\(norm)")
    }
    let bn = NLayerDiscriminator(inputNC: 3, ndf: 4, norm: .batch)
    XCTAssertNotNil(bn.stateDict().first { $0.name == "model.3.running_mean" })
  }

  func testInitialisationIsKeyedBySeedAndName() {
    func build(_ name: String, seed: UInt64) -> NLayerDiscriminator {
      let d = NLayerDiscriminator(inputNC: 3, ndf: 4)
      Networks.initialize(d, name: name, .normal, gain: 0.02, seed: seed)
      return d
    }
    let a = build("D_A", seed: 1), again = build("D_A", seed: 1), other = build("D_B", seed: 1)
    XCTAssertEqual(a.model[0].parameters()[0].scalars, again.model[0].parameters()[0].scalars)
    XCTAssertNotEqual(a.model[0].parameters()[0].scalars, other.model[0].parameters()[0].scalars)
    XCTAssertNotEqual(a.model[0].parameters()[0].scalars, build("D_A", seed: 2).model[0].parameters()[0].scalars)
    let w = a.model[2].parameters()[0].scalars  // N(0, 0.02): 2,048 draws
    let std = (w.map { Double($0 * $0) }.reduce(0, +) / Double(w.count)).squareRoot()
    XCTAssertEqual(std, 0.02, accuracy: 0.002)
    XCTAssertEqual(a.model[2].parameters()[1].scalars, [Float](repeating: 0, count: 8))  // biases zeroed
  }

  func testOptionNamesParseAndNameTheOptionOnError() throws {
    XCTAssertEqual(try GeneratorArchitecture.parse("resnet_6blocks", option: "--netG"), .resnet6Blocks)
    XCTAssertEqual(try DiscriminatorArchitecture.parse("n_layers", option: "--netD"), .nLayers)
    XCTAssertEqual(try NormKind.parse("none", option: "--norm"), NormKind.none)
    XCTAssertEqual(try InitType.parse("xavier", option: "--init-type").scheme, .xavierNormal)
    XCTAssertThrowsError(try GeneratorArchitecture.parse("unet_256", option: "--netG")) { error in
      XCTAssertEqual("\(error)", "--netG: unknown value 'unet_256' (expected resnet_9blocks, resnet_6blocks)")
    }
  }
}

extension Module {
  /// Whether a parameter belongs to a norm layer (BatchNorm's affine weight and bias).
  func isNormParameter(_ name: String) -> Bool {
    module(at: name.split(separator: ".").dropLast().joined(separator: ".")) is BatchNorm
  }
}
