import XCTest
import Replicas
import Models
import NN
import Tensors
import TestSupport

/// On one process the synchronised batch norm is BatchNorm1d: outputs, gradients, running statistics, eval mode.
final class SynchronizedBatchNormTests: XCTestCase {
  let context = LocalReplicaContext()

  /// Random γ and β so that the affine gradients are not trivial.
  func pair(_ channels: Int, affine: Bool, _ rng: inout RandomStream) -> (SynchronizedBatchNorm1d, BatchNorm1d) {
    let synced = SynchronizedBatchNorm1d(channels, affine: affine), plain = BatchNorm1d(channels, affine: affine)
    if affine {
      let w = Tensor.uniform([channels], low: 0.5, high: 1.5, &rng), b = Tensor.randn([channels], &rng)
      synced.weight!.assign(w); plain.weight!.assign(w)
      synced.bias!.assign(b); plain.bias!.assign(b)
    }
    return (synced, plain)
  }

  func testTrainingEqualsBatchNorm1dLocally() throws {
    var rng = RandomStream(seed: 5)
    for affine in [true, false] {
      let (synced, plain) = pair(6, affine: affine, &rng)
      // NOTE: an offset mean and a spread of scales, as the heads' Linear outputs have.
      let x = (Tensor.randn([40, 6], &rng) * Tensor.uniform([6], low: 0.1, high: 3, &rng) + 2).copy()
      let gy = Tensor.randn([40, 6], &rng)
      let xs = x.copy().requiringGrad(), xp = x.copy().requiringGrad()
      let ys = try synced(xs, context: context), yp = plain(xp)
      assertCloseForward(ys, yp, "y (affine \(affine))")
      try ys.backward(gy)
      try yp.backward(gy)
      assertCloseGradient(xs.grad, xp.grad!, "dx (affine \(affine))")
      if affine {
        assertCloseGradient(synced.weight!.grad, plain.weight!.grad!, "dγ")
        assertCloseGradient(synced.bias!.grad, plain.bias!.grad!, "dβ")
      }
      assertCloseForward(synced.runningMean, plain.runningMean!, "running_mean")
      assertCloseForward(synced.runningVar, plain.runningVar!, "running_var")
      XCTAssertEqual(synced.numBatchesTracked.item, 1)
    }
  }

  func testEvalUsesTheRunningStatistics() throws {
    var rng = RandomStream(seed: 6)
    let (synced, plain) = pair(4, affine: true, &rng)
    for _ in 0..<3 {
      let x = Tensor.randn([10, 4], &rng) + 1
      _ = try synced(x, context: context)
      _ = plain(x)
    }
    synced.eval(); plain.eval()
    let x = Tensor.randn([3, 4], &rng)
    assertCloseForward(try synced(x, context: context), plain(x), "eval output")
    XCTAssertEqual(synced.numBatchesTracked.item, 3)
  }

  func testInputGradientMatchesFiniteDifferences() throws {
    var rng = RandomStream(seed: 7)
    let bn = SynchronizedBatchNorm1d(3)
    bn.weight!.assign(Tensor.uniform([3], low: 0.5, high: 1.5, &rng))
    bn.bias!.assign(Tensor.randn([3], &rng))
    try gradCheck("synchronised batch norm", [Tensor.randn([7, 3], &rng)]) { xs in try bn(xs[0], context: context) }
  }

  func testStateDictKeysAreBatchNorm1ds() {
    XCTAssertEqual(SynchronizedBatchNorm1d(4).stateDict().map(\.name), BatchNorm1d(4).stateDict().map(\.name))
    XCTAssertEqual(SynchronizedBatchNorm1d(4, affine: false).stateDict().map(\.name),
                   BatchNorm1d(4, affine: false).stateDict().map(\.name))
  }

  func testOneRowIsAnErrorNamingTheOption() {
    XCTAssertThrowsError(try SynchronizedBatchNorm1d(2)(Tensor.ones([1, 2]), context: context)) { error in
      XCTAssertTrue("\(error)".hasPrefix("--prj-norm"), "\(error)")
    }
  }
}
