import Foundation
import NN
import Tensors

/// Rank 0's model and optimiser state on every rank: at start, after a resume, and for heads a model creates
/// lazily on its first batch (created with the same shapes everywhere, then overwritten with rank 0's values).
extension ReplicaContext {
  /// Parameters and buffers, in place (every rank holds the same list of names and shapes; checked).
  public func broadcastFromRoot(_ module: Module) throws {
    try broadcastFromRoot(module.stateDict().map { ($0.name, $0.tensor) })
  }

  /// Optimiser state, which ranks may hold differently (it is created at a parameter's first update): rank 0's
  /// state is serialised as safetensors, broadcast, and loaded everywhere.
  public func broadcastFromRoot(_ optimizer: Optimizer) throws {
    guard size > 1 else { return }
    let bytes = try rank == 0 ? SafeTensors.encode(optimizer.stateDict().map { ($0.name, $0.tensor) }) : Data()
    let received = try broadcastBytesFromRoot(bytes)
    guard rank != 0 else { return }
    try optimizer.loadStateDict(SafeTensors.decode(received, file: "optimizer state broadcast from rank 0").tensors)
  }
}
