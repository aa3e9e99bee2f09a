import Replicas
import NN
import Tensors

/// `--direction`: which way a two-domain model translates (BtoA swaps the roles of the image folders).
public enum Direction: String, OptionName, Sendable {
  case aToB = "AtoB"
  case bToA = "BtoA"
}

/// One rank's batch: images by field name, each (N, C, H, W) in [−1, 1] ("A" and "B" for unpaired models; label
/// maps and exemplars under their own names for others).
public struct TrainingBatch {
  public var fields: [String: Tensor]

  public init(_ fields: [String: Tensor]) { self.fields = fields }

  public init(a: Tensor, b: Tensor) { self.init(["A": a, "B": b]) }

  /// The field called `name`, or an error naming it.
  public func field(_ name: String) throws -> Tensor {
    guard let t = fields[name] else {
      throw OptionError("batch", "the model needs the field '\(name)', the batch has \(fields.keys.sorted())")
    }
    return t
  }
}

/// A model as the training loop drives it: the loop owns the schedule, checkpoints and logs; the model owns one
/// step, written in the order its paper describes. CycleGAN, CUT, EnCo, … conform.
///
/// The loop calls, on every rank: `dataDependentInitialize` with the first batch (models that build heads from the
/// data, such as CUT's PatchSampleF, do it here, so that a checkpoint can then be loaded into them); then loads a
/// checkpoint if resuming (after `beginStage` with the checkpoint's stage), broadcasts every network and optimiser from
/// rank 0, and calls `prepare(context:)`; then, per epoch, `beginStage` if the epoch's stage is another, `beginEpoch`
/// and `trainStep` with each rank's batch.
public protocol TranslationModel: AnyObject {
  /// Builds whatever depends on the first batch (lazily created heads and their optimisers). Collective: every rank
  /// calls it with its own first batch. Default: nothing.
  func dataDependentInitialize(_ batch: TrainingBatch, context: ReplicaContext) throws

  /// Called before the first step of each epoch, `epoch` numbered as the reference code numbers it (from
  /// `--epoch-count`, 1 by default). Models whose objective changes with the epoch (EnCo's identity term) use it.
  /// Collective where the model makes it one: every rank calls it at the same epoch.
  func beginEpoch(_ epoch: Int, context: ReplicaContext) throws

  /// The training stage of `epoch` (numbered as for `beginEpoch`): a model trained in phases (EGSC-IT: its VAE-GANs
  /// first, then the full model) names them; the trainer enters a stage with `beginStage` before its first epoch.
  /// Default: one stage, "train".
  func stage(forEpoch epoch: Int) -> String

  /// Enters `stage`: builds its optimisers (`optimizers` lists them from now on) and whatever else changes. The
  /// trainer calls it before loading a checkpoint (with the stage the checkpoint was written in) and whenever the
  /// stage of an epoch differs from the current one; after a change it calls `prepare(context:)` again (a group
  /// registered under the same name replaces the earlier one) and rebuilds the learning-rate schedules, each at the
  /// run's current epoch. Default: nothing.
  func beginStage(_ stage: String) throws

  /// Networks by their reference checkpoint name ("G_A", "G_B", "D_A", "D_B"), written as net_<name>.safetensors.
  var networks: [(name: String, module: Module)] { get }
  /// Optimisers by name ("G", "D"); a learning-rate schedule drives each.
  var optimizers: [(name: String, optimizer: any Optimizer)] { get }

  /// Registers the parameter groups whose gradients the context averages over ranks (a collective: every rank
  /// calls it, with the same networks).
  func prepare(context: ReplicaContext) throws

  /// This rank's extra state to checkpoint (image pools), as named tensors; it may differ between ranks.
  func extraState() -> [(name: String, tensor: Tensor)]
  /// Restores what `extraState()` returned, checking every key before changing anything it names.
  func loadExtraState(_ state: [String: Tensor]) throws

  /// One training iteration on this rank's batch at global step `step` (counted from 0 over the whole run); returns
  /// this rank's losses by reference name, in logging order (D_A, G_A, cycle_A, idt_A, …).
  func trainStep(_ batch: TrainingBatch, step: Int, context: ReplicaContext) throws -> [(name: String, value: Double)]

  /// Facts about the last step worth logging next to the losses (e.g. "negatives_per_query"), by name.
  func trainingStatistics() -> [(name: String, value: Double)]

  /// The images of the last step for sample pages, by reference name (real_A, fake_B, rec_A, idt_B, …), detached.
  func visuals() -> [(name: String, image: Tensor)]

  /// Inference without gradient, in the networks' current mode: x (N, C, H, W) translated in `direction`. (`i2i
  /// translate` builds a `Translator`, the generator alone, instead of the model.)
  func translate(_ x: Tensor, direction: Direction) -> Tensor
}

extension TranslationModel {
  public func dataDependentInitialize(_ batch: TrainingBatch, context: ReplicaContext) throws {}
  public func beginEpoch(_ epoch: Int, context: ReplicaContext) throws {}
  public func stage(forEpoch epoch: Int) -> String { "train" }
  public func beginStage(_ stage: String) throws {}
  public func trainingStatistics() -> [(name: String, value: Double)] { [] }
}

extension ReplicaContext {
  /// Declares a parameter group made of whole networks, their parameters named "<network>.<parameter>".
  public func register(group: String, networks: [(name: String, module: Module)]) throws -> GradientGroup {
    try register(group: group, parameters: networks.flatMap { net, module in
      module.namedParameters().map { ("\(net).\($0.name)", $0.tensor) }
    })
  }
}
