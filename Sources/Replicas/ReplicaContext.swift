import Foundation
import Tensors

/// What a model's training step may ask of the other replicas. Models never touch MPI: they receive a context,
/// implemented for a single process here (`LocalReplicaContext`) and over MPI in `Distributed` (`MPIReplicaContext`),
/// a target that Models cannot import.
///
/// Gradients are averaged per group: `register` returns a `GradientGroup` handle, and `backward` names the groups
/// whose gradients it synchronises. A handle the context did not issue is an error (`GradientGroupError`).
public protocol ReplicaContext: AnyObject {
  var rank: Int { get }
  var size: Int { get }

  /// Declares a parameter group (e.g. "G", "D"): its gradients move into fixed buckets, checked across ranks.
  /// Collective. Registering a name again replaces the earlier group of that name.
  func register(group: String, parameters: [(String, Tensor)]) throws -> GradientGroup
  /// After `backward()`: every rank ends with the mean of each group's gradients over the ranks.
  func synchronize(_ groups: [GradientGroup]) throws
  /// `loss.backward()` with every named group's buckets all-reduced as soon as their gradients are complete,
  /// overlapping communication with the rest of backward; on return the gradients are averaged as with
  /// `synchronize`. The buckets are reduced in one order on every rank: the groups as named, each group's buckets in
  /// index order (so name first the group that backward reaches first). The order changes no result.
  func backward(_ loss: Tensor, synchronizing groups: [GradientGroup]) throws

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
  public init(tensor: String) { self.tensor = tensor }
  public var description: String { "replicas diverged: tensor '\(tensor)' differs between ranks" }
}

public struct BucketLayoutMismatch: Error, CustomStringConvertible {
  public let group: String
  public init(group: String) { self.group = group }
  public var description: String {
    "the gradient bucket layout of parameter group '\(group)' differs between ranks (different models or options?)"
  }
}
