import Replicas
import Foundation
import Models
import NN
import Tensors

/// What a checkpoint holds for a model, and how it goes back in. File names follow the reference code:
/// `net_<name>.safetensors` per network (PyTorch state-dict keys), plus `optimizer_<name>.safetensors` per optimiser
/// and `extra_rank<r>.safetensors` per rank (image pools; they differ between ranks).
enum CheckpointContents {
  static func networkFile(_ name: String) -> String { "net_\(name).safetensors" }
  static func optimizerFile(_ name: String) -> String { "optimizer_\(name).safetensors" }
  static func extraFile(rank: Int) -> String { "extra_rank\(rank).safetensors" }

  /// The files of a checkpoint of `model`. Collective: every rank contributes its extra state; the files come back
  /// complete on rank 0 only (other ranks get an empty list).
  static func files(of model: any TranslationModel, context: ReplicaContext) throws -> [(name: String, data: Data)] {
    let extra = try SafeTensors.encode(model.extraState().map { ($0.name, $0.tensor) })
    let extras = try context.allGatherBytes(extra)
    guard context.rank == 0 else { return [] }
    var files: [(name: String, data: Data)] = []
    for (name, module) in model.networks {
      files.append((networkFile(name), try SafeTensors.encode(module.stateDict().map { ($0.name, $0.tensor) })))
    }
    for (name, optimizer) in model.optimizers {
      files.append((optimizerFile(name), try SafeTensors.encode(optimizer.stateDict().map { ($0.name, $0.tensor) })))
    }
    for (r, data) in extras.enumerated() { files.append((extraFile(rank: r), data)) }
    return files
  }

  /// Loads networks and optimisers from `checkpoint` into `model` (call on rank 0; broadcast afterwards).
  static func loadShared(_ checkpoint: URL, into model: any TranslationModel) throws {
    for (name, module) in model.networks {
      try load(checkpoint, networkFile(name)) { try module.loadStateDict($0) }
    }
    for (name, optimizer) in model.optimizers {
      try load(checkpoint, optimizerFile(name)) { try optimizer.loadStateDict($0) }
    }
  }

  /// Every rank's extra state from the checkpoint that rank 0 read (`checkpoint` is only used on rank 0). A rank the
  /// checkpoint has no file for (it was written by fewer ranks) starts with empty per-rank state, and says so.
  /// Collective; call it only when resuming.
  static func loadExtra(_ checkpoint: URL?, into model: any TranslationModel, context: ReplicaContext,
                        warn: (String) -> Void) throws {
    for r in 0..<context.size {
      var bytes = Data()
      if context.rank == 0, let checkpoint {
        bytes = (try? Data(contentsOf: checkpoint.appendingPathComponent(extraFile(rank: r)))) ?? Data()
      }
      let received = try context.broadcastBytesFromRoot(bytes)
      guard r == context.rank else { continue }
      guard !received.isEmpty else {
        warn("rank \(r): the checkpoint has no \(extraFile(rank: r)) (written by fewer ranks); starting with empty image pools")
        continue
      }
      try model.loadExtraState(try SafeTensors.decode(received, file: extraFile(rank: r)).tensors)
    }
  }

  private static func load(_ checkpoint: URL, _ file: String, _ body: ([String: Tensor]) throws -> Void) throws {
    let url = checkpoint.appendingPathComponent(file)
    do { try body(try SafeTensors.read(url).tensors) } catch {
      throw CheckpointStore.Invalid(checkpoint: checkpoint, reason: "\(file): \(error)")
    }
  }
}
