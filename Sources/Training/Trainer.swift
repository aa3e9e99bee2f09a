import Data
import Replicas
import Foundation
import Models
import NN
import Tensors

/// The training loop, the same for every model: epochs over the sharded loader, `model.trainStep` on each rank's
/// batch, the learning-rate schedule per epoch, losses averaged over ranks for the logs, synchronised checkpoints,
/// replica checks and sample pages.
///
/// Every rank runs `run()`; the collective calls (checkpoint gathers, loss means, replica checks, barriers) happen at
/// the same steps on every rank because they depend only on the step counter and the global cursor.
public final class Trainer {
  public let options: TrainingOptions
  public let context: ReplicaContext
  public let model: any TranslationModel
  /// `<checkpoints-dir>/<name>`
  public let runDirectory: URL
  let data: TrainingData
  let store: CheckpointStore
  private let printLine: (String) -> Void
  /// Where training stands: the next global step (from 0) and the sampler cursor of the next batch.
  public internal(set) var step = 0
  public internal(set) var cursor = SamplerCursor()
  var log: LossLog?
  var progress: Progress?
  var lastSavedStep = -1
  /// Rank 0's lock on the run directory, held until the trainer goes away.
  var runLock: RunLock?
  /// The model's training stage (`TranslationModel.stage(forEpoch:)`), entered with `beginStage`.
  public internal(set) var stage = ""
  /// The losses last averaged over ranks (for the progress bar between log lines).
  private var lastLosses: [(String, Double)] = []

  /// `say` prints a line for the user (rank 0's messages reach the terminal; pass a no-op elsewhere).
  public init(options: TrainingOptions, context: ReplicaContext, say: @escaping (String) -> Void = { print($0) }) throws {
    try Trainer.validate(options)
    self.options = options
    self.context = context
    self.printLine = say
    model = try options.makeModel()
    data = try TrainingData(options)
    runDirectory = URL(fileURLWithPath: options.checkpointsDir).appendingPathComponent(options.name)
    store = CheckpointStore(directory: runDirectory, keep: options.keep)
  }

