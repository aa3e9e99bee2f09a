import XCTest
import NN
import Tensors

final class ScheduleTests: XCTestCase {
  /// lr of epoch e = 1, 2, … when the scheduler steps at the end of each epoch.
  func rates(_ policy: LearningRatePolicy, base: Float = 1, epochs: Int) -> [Float] {
    (0..<epochs).map { policy.learningRate(base: base, step: $0) }
  }

  func assertRates(_ actual: [Float], _ expected: [Float], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, file: file, line: line)
    for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: 1e-6, "\(actual)", file: file, line: line) }
  }

  func testLinearDecayFullRateThenDownToOneOverDecayPlusOne() {
    // n_epochs 3, n_epochs_decay 2: epochs 1…3 at full lr, the last (5th) at lr/3.
    assertRates(rates(.linear(nEpochs: 3, nEpochsDecay: 2), base: 2e-4, epochs: 5),
                [2e-4, 2e-4, 2e-4, 2e-4 * 2 / 3, 2e-4 / 3])
    // Resumed with epoch_count 4 (PyTorch's --epoch_count): the first scheduler step is already in the decay.
    assertRates(rates(.linear(nEpochs: 3, nEpochsDecay: 2, epochCount: 4), epochs: 2), [2.0 / 3, 1.0 / 3])
  }

  /// SPADE/ECGAN's trainer, written out for niter 3, niter_decay 2: update_learning_rate(epoch) after each epoch,
  /// new_lr = old_lr − lr/2 once epoch > 3, so epochs 1…4 run at lr and epoch 5 at lr/2 (after epoch 5, lr 0).
  func testSPADEDecayDropsAfterEachDecayEpoch() {
    var lr: Float = 1, expected: [Float] = []
    for epoch in 1...5 {
      expected.append(lr)
      if epoch > 3 { lr -= 1.0 / 2 }
    }
    assertRates(rates(.linearAfterEpoch(nEpochs: 3, nEpochsDecay: 2), epochs: 5), expected)
    XCTAssertEqual(expected, [1, 1, 1, 1, 0.5])
    assertRates(rates(.linearAfterEpoch(nEpochs: 3, nEpochsDecay: 2, epochCount: 5), epochs: 1), [0.5])
    assertRates(rates(.linearAfterEpoch(nEpochs: 50, nEpochsDecay: 0), epochs: 3), [1, 1, 1])
  }

  func testWarmUpThenLinear() {
    assertRates(rates(.linear(nEpochs: 4, nEpochsDecay: 3, warmupEpochs: 2), epochs: 7),
                [0.5, 1, 1, 1, 0.75, 0.5, 0.25])
  }

  func testStepAndCosine() {
    assertRates(rates(.step(every: 2, gamma: 0.1), epochs: 5), [1, 1, 0.1, 0.1, 0.01])
    let r = Float(0.5).squareRoot()
    assertRates(rates(.cosine(tMax: 4), epochs: 5), [1, (1 + r) / 2, 0.5, (1 - r) / 2, 0])
    assertRates(rates(.cosine(tMax: 2, etaMin: 0.1), epochs: 3), [1, 0.55, 0.1])
    assertRates(rates(.constant, epochs: 2), [1, 1])
  }

  func testSchedulerSetsEveryGroupFromItsBaseRate() {
    let adam = Adam(groups: [ParameterGroup([Tensor([1], [1]).requiringGrad()], lr: 2e-4),
                             ParameterGroup([Tensor([1], [1]).requiringGrad()], lr: 5e-5)])
    let policy = LearningRatePolicy.linear(nEpochs: 1, nEpochsDecay: 1)
    let s = LearningRateScheduler(adam, policy: policy)
    assertRates(s.learningRates, [2e-4, 5e-5])
    s.step()
    assertRates(s.learningRates, [1e-4, 2.5e-5])
    XCTAssertEqual(s.stepCount, 1)
    let resumed = LearningRateScheduler(Adam(groups: [ParameterGroup([Tensor([1], [1]).requiringGrad()], lr: 2e-4)]),
                                        policy: policy, stepCount: 1)
    assertRates(resumed.learningRates, [1e-4])
  }
}
