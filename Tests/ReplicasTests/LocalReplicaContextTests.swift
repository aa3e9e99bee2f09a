import XCTest
import Replicas
import Tensors
import TestSupport

/// Gradient groups on the single-process context: handles, the gradients they own, and the handles it refuses.
final class LocalReplicaContextTests: XCTestCase {
  /// w1 (2×3) and w2 (3), loss = Σ (x·w1)ᵢ² + Σ w2ᵢ·(x·w1)ᵢ for x = (1, 2): both leaves get a gradient.
  func parameters() -> (w1: Tensor, w2: Tensor) {
    (Tensor([0.5, -1, 2, 1.5, 0.25, -0.75], [2, 3]).requiringGrad(), Tensor([1, -2, 3], [3]).requiringGrad())
  }

  func loss(_ w1: Tensor, _ w2: Tensor) -> Tensor {
    let h = matmul(Tensor([1, 2], [1, 2]), w1).reshape([3])
    return (h * h).sum() + (w2 * h).sum()
  }

  func testBackwardOverSeveralGroupsGivesThePlainGradients() throws {
    let context = LocalReplicaContext()
    let (w1, w2) = parameters()
    let first = try context.register(group: "first", parameters: [("w1", w1)])
    let second = try context.register(group: "second", parameters: [("w2", w2)])
    XCTAssertEqual([first.name, second.name], ["first", "second"])
    first.zeroGradients(); second.zeroGradients()
    try context.backward(loss(w1, w2), synchronizing: [first, second])

    let (r1, r2) = parameters()
    try loss(r1, r2).backward()
    XCTAssertEqual(w1.grad!.scalars, r1.grad!.scalars)
    XCTAssertEqual(w2.grad!.scalars, r2.grad!.scalars)

    first.zeroGradients()
    XCTAssertEqual(w1.grad!.scalars, [Float](repeating: 0, count: 6))
    XCTAssertEqual(w2.grad!.scalars, r2.grad!.scalars, "zeroing one group left the other alone")
  }

  func testAHandleFromAnotherContextIsRefusedBeforeBackward() throws {
    let context = LocalReplicaContext(), other = LocalReplicaContext()
    let (w1, w2) = parameters()
    let own = try context.register(group: "G", parameters: [("w1", w1)])
    let foreign = try other.register(group: "G", parameters: [("w2", w2)])
    own.zeroGradients(); foreign.zeroGradients()
    let l = loss(w1, w2)
    XCTAssertThrowsError(try context.backward(l, synchronizing: [own, foreign])) { error in
      XCTAssertEqual(error as? GradientGroupError, .notRegistered(group: "G"))
      XCTAssertTrue("\(error)".contains("'G' was not registered with this replica context"), "\(error)")
    }
    XCTAssertEqual(w1.grad!.scalars, [Float](repeating: 0, count: 6), "backward ran although a handle was refused")
    XCTAssertThrowsError(try context.synchronize([foreign])) {
      XCTAssertEqual($0 as? GradientGroupError, .notRegistered(group: "G"))
    }
    try context.backward(l, synchronizing: [own])
  }

  func testARegistrationUnderTheSameNameReplacesTheEarlierHandle() throws {
    let context = LocalReplicaContext()
    let (w1, _) = parameters()
    let earlier = try context.register(group: "G", parameters: [("w1", w1)])
    let later = try context.register(group: "G", parameters: [("w1", w1)])
    XCTAssertThrowsError(try context.synchronize([earlier])) { error in
      XCTAssertEqual(error as? GradientGroupError, .replaced(group: "G"))
      XCTAssertTrue("\(error)".contains("registered again"), "\(error)")
    }
    try context.synchronize([later])
  }

  func testAGroupNamedTwiceIsRefused() throws {
    let context = LocalReplicaContext()
    let (w1, w2) = parameters()
    let g = try context.register(group: "G", parameters: [("w1", w1)])
    XCTAssertThrowsError(try context.backward(loss(w1, w2), synchronizing: [g, g])) {
      XCTAssertEqual($0 as? GradientGroupError, .namedTwice(group: "G"))
    }
  }
}
