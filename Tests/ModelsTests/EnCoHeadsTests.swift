import XCTest
import Replicas
import Models
import NN
import Tensors
import TestSupport

/// EnCo's F (spec §4.4): the reference's keys and parameter counts, initialisation, gathering and the two branches.
final class EnCoHeadsTests: XCTestCase {
  let context = LocalReplicaContext()

  func testHeadsHaveTheReferenceKeysAndParameterCounts() {
    let f = EnCoHeads(width: 256, norm: .batch)
    XCTAssertTrue(f.parameters().isEmpty)
    f.build(channels: [64, 128, 256], predictor: true, .xavier, gain: 0.02, seed: 0)
    XCTAssertEqual(f.projectors.map(\.parameterCount).reduce(0, +), 312_832)
    XCTAssertEqual(f.predictors.map(\.parameterCount), [66_048, 66_048, 66_048])
    let bn = ["running_mean", "running_var", "num_batches_tracked"]
    let projector = ["0.weight", "1.weight", "1.bias"] + bn.map { "1.\($0)" } + ["3.weight"] + bn.map { "4.\($0)" }
    let predictor = ["0.weight", "1.weight", "1.bias"] + bn.map { "1.\($0)" } + ["3.weight", "3.bias"]
    XCTAssertEqual(f.stateDict().map(\.name),
                   (0..<3).flatMap { p in projector.map { "mlp_\(p).\($0)" } }
                     + (0..<3).flatMap { p in predictor.map { "prj_\(p).\($0)" } })
    XCTAssertEqual(f.namedParameters().first { $0.name == "mlp_1.0.weight" }?.tensor.shape, [256, 128])
    XCTAssertEqual(f.namedParameters().first { $0.name == "prj_2.3.weight" }?.tensor.shape, [256, 128])
  }

  func testOtherNormsAndNoPredictor() {
    let layer = EnCoHeads(width: 8, norm: .layer)
    layer.build(channels: [4], predictor: false, .xavier, gain: 0.02, seed: 0)
    XCTAssertEqual(layer.stateDict().map(\.name),
                   ["mlp_0.0.weight", "mlp_0.1.weight", "mlp_0.1.bias", "mlp_0.3.weight", "mlp_0.4.weight",
                    "mlp_0.4.bias"])
    XCTAssertTrue(layer.predictors.isEmpty)
    let none = EnCoHeads(width: 8, norm: .none)
    none.build(channels: [4], predictor: true, .xavier, gain: 0.02, seed: 0)
    XCTAssertEqual(none.stateDict().map(\.name), ["mlp_0.0.weight", "mlp_0.3.weight", "prj_0.0.weight",
                                                  "prj_0.3.weight", "prj_0.3.bias"])
  }

  /// Linear weights xavier-normal with gain 0.02, keyed by the seed; norms and the predictor's bias at 1 and 0.
  func testInitialisation() {
    func heads(_ seed: UInt64) -> EnCoHeads {
      let f = EnCoHeads(width: 256, norm: .batch)
      f.build(channels: [256], predictor: true, .xavier, gain: 0.02, seed: seed)
      return f
    }
    let f = heads(1)
    let w = f.namedParameters().first { $0.name == "mlp_0.3.weight" }!.tensor.scalars
    let std = (w.map { Double($0 * $0) }.reduce(0, +) / Double(w.count)).squareRoot()
    XCTAssertEqual(std, 0.02 * (2.0 / 512).squareRoot(), accuracy: 5e-5)
    let named = Dictionary(uniqueKeysWithValues: f.namedParameters().map { ($0.name, $0.tensor.scalars) })
    XCTAssertTrue(named["mlp_0.1.weight"]!.allSatisfy { $0 == 1 } && named["mlp_0.1.bias"]!.allSatisfy { $0 == 0 })
    XCTAssertTrue(named["prj_0.3.bias"]!.allSatisfy { $0 == 0 })
    XCTAssertEqual(heads(1).parameters().flatMap(\.scalars), f.parameters().flatMap(\.scalars))
    XCTAssertNotEqual(heads(2).parameters().flatMap(\.scalars), f.parameters().flatMap(\.scalars))
  }

  /// Row b·S + s is l2(W₂·relu(W₁·x)) for x image b's feature at ids[b][s] (no norm), and l2(prj(·)) with predict.
  func testRowsAreTheHeadsAppliedToTheChosenPositions() throws {
    var rng = RandomStream(seed: 3)
    let f = EnCoHeads(width: 6, norm: .none)
    f.build(channels: [3], predictor: true, .normal, gain: 0.5, seed: 4)
    let x = Tensor.randn([2, 3, 4, 5], &rng)
    let ids = [[[7, 0, 19], [3, 3, 12]]]
    let projected = try f([x], patchIds: ids, predict: false, context: context)[0]
    let predicted = try f([x], patchIds: ids, predict: true, context: context)[0]
    XCTAssertEqual(projected.shape, [6, 6])
    let p = Dictionary(uniqueKeysWithValues: f.namedParameters().map { ($0.name, $0.tensor) })
    for b in 0..<2 {
      for (s, position) in ids[0][b].enumerated() {
        let v = Tensor((0..<3).map { c in x[flat: ((b * 3 + c) * 4 + position / 5) * 5 + position % 5] }, [1, 3])
        let head = matmul(relu(matmul(v, p["mlp_0.0.weight"]!, transposeB: true)), p["mlp_0.3.weight"]!,
                          transposeB: true)
        let hidden = relu(matmul(head, p["prj_0.0.weight"]!, transposeB: true))
        let prediction = matmul(hidden, p["prj_0.3.weight"]!, transposeB: true) + p["prj_0.3.bias"]!
        let row = b * 3 + s
        assertCloseForward(projected.narrow(axis: 0, start: row, length: 1), l2Normalize(head, axis: 1), "row \(row)")
        assertCloseForward(predicted.narrow(axis: 0, start: row, length: 1), l2Normalize(prediction, axis: 1),
                           "predicted row \(row)")
      }
    }
  }

  /// With BN the statistics are those of all sampled rows of the batch: every output channel of the projector's
  /// affine-free last norm has mean 0 over the rows before the L2 normalisation.
  func testBatchNormRunsOverTheSampledRows() throws {
    var rng = RandomStream(seed: 8)
    let f = EnCoHeads(width: 4, norm: .batch)
    f.build(channels: [3], predictor: false, .normal, gain: 1, seed: 2)
    let x = Tensor.randn([2, 3, 3, 3], &rng)
    let ids = [[[0, 4, 8, 2], [1, 5, 6, 7]]]
    let head = f.projectors[0]
    let rows = try head(Tensor.concat(ids[0].enumerated().map { b, own in
      Tensor.stack(own.map { q in Tensor((0..<3).map { c in x[flat: ((b * 3 + c) * 3 + q / 3) * 3 + q % 3] }, [3]) },
                   axis: 0)
    }, axis: 0), context: context)
    for c in 0..<4 { XCTAssertEqual(rows.narrow(axis: 1, start: c, length: 1).mean().item, 0, accuracy: 1e-5) }
    let out = try f([x], patchIds: ids, predict: false, context: context)[0]
    assertCloseForward(out, l2Normalize(rows, axis: 1), "F rows")
  }
}
