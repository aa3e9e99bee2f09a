import Foundation
import Tensors

/// What `state.json` of a checkpoint records besides the tensors.
public struct CheckpointState: Codable, Equatable {
  /// 2: `state.json` itself is checksummed, in `state.json.sum` (1: it was not).
  public var formatVersion = 2
  public var model: String
  public var step: Int
  public var epoch: Int
  /// The sampler's global cursor: the epoch and how many samples of its permutation were consumed.
  public var cursorEpoch: Int
  public var cursorConsumed: Int
  public var worldSize: Int
  public var options: [String: String]
  /// The model's training stage when the checkpoint was written (`TranslationModel.stage(forEpoch:)`); nil in
  /// checkpoints from before stages, which had one.
  public var stage: String?
  /// File name → checksum of every other file in the checkpoint directory.
  public var files: [String: String] = [:]
  public var created: String = ""

  public init(model: String, step: Int, epoch: Int, cursorEpoch: Int, cursorConsumed: Int, worldSize: Int,
              options: [String: String], stage: String? = nil) {
    self.model = model; self.step = step; self.epoch = epoch; self.cursorEpoch = cursorEpoch
    self.cursorConsumed = cursorConsumed; self.worldSize = worldSize; self.options = options; self.stage = stage
  }
}

/// Checkpoints of one run: `<checkpoints-dir>/<name>/step-<8 digits>/` directories holding one file per network,
/// optimiser and extra state, plus `state.json` with the checksum of every file, and a `latest` file naming the
/// newest. A checkpoint is written into a temporary directory, fsynced, and renamed into place, so a crash
/// never leaves a half-written `step-…` directory; only the newest `keep` are kept.
public final class CheckpointStore {
  public let directory: URL
  public let keep: Int

  public struct Invalid: Error, CustomStringConvertible {
    public let checkpoint: URL
    public let reason: String
    public var description: String { "checkpoint \(checkpoint.path): \(reason)" }
  }

  public init(directory: URL, keep: Int) {
    precondition(keep >= 1, "--keep must be at least 1")
    self.directory = directory
    self.keep = keep
  }

  public static func name(step: Int) -> String { "step-" + String(step).leftPadded(to: 8) }

  /// Writes a checkpoint (call on one rank only), updates `latest`, prunes old ones; returns its directory.
  @discardableResult
  public func save(_ files: [(name: String, data: Data)], state: CheckpointState) throws -> URL {
    let fm = FileManager.default
    try fm.createDirectory(at: directory, withIntermediateDirectories: true)
    let final = directory.appendingPathComponent(CheckpointStore.name(step: state.step))
    let tmp = directory.appendingPathComponent(".\(final.lastPathComponent).tmp-\(getpid())")
    try? fm.removeItem(at: tmp)
    try fm.createDirectory(at: tmp, withIntermediateDirectories: false)
    var state = state
    do {
      for (name, data) in files {
        precondition(name != "state.json" && !name.contains("/"), "bad checkpoint file name \(name)")
        try DurableFiles.writeSynced(data, to: tmp.appendingPathComponent(name))
        state.files[name] = Checksum.of(data)
      }
      state.created = ISO8601DateFormatter().string(from: Date())
      let stateData = try CheckpointStore.encoder.encode(state)
      try DurableFiles.writeSynced(stateData, to: tmp.appendingPathComponent("state.json"))
      try DurableFiles.writeSynced(Data(Checksum.of(stateData).utf8), to: tmp.appendingPathComponent("state.json.sum"))
      try DurableFiles.syncDirectory(tmp)
    } catch {
      // A failed write (a full disk, most often) leaves nothing behind; say how much room a checkpoint takes.
      try? fm.removeItem(at: tmp)
      let needed = files.reduce(0) { $0 + $1.data.count }
      throw Invalid(checkpoint: final, reason: "could not be written (\(error.localizedDescription)); it needs "
                      + "\(needed / 1_048_576 + 1) MiB free in \(directory.path)")
    }
    if fm.fileExists(atPath: final.path) { try fm.removeItem(at: final) }  // re-saving the same step
    try DurableFiles.rename(tmp, to: final)
    try DurableFiles.replace(directory.appendingPathComponent("latest"), with: Data((final.lastPathComponent + "\n").utf8))
    try prune(keeping: final)
    return final
  }