  static func validate(_ o: TrainingOptions) throws {
    let positive: [(String, Int)] = [("--batch-size", o.batchSize), ("--print-freq", o.printFreq),
                                     ("--save-epoch-freq", o.saveEpochFreq), ("--keep", o.keep),
                                     ("--replica-check-every", o.replicaCheckEvery), ("--epoch-count", o.epochCount)]
    for (name, value) in positive where value < 1 {
      throw OptionError(option: name, reason: "must be at least 1, got \(value)")
    }
    for (name, value) in [("--n-epochs", o.nEpochs), ("--n-epochs-decay", o.nEpochsDecay), ("--max-steps", o.maxSteps),
                          ("--save-every-steps", o.saveEverySteps), ("--warmup-epochs", o.warmupEpochs)] where value < 0 {
      throw OptionError(option: name, reason: "must be ≥ 0, got \(value)")
    }
    try o.descriptor.anyCheckInputSize(o.modelOptions, cropSize: o.cropSize, cropped: o.preprocess != "none")
    if !(o.collectiveTimeout >= 0 && o.collectiveTimeout.isFinite) {
      throw OptionError(option: "--collective-timeout", reason: "must be a number of seconds ≥ 0, got \(o.collectiveTimeout)")
    }
    // Upper bounds that keep a typo from reaching an allocation (a batch of 10¹¹ images) or the thread pool.
    for (name, value, range) in [("--batch-size", o.batchSize, 1...65_536), ("--threads", o.threads, 0...1024),
                                 ("--load-size", o.loadSize, 1...65_536), ("--crop-size", o.cropSize, 1...65_536),
                                 ("--max-dataset-size", o.maxDatasetSize, 1...Int.max)] where !range.contains(value) {
      throw OptionError(option: name, reason: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
    }
    if o.name.isEmpty || o.name.contains("/") || o.name == "." || o.name == ".." {
      throw OptionError(option: "--name", reason: "'\(o.name)' must be a plain folder name (no '/', not '.' or '..'): the run lives in --checkpoints-dir")
    }
    _ = try o.learningRatePolicy()
  }

  /// Epochs of the whole run, counted as the reference does (from 0 here; the reference's epoch is + epoch-count).
  var epochs: Int { options.nEpochs + options.nEpochsDecay + 1 - options.epochCount }

  /// Trains until the last epoch or `--max-steps`; writes the final checkpoint.
  public func run() throws {
    try checkOptionsAgreeAcrossRanks()
    try checkDataFiles()
    let resumed = try resume()
    var loader: DataLoader? = try data.loader(rank: context.rank, worldSize: context.size, cursor: cursor)
    defer { loader?.stop() }
    var first: Batch? = try loader!.next()
    try model.dataDependentInitialize(try data.trainingBatch(first!), context: context)
    // The checkpoint's stage (its optimisers are that stage's), or the first epoch's.
    if resumed == nil { stage = model.stage(forEpoch: cursor.epoch + options.epochCount) }
    try model.beginStage(stage)
    if let resumed { try loadCheckpoint(resumed) }
    try synchronizeReplicas()
    try model.prepare(context: context)
    if context.rank == 0 { try openOutputs() }
    let policy = try options.learningRatePolicy()
    var schedulers = makeSchedulers(policy)
    if options.saveInitial && resumed == nil { try saveCheckpoint() }

    while cursor.epoch < epochs && !reachedMaxSteps && !stopping {
      let epoch = cursor.epoch
      if model.stage(forEpoch: epoch + options.epochCount) != stage {
        try enterStage(model.stage(forEpoch: epoch + options.epochCount))
        schedulers = makeSchedulers(policy)
      }
      try model.beginEpoch(epoch + options.epochCount, context: context)
      if loader == nil { loader = try data.loader(rank: context.rank, worldSize: context.size, cursor: cursor) }
      while cursor.epoch == epoch && !reachedMaxSteps && !stopping {
        let started = ContinuousClock.now
        let batch = try nextBatchOnEveryRank { try first ?? loader!.next() }
        let wait = first == nil ? loader!.lastWait : 0
        first = nil
        let losses = try model.trainStep(try data.trainingBatch(batch), step: step, context: context)
        let imagesBefore = cursor.consumed
        step += 1
        cursor = batch.cursor
        try afterStep(losses: losses, epoch: epoch, imagesBefore: imagesBefore,
                      imagesAfter: imagesBefore + options.batchSize * context.size,
                      seconds: started.duration(to: .now).seconds, wait: wait,
                      learningRate: Double(schedulers.first?.learningRates.first ?? 0))
      }
      if cursor.epoch > epoch {
        loader?.stop()
        loader = nil
        try endEpoch(epoch)
        for s in schedulers { s.step() }
      }
    }
    if lastSavedStep != step { try saveCheckpoint() }
    if stopping {
      say("stopped by a signal at step \(step); continue with --resume auto")
      return
    }
    progress?.finishLine()
    say("finished at step \(step), epoch \(min(cursor.epoch, epochs - 1) + options.epochCount); checkpoints in \(runDirectory.path)")
  }

  /// A schedule per optimiser of the current stage, at the run's current epoch.
  private func makeSchedulers(_ policy: LearningRatePolicy) -> [LearningRateScheduler] {
    model.optimizers.map { LearningRateScheduler($0.optimizer, policy: policy, stepCount: cursor.epoch) }
  }

  /// The model's next stage: its optimisers built, its gradient groups registered again (on every rank).
  private func enterStage(_ next: String) throws {
    try model.beginStage(next)
    try model.prepare(context: context)
    say("stage \(next) from epoch \(cursor.epoch + options.epochCount) (was \(stage))")
    stage = next
  }

  /// Every rank must train with rank 0's options (an MPMD launch `mpirun -np 1 i2i … : -np 1 i2i …` can give them
  /// different ones): the first collective compares them all and every rank stops on the same first mismatch,
  /// naming the option and both values. `--threads` is per rank and may differ.
  func checkOptionsAgreeAcrossRanks() throws {
    var mine = options.asStrings
    mine["threads"] = nil
    let all = try context.allGatherBytes(try JSONEncoder.sortedKeys.encode(mine))
    let decoded = try all.map { try JSONDecoder().decode([String: String].self, from: $0) }
    for (rank, theirs) in decoded.enumerated().dropFirst() {
      for key in Set(decoded[0].keys).union(theirs.keys).sorted() where decoded[0][key] != theirs[key] {
        throw OptionError(option: "--" + options.flagName(key), reason: "rank 0 has \(decoded[0][key] ?? "none"), "
                                    + "rank \(rank) has \(theirs[key] ?? "none"): every rank must be started with the same options")
      }
    }
  }

  /// Every image of the data set passes `ImageFile.check` before the first step, the files split over the ranks, so
  /// that an empty or truncated file stops the run now rather than hours in; with `--skip-bad-images` they are
  /// listed and the loader skips them when it meets them.
  func checkDataFiles() throws {
    var bad: [String] = []
    for i in stride(from: context.rank, to: data.files.count, by: context.size) {
      do { try ImageFile.check(data.files[i]) } catch { bad.append("\(error)") }
    }
    let all = try context.allGatherBytes(try JSONEncoder().encode(bad))
      .flatMap { try JSONDecoder().decode([String].self, from: $0) }
    guard !all.isEmpty else { return }
    if options.skipBadImages {
      for problem in all { say("warning: --skip-bad-images: \(problem)") }
      return
    }
    throw TrainingError("\(all.count) of \(data.files.count) images cannot be read: "
                          + all.prefix(5).joined(separator: "; ") + (all.count > 5 ? "; …" : "")
                          + ". Fix or remove them, or pass --skip-bad-images")
  }

  /// The next batch, where every rank learns whether any rank failed to load its own (one small all-reduce): then
  /// every rank writes the checkpoint of this step boundary and stops with the failing ranks' messages, instead of
  /// the failing rank dying alone and taking the progress since the last checkpoint with it.
  private func nextBatchOnEveryRank(_ load: () throws -> Batch) throws -> Batch {
    var batch: Batch?, failure = ""
    do { batch = try load() } catch { failure = ErrorText.describe(error) }
    guard try context.meanOverRanks([failure.isEmpty ? 0 : 1])[0] > 0 else { return batch! }
    let messages = try context.allGatherBytes(Data(failure.utf8)).map { String(decoding: $0, as: UTF8.self) }
    if lastSavedStep != step { try saveCheckpoint() }
    throw TrainingError(messages.enumerated().filter { !$0.element.isEmpty }
                          .map { "rank \($0.offset): \($0.element)" }.joined(separator: "; "))
  }

  /// A message for the user, on its own line below the progress bar.
  func say(_ message: String) {
    progress?.finishLine()
    printLine(message)
  }

  var reachedMaxSteps: Bool { options.maxSteps > 0 && step >= options.maxSteps }

  /// Set after a step when any rank received SIGTERM or SIGINT (see `StopRequest`): every rank learns it at the
  /// same step through one small all-reduce, saves the checkpoint together and stops.
  public private(set) var stopping = false

  private func afterStep(losses: [(name: String, value: Double)], epoch: Int, imagesBefore: Int, imagesAfter: Int,
                         seconds: Double, wait: Double, learningRate: Double) throws {
    if step % options.replicaCheckEvery == 0 { try checkReplicas() }
    // Every --print-freq images, at the end of each epoch and at the last step (the same steps on every rank).
    let printNow = imagesBefore / options.printFreq != imagesAfter / options.printFreq || cursor.epoch > epoch || reachedMaxSteps
    let images = Double(options.batchSize * context.size)
    if printNow {
      let means = try context.meanOverRanks(losses.map(\.value))
      lastLosses = zip(losses.map(\.name), means).map { ($0, $1) }
      var record = LossRecord(epoch: epoch + options.epochCount, epochImages: imagesAfter, step: step,
                              computePerImage: (seconds - wait) / images, dataPerImage: wait / images,
                              learningRate: learningRate,
                              losses: Dictionary(uniqueKeysWithValues: zip(losses.map(\.name), means)),
                              order: losses.map(\.name))
      let facts = model.trainingStatistics()
      record.statistics = facts.isEmpty ? nil : Dictionary(facts, uniquingKeysWith: { a, _ in a })
      try log?.write(record)
    }
    progress?.update(epoch: epoch + options.epochCount, epochs: epochs - 1 + options.epochCount, step: step,
                     imagesPerSecond: images / max(seconds, 1e-9), dataWaitFraction: wait / max(seconds, 1e-9),
                     losses: lastLosses, forcePlainLine: printNow)
    if options.saveEverySteps > 0 && step % options.saveEverySteps == 0 { try saveCheckpoint() }
    stopping = try context.meanOverRanks([StopRequest.signal != 0 ? 1 : 0])[0] > 0
  }

  private func endEpoch(_ epoch: Int) throws {
    let number = epoch + options.epochCount
    if context.rank == 0, let log {
      try SamplePages.write(epoch: number, visuals: model.visuals(), web: runDirectory.appendingPathComponent("web"),
                            title: "\(options.name) (\(options.model))", log: log)
    }
    if (epoch + 1) % options.saveEpochFreq == 0 || epoch + 1 == epochs { try saveCheckpoint() }
  }
}

extension JSONEncoder {
  static var sortedKeys: JSONEncoder {
    let e = JSONEncoder()
    e.outputFormatting = .sortedKeys
    return e
  }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
