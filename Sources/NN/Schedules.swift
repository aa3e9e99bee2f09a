import Foundation
import Tensors

/// Learning-rate policies of the reference code (specs/cyclegan-cut-enco.md §1.9, §4.7), as a function of k, the
/// number of scheduler steps taken so far (one per epoch, at its end).
public enum LearningRatePolicy: Equatable {
  /// lr = base
  case constant
  /// CycleGAN/CUT `linear`: m(k) = 1 − max(0, k + epochCount − nEpochs) / (nEpochsDecay + 1); with EnCo's warm-up,
  /// m(k) = (k + epochCount) / warmupEpochs for k < warmupEpochs.
  case linear(nEpochs: Int, nEpochsDecay: Int, epochCount: Int = 1, warmupEpochs: Int = 0)
  /// SPADE/ECGAN's `update_learning_rate` (pix2pix_trainer.py): after each epoch past `nEpochs` the lr drops by
  /// base/nEpochsDecay, so the epoch numbered e = k + epochCount runs at
  /// m(k) = 1 − max(0, e − 1 − nEpochs) / nEpochsDecay, and the last epoch at base/nEpochsDecay (no decay when
  /// nEpochsDecay is 0).
  case linearAfterEpoch(nEpochs: Int, nEpochsDecay: Int, epochCount: Int = 1)
  /// StepLR: lr = base · gamma^⌊k / every⌋
  case step(every: Int, gamma: Float = 0.1)
  /// CosineAnnealingLR: lr = ηmin + (base − ηmin) · (1 + cos(π k / tMax)) / 2 (tMax = n_epochs in CycleGAN)
  case cosine(tMax: Int, etaMin: Float = 0)

  /// The learning rate after `k` scheduler steps for a group whose initial rate is `base`.
  public func learningRate(base: Float, step k: Int) -> Float {
    switch self {
    case .constant:
      return base
    case let .linear(nEpochs, nEpochsDecay, epochCount, warmup):
      if k < warmup { return base * Float(k + epochCount) / Float(warmup) }
      return base * (1 - Float(max(0, k + epochCount - nEpochs)) / Float(nEpochsDecay + 1))
    case let .linearAfterEpoch(nEpochs, nEpochsDecay, epochCount):
      guard nEpochsDecay > 0 else { return base }
      return base * (1 - Float(max(0, k + epochCount - 1 - nEpochs)) / Float(nEpochsDecay))
    case let .step(every, gamma):
      return base * powf(gamma, Float(k / every))
    case let .cosine(tMax, etaMin):
      return etaMin + (base - etaMin) * (1 + Float(cos(Double.pi * Double(k) / Double(tMax)))) / 2
    }
  }
}

/// Sets each group's lr from its initial value and a policy, as PyTorch's LR schedulers do: construction applies
/// k = `stepCount` (0 for a new run), each `step()` (at the end of an epoch) advances k by one.
public final class LearningRateScheduler {
  public let optimizer: any Optimizer
  public let policy: LearningRatePolicy
  /// The initial lr of each group.
  public let baseRates: [Float]
  public private(set) var stepCount: Int

  /// `stepCount` resumes a schedule (the number of epochs already completed in this schedule).
  public init(_ optimizer: any Optimizer, policy: LearningRatePolicy, stepCount: Int = 0) {
    self.optimizer = optimizer
    self.policy = policy
    self.baseRates = optimizer.groups.map(\.lr)
    self.stepCount = stepCount
    apply()
  }

  public func step() {
    stepCount += 1
    apply()
  }

  /// The current lr of each group.
  public var learningRates: [Float] { optimizer.groups.map(\.lr) }

  private func apply() {
    for i in optimizer.groups.indices {
      optimizer.groups[i].lr = policy.learningRate(base: baseRates[i], step: stepCount)
    }
  }
}
