import XCTest
import Models
import Tensors

/// GAN objectives by hand on a 2×2 map of scores.
final class GANLossTests: XCTestCase {
  let scores = Tensor([0.5, -1, 2, 0], [1, 1, 2, 2])

  func testLSGANIsMeanSquaredDistanceToTheLabel() {
    let gan = GANLoss(mode: .lsgan)
    // real: ((−0.5)² + (−2)² + 1² + (−1)²) / 4 = 6.25 / 4;  fake: (0.25 + 1 + 4 + 0) / 4 = 5.25 / 4
    XCTAssertEqual(gan(scores, targetIsReal: true).item, 1.5625, accuracy: 1e-6)
    XCTAssertEqual(gan(scores, targetIsReal: false).item, 1.3125, accuracy: 1e-6)
  }

  func testVanillaIsBinaryCrossEntropyOnLogits() {
    let gan = GANLoss(mode: .vanilla)
    let x: [Double] = [0.5, -1, 2, 0]
    let real = x.map { log(1 + exp(-$0)) }.reduce(0, +) / 4  // −log σ(x)
    let fake = x.map { log(1 + exp($0)) }.reduce(0, +) / 4   // −log(1 − σ(x))
    XCTAssertEqual(Double(gan(scores, targetIsReal: true).item), real, accuracy: 1e-6)
    XCTAssertEqual(Double(gan(scores, targetIsReal: false).item), fake, accuracy: 1e-6)
  }

  func testGradientReachesTheScores() throws {
    let x = scores.copy().requiringGrad()
    try GANLoss(mode: .lsgan)(x, targetIsReal: true).backward()
    XCTAssertEqual(x.grad?.scalars, [-0.25, -1, 0.5, -0.5])  // 2(x − 1)/4
  }
}
