import Foundation
import Tensors

/// What a model's training step may ask of the other replicas. Models never touch MPI: they receive a context,
/// implemented over MPI (`MPIReplicaContext`) and for a single process (`LocalReplicaContext`).
public protocol ReplicaContext: AnyObject {
  var rank: Int { get }
  var size: Int { get }

  /// Declares a parameter group (e.g. "G", "D"): its gradients move into fixed buckets, checked across ranks.
  func register(group: String, parameters: [(String, Tensor)]) throws
  /// Zeroes the group's gradients.
  func zeroGradients(_ group: String)
  /// After `backward()`: every rank ends with the mean of the group's gradients over the ranks.
  func synchronize(_ group: String) throws
  /// `loss.backward()` with the group's buckets all-reduced as soon as their gradients are complete, overlapping
  /// communication with the rest of backward; on return the gradients are averaged as with `synchronize`.
  func backward(_ loss: Tensor, synchronizing group: String) throws

  /// Concatenates every rank's `x` along axis 0 (rank order). Differentiable: the gradient of this rank's rows is
  /// the sum over ranks of the gathered tensor's gradient, so per-rank losses give the global-batch gradient.
  func allGather(_ x: Tensor) throws -> Tensor
  /// The same without gradient (detached keys, negatives pools).
  func allGatherDetached(_ x: Tensor) throws -> Tensor

  /// Overwrites the tensors on every rank with rank 0's (parameters, optimiser state, lazily created heads).
  func broadcastFromRoot(_ tensors: [(String, Tensor)]) throws
  /// Rank 0's bytes on every rank (lengths may differ before the call).
  func broadcastBytesFromRoot(_ data: Data) throws -> Data
  /// Every rank's bytes, in rank order (per-rank state such as image pools, for a checkpoint).
  func allGatherBytes(_ data: Data) throws -> [Data]
  /// Waits until every rank has called it (after rank 0 writes a checkpoint).
  func barrier() throws
  /// The mean over ranks of each value (losses for display).
  func meanOverRanks(_ values: [Double]) throws -> [Double]
  /// Checks that the tensors are bit-identical on every rank; a divergence names the first tensor that differs.
  func checkReplicasAgree(_ tensors: [(String, Tensor)]) throws
}

public struct ReplicaDivergence: Error, CustomStringConvertible {
  public let tensor: String
  public var description: String { "replicas diverged: tensor '\(tensor)' differs between ranks" }
}

public struct BucketLayoutMismatch: Error, CustomStringConvertible {
  public let group: String
  public var description: String {
    "the gradient bucket layout of parameter group '\(group)' differs between ranks (different models or options?)"
  }
}