  /// Checkpoint directories, newest first.
  public func checkpoints() -> [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasPrefix("step-") && Int($0.dropFirst(5)) != nil }.sorted(by: >)
      .map { directory.appendingPathComponent($0) }
  }

  /// Reads `state.json` and checks every file (or those `only` names) against its checksum; throws naming the first
  /// problem.
  public static func verify(_ checkpoint: URL, only names: Set<String>? = nil) throws -> CheckpointState {
    let stateURL = checkpoint.appendingPathComponent("state.json")
    guard let data = try? Data(contentsOf: stateURL) else { throw Invalid(checkpoint: checkpoint, reason: "no readable state.json") }
    let state: CheckpointState
    do { state = try JSONDecoder().decode(CheckpointState.self, from: data) } catch {
      throw Invalid(checkpoint: checkpoint, reason: "state.json is not valid (\(error))")
    }
    if state.formatVersion >= 2 {
      let sum = try? String(contentsOf: checkpoint.appendingPathComponent("state.json.sum"), encoding: .utf8)
      guard let sum else { throw Invalid(checkpoint: checkpoint, reason: "state.json.sum is missing") }
      guard sum == Checksum.of(data) else {
        throw Invalid(checkpoint: checkpoint,
                      reason: "state.json is corrupt or was edited (checksum \(Checksum.of(data)), expected \(sum))")
      }
    }
    for (name, expected) in state.files.sorted(by: { $0.key < $1.key }) where names?.contains(name) ?? true {
      let url = checkpoint.appendingPathComponent(name)
      guard let bytes = try? Data(contentsOf: url) else { throw Invalid(checkpoint: checkpoint, reason: "\(name) is missing") }
      let actual = Checksum.of(bytes)
      guard actual == expected else {
        throw Invalid(checkpoint: checkpoint, reason: "\(name) is corrupt (checksum \(actual), expected \(expected))")
      }
    }
    return state
  }

  /// Why `checkpoint` does not verify ("step-00000004: net_D_B.safetensors is corrupt (…)"), or nil if it does.
  public static func failure(_ checkpoint: URL) -> String? {
    do { _ = try verify(checkpoint); return nil } catch let error as Invalid {
      return "\(checkpoint.lastPathComponent): \(error.reason)"
    } catch { return "\(checkpoint.lastPathComponent): \(error)" }
  }

  /// Removes the temporary directories (`.step-XXXXXXXX.tmp-PID`) of writers that are no longer running: what a
  /// crash, SIGKILL or a full disk left behind, which would otherwise keep the space. A live writer's is kept.
  public func removeStaleTemporaries(warn: (String) -> Void) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    for name in names where name.hasPrefix(".step-") && name.contains(".tmp-") {
      guard let pid = Int32(name.split(separator: "-").last ?? ""), !CheckpointStore.isRunning(pid) || pid == getpid()
      else { continue }
      let url = directory.appendingPathComponent(name)
      if (try? FileManager.default.removeItem(at: url)) != nil { warn("removed \(url.path), left by an interrupted checkpoint write") }
    }
  }

  /// Whether a process with this id exists on this host (kill with signal 0; EPERM means it exists).
  static func isRunning(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

  /// The newest checkpoint that verifies; every newer one that does not is reported through `warn` and skipped.
  public func newestValid(warn: (String) -> Void) -> (url: URL, state: CheckpointState)? {
    for url in checkpoints() {
      do { return (url, try CheckpointStore.verify(url)) } catch { warn("skipping \(error); falling back to an older checkpoint") }
    }
    return nil
  }

  private func prune(keeping newest: URL) throws {
    for old in checkpoints().dropFirst(keep) where old != newest {
      try FileManager.default.removeItem(at: old)
    }
  }

  static let encoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys]
    return e
  }()
}
