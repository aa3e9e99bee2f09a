import Foundation
import Tensors

/// One process, no MPI: the context for tests, laptops and single-process runs.
public final class LocalReplicaContext: ReplicaContext {
  private var groups: [String: GradientBuckets] = [:]
  public init() {}

  public var rank: Int { 0 }
  public var size: Int { 1 }

  public func register(group: String, parameters: [(String, Tensor)]) throws {
    groups[group] = GradientBuckets(group: group, parameters: parameters)
  }
  public func zeroGradients(_ group: String) { groups[group]?.zero() }
  public func synchronize(_ group: String) throws { groups[group]?.installGradientViews() }
  public func backward(_ loss: Tensor, synchronizing group: String) throws {
    try loss.backward()
    try synchronize(group)
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
