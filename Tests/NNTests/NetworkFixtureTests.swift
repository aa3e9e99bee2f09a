import XCTest
import NN
import Tensors
import TestSupport

/// The small CycleGAN generator and discriminator against PyTorch: same keys, same output, same gradients.
final class NetworkFixtureTests: XCTestCase {
  func testResnetGeneratorMatchesPyTorch() throws {
    let g = resnetGenerator(ngf: 8, blocks: 2)
    try assertNetworkMatchesFixture(g, Fixture("resnet_generator_ngf8_2blocks"), forward: { g($0) })
  }

  func testPatchGANMatchesPyTorch() throws {
    let d = patchGAN(ndf: 8)
    try assertNetworkMatchesFixture(d, Fixture("patchgan_ndf8"), forward: { d($0) })
  }

  /// The full-size networks have the parameter counts of the reference code.
  func testFullSizeParameterCounts() {
    XCTAssertEqual(resnetGenerator(ngf: 64, blocks: 9).parameterCount, 11_378_179)
    XCTAssertEqual(resnetGenerator(ngf: 64, blocks: 6).parameterCount, 7_837_699)
    let d = patchGAN(ndf: 64)
    XCTAssertEqual(d.parameterCount, 2_764_737)
    XCTAssertEqual(d.namedParameters().map(\.name).filter { $0.hasSuffix("weight") },
                   ["model.0.weight", "model.2.weight", "model.5.weight", "model.8.weight", "model.11.weight"])
  }

  func testAFewAdamStepsLowerTheGeneratorLoss() throws {
    let f = try Fixture("resnet_generator_ngf8_2blocks")
    let g = resnetGenerator(ngf: 8, blocks: 2)
    var rng = RandomStream(seed: 4)
    g.initWeights(.normal, gain: 0.02, rng: &rng)
    let adam = Adam(g.trainableParameters(), lr: 1e-3, betas: (0.5, 0.999))
    var losses: [Float] = []
    for _ in 0..<5 {
      adam.zeroGrad()
      let loss = l1Loss(g(f["x"]), f["y"])  // towards the fixture network's output
      try loss.backward()
      adam.step()
      losses.append(loss.item)
    }
    XCTAssertLessThan(losses[4], losses[0] * 0.95, "\(losses)")
  }

  /// Forward, backward and an Adam step leave no storage behind once their tensors go out of scope.
  func testTrainingStepDoesNotLeakStorage() throws {
    let f = try Fixture("resnet_generator_ngf8_2blocks")
    let x = f["x"], t = f["y"]
    let g = resnetGenerator(ngf: 8, blocks: 2)
    let adam = Adam(g.trainableParameters(), lr: 2e-4, betas: (0.5, 0.999))
    func trainStep() throws {
      adam.zeroGrad()
      try l1Loss(g(x), t).backward()
      adam.step()
    }
    try trainStep()  // creates the gradients and the optimiser state, which live on
    let before = LiveStorage.count
    try trainStep()
    XCTAssertEqual(LiveStorage.count, before)
  }
}
