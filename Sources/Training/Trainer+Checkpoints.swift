import Data
import Replicas
import Foundation
import Models
import NN
import Tensors

/// Resuming, synchronising and saving: rank 0 alone reads and writes the checkpoint directory; the other ranks get
/// its decisions and contents through the context, so no rank needs a shared file system and no rank is left waiting
/// when rank 0 meets a problem (the problem is broadcast and every rank stops with it).
extension Trainer {
  /// What rank 0 decided about resuming, as every rank receives it.
  struct ResumeDecision: Codable {
    var checkpoint: String?
    var state: CheckpointState?
    var error: String?
  }

  /// Picks the checkpoint to resume from (`--resume auto|PATH`) and sets `step`, `cursor` and the `stage` the
  /// checkpoint was written in; nil for a fresh run.
  func resume() throws -> URL? {
    var decision = ResumeDecision()
    if context.rank == 0 {
      do { decision = try decideResume() } catch { decision.error = ErrorText.describe(error) }
    }
    let bytes = try context.broadcastBytesFromRoot(try JSONEncoder().encode(decision))
    decision = try JSONDecoder().decode(ResumeDecision.self, from: bytes)
    if let error = decision.error { throw TrainingError(error) }
    guard let path = decision.checkpoint, let state = decision.state else { return nil }
    step = state.step
    lastSavedStep = state.step
    cursor = SamplerCursor(epoch: state.cursorEpoch, consumed: state.cursorConsumed)
    stage = state.stage ?? model.stage(forEpoch: min(state.cursorEpoch, epochs - 1) + options.epochCount)
    say("resuming from \(path): step \(state.step), epoch \(state.epoch), written by \(state.worldSize) rank(s), now \(context.size)")
    return URL(fileURLWithPath: path)
  }

  private func decideResume() throws -> ResumeDecision {
    let resume = options.resume
    runLock = try RunLock(runDirectory)
    store.removeStaleTemporaries(warn: { say("warning: \($0)") })
    if resume == "none" { return ResumeDecision() }  // the user asked for a new run over whatever is there
    guard !resume.isEmpty else {
      if let existing = store.checkpoints().first {
        throw OptionError(option: "--name", reason: "\(runDirectory.path) already holds checkpoints (\(existing.lastPathComponent)); pass --resume auto to continue that run, --resume none to start over in it, or choose another --name")
      }
      return ResumeDecision()
    }
    let chosen: (url: URL, state: CheckpointState)
    if resume == "auto" {
      guard let found = store.newestValid(warn: { say("warning: \($0)") }) else {
        let existing = store.checkpoints()
        guard existing.isEmpty else {
          // NOTE: starting afresh here would overwrite and prune these checkpoints, whose generators may be intact.
          let failures = existing.map { CheckpointStore.failure($0) ?? $0.lastPathComponent }
          throw OptionError(option: "--resume", reason: "auto: none of the \(existing.count) checkpoint(s) in \(runDirectory.path) verifies (\(failures.joined(separator: "; "))); nothing was changed. Repair or move them, pass --resume none to start over in this directory, or choose another --name")
        }
        say("--resume auto: no checkpoint in \(runDirectory.path); starting a new run")
        return ResumeDecision()
      }
      chosen = found
    } else {
      var url = URL(fileURLWithPath: resume)
      if !FileManager.default.fileExists(atPath: url.appendingPathComponent("state.json").path) {
        guard let newest = CheckpointStore(directory: url, keep: 1).newestValid(warn: { say("warning: \($0)") }) else {
          throw OptionError(option: "--resume", reason: "\(resume) is neither a checkpoint nor a run directory with a valid checkpoint")
        }
        url = newest.url
      }
      chosen = (url, try CheckpointStore.verify(url))
    }
    try checkCompatible(chosen.state, checkpoint: chosen.url)
    try checkSameRun(chosen.state, checkpoint: chosen.url, explicit: resume != "auto")
    return ResumeDecision(checkpoint: chosen.url.path, state: chosen.state)
  }

  /// The options that shape the networks must match the checkpoint's.
  private func checkCompatible(_ state: CheckpointState, checkpoint: URL) throws {
    let mine = options.asStrings
    // A different batch size is allowed: the cursor counts samples.
    for key in ["model"] + options.descriptor.architectureKeys {
      guard let saved = state.options[key], let now = mine[key], saved != now else { continue }
      throw OptionError(option: "--" + options.flagName(key),
                                reason: "the checkpoint \(checkpoint.path) was trained with \(saved), this run has \(now)")
    }
  }

