import Tensors

/// A parameter group as `ReplicaContext.register` returned it: the handle a model keeps and names in
/// `backward(_:synchronizing:)`. It owns the group's gradient buckets (its parameters' `.grad` are slices of them);
/// the name is for messages and is part of the bucket layout that ranks compare when the group is registered.
public final class GradientGroup {
  public let name: String
  // NOTE: no optimiser here. Optimisers exist before any group (the trainer loads and broadcasts their state before
  // `prepare(context:)` registers the groups), so a group could only hold a second reference to the model's, which
  // the model's `optimizers` must still list for checkpoints and schedules.
  package let buckets: GradientBuckets
  /// The registry that issued this handle (compared by identity only).
  fileprivate let issuer: AnyObject

  fileprivate init(_ buckets: GradientBuckets, issuer: AnyObject) {
    self.name = buckets.group
    self.buckets = buckets
    self.issuer = issuer
  }

  /// Zeroes the group's gradients (its bucket buffers), keeping them as the parameters' `.grad`.
  public func zeroGradients() { buckets.zero() }
}

/// Why a context refused a group handle. Handles are checked before any work, so a refused call changes no
/// gradient and issues no collective.
public enum GradientGroupError: Error, CustomStringConvertible, Equatable {
  /// The handle came from another context.
  case notRegistered(group: String)
  /// This context has registered a group of the same name since, which replaced this one.
  case replaced(group: String)
  /// One call named the same group twice (its buckets would be all-reduced twice).
  case namedTwice(group: String)

  public var description: String {
    switch self {
    case .notRegistered(let g):
      return "gradient group '\(g)' was not registered with this replica context (a handle from another context?)"
    case .replaced(let g):
      return "gradient group '\(g)' was registered again with this context; use the handle the later register returned"
    case .namedTwice(let g): return "gradient group '\(g)' is named twice in one call"
    }
  }
}

/// The groups one context has issued, by name: registering a name again replaces the earlier group (and frees its
/// buckets), whose handle is then refused. Both contexts check every handle they are given here.
package struct GradientGroupRegistry {
  private final class Issuer {}
  private let issuer = Issuer()
  private var groups: [String: GradientGroup] = [:]

  package init() {}

  package mutating func issue(_ buckets: GradientBuckets) -> GradientGroup {
    let group = GradientGroup(buckets, issuer: issuer)
    groups[group.name] = group
    return group
  }

  /// The buckets of `handles` in the order given, or an error naming the first handle this context cannot use.
  package func buckets(of handles: [GradientGroup]) throws -> [GradientBuckets] {
    var seen = Set<ObjectIdentifier>()
    return try handles.map { h in
      guard h.issuer === issuer else { throw GradientGroupError.notRegistered(group: h.name) }
      guard groups[h.name] === h else { throw GradientGroupError.replaced(group: h.name) }
      guard seen.insert(ObjectIdentifier(h)).inserted else { throw GradientGroupError.namedTwice(group: h.name) }
      return h.buckets
    }
  }
}
