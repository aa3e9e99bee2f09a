import Foundation
import Tensors

/// One process, no MPI: the context for tests, laptops and single-process runs.
public final class LocalReplicaContext: ReplicaContext {
  private var groups = GradientGroupRegistry()
  public init() {}

  public var rank: Int { 0 }
  public var size: Int { 1 }

  public func register(group: String, parameters: [(String, Tensor)]) throws -> GradientGroup {
    groups.issue(GradientBuckets(group: group, parameters: parameters))
  }
  public func synchronize(_ groups: [GradientGroup]) throws {
    for b in try self.groups.buckets(of: groups) { b.installGradientViews() }
  }
  public func backward(_ loss: Tensor, synchronizing groups: [GradientGroup]) throws {
    let buckets = try self.groups.buckets(of: groups)
    try loss.backward()
    for b in buckets { b.installGradientViews() }
  }
  public func allGather(_ x: Tensor) throws -> Tensor { x }
  public func allGatherDetached(_ x: Tensor) throws -> Tensor { x.detached() }
  public func broadcastFromRoot(_ tensors: [(String, Tensor)]) throws {}
  public func broadcastBytesFromRoot(_ data: Data) throws -> Data { data }
  public func allGatherBytes(_ data: Data) throws -> [Data] { [data] }
  public func barrier() throws {}
  public func meanOverRanks(_ values: [Double]) throws -> [Double] { values }
  public func checkReplicasAgree(_ tensors: [(String, Tensor)]) throws {}
}