  /// A checkpoint of another run (another name, data set or seed) continues only when asked to: with
  /// `--resume PATH` it needs `--allow-other-run`; with `--resume auto` (this run's own directory) a changed data set
  /// or seed is said, since the run's random draws then differ from its first part.
  private func checkSameRun(_ state: CheckpointState, checkpoint: URL, explicit: Bool) throws {
    let mine = options.asStrings
    let differences = ["name", "dataroot", "seed"].compactMap { key -> String? in
      guard let saved = state.options[key], let now = mine[key], saved != now else { return nil }
      return "--\(options.flagName(key)) \(saved) there, \(now) here"
    }
    guard !differences.isEmpty else { return }
    let list = differences.joined(separator: "; ")
    if !explicit { return say("warning: \(checkpoint.path) was trained with other settings (\(list))") }
    guard options.allowOtherRun else {
      throw OptionError(option: "--resume", reason: "\(checkpoint.path) belongs to another run (\(list)); pass --allow-other-run to continue from it anyway")
    }
    say("continuing from another run's checkpoint (\(list)), as --allow-other-run asks")
  }

  /// Loads networks and optimisers (rank 0) and every rank's extra state.
  func loadCheckpoint(_ checkpoint: URL) throws {
    var failure = ""
    if context.rank == 0 {
      do { try CheckpointContents.loadShared(checkpoint, into: model) } catch { failure = ErrorText.describe(error) }
    }
    let message = String(decoding: try context.broadcastBytesFromRoot(Data(failure.utf8)), as: UTF8.self)
    guard message.isEmpty else { throw CheckpointStore.Invalid(checkpoint: checkpoint, reason: message) }
    try CheckpointContents.loadExtra(context.rank == 0 ? checkpoint : nil, into: model, context: context,
                                     warn: { self.say("warning: \($0)") })
  }

  /// Rank 0's networks and optimiser states on every rank.
  func synchronizeReplicas() throws {
    for (_, module) in model.networks { try context.broadcastFromRoot(module) }
    for (_, optimizer) in model.optimizers { try context.broadcastFromRoot(optimizer) }
  }

  /// Every network's parameters must be bit-identical on every rank. (Buffers such as batch-norm running statistics
  /// follow each rank's own batches; as in PyTorch DDP, rank 0's are the ones that count: see `saveCheckpoint`.)
  func checkReplicas() throws {
    try context.checkReplicasAgree(model.networks.flatMap { net, module in
      module.namedParameters().map { ("\(net).\($0.name)", $0.tensor) }
    })
  }

  /// A synchronised checkpoint: replicas checked, per-rank state gathered, rank 0 writes, every rank waits.
  func saveCheckpoint() throws {
    try checkReplicas()
    for (_, module) in model.networks { try context.broadcastFromRoot(module.namedBuffers().map { ($0.name, $0.tensor) }) }
    var files = try CheckpointContents.files(of: model, context: context)
    var failure = ""
    if context.rank == 0 {
      do {
        files.append(("train_opt.json", try TrainingOptions.encoder.encode(options)))
        let state = CheckpointState(model: options.model, step: step, epoch: min(cursor.epoch, epochs - 1) + options.epochCount,
                                    cursorEpoch: cursor.epoch, cursorConsumed: cursor.consumed, worldSize: context.size,
                                    options: options.asStrings, stage: stage)
        let url = try store.save(files, state: state)
        say("saved checkpoint \(url.path)")
      } catch { failure = ErrorText.describe(error) }
    }
    let message = String(decoding: try context.broadcastBytesFromRoot(Data(failure.utf8)), as: UTF8.self)
    guard message.isEmpty else { throw CheckpointStore.Invalid(checkpoint: store.directory, reason: "saving failed: \(message)") }
    lastSavedStep = step
  }

  /// `train_opt.json`, `train_opt.txt`, the loss logs and the progress display (rank 0).
  func openOutputs() throws {
    try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
    try DurableFiles.replace(runDirectory.appendingPathComponent("train_opt.json"), with: try TrainingOptions.encoder.encode(options))
    let text = "----------------- Options ---------------\n"
      + options.asStrings.sorted { $0.key < $1.key }.map { "\(options.flagName($0.key).padding(toLength: 24, withPad: " ", startingAt: 0)): \($0.value)" }.joined(separator: "\n")
      + "\n----------------- End -------------------\n"
    try DurableFiles.replace(runDirectory.appendingPathComponent("train_opt.txt"), with: Data(text.utf8))
    log = try LossLog(directory: runDirectory, notes: options.modelOptions.notes)
    for note in options.modelOptions.notes { say(note) }
    let remaining = (epochs - cursor.epoch) * (try data.sampler(rank: 0, worldSize: context.size, cursor: SamplerCursor()).batchesPerEpoch)
    progress = Progress(totalSteps: step + (options.maxSteps > 0 ? min(options.maxSteps - step, remaining) : remaining))
  }
}
