import Replicas
import NN
import Tensors

/// `--prj-norm`: the normalisation inside EnCo's heads (spec §4.4).
public enum ProjectionNorm: String, OptionName, Sendable {
  /// BatchNorm1d over the sampled patch vectors of the global batch (synchronised over ranks); the projector's last
  /// one has no affine parameters. The reference default.
  case batch = "BN"
  /// LayerNorm over each patch vector (the paper's Figure 1 draws it).
  case layer = "LN"
  case none = "None"
}

/// A norm position of a head: the module registered there and how to call it.
enum HeadNorm {
  case batch(SynchronizedBatchNorm1d)
  case layer(LayerNorm)
  case identity(Identity)

  init(_ kind: ProjectionNorm, _ channels: Int, affine: Bool = true) {
    switch kind {
    case .batch: self = .batch(SynchronizedBatchNorm1d(channels, affine: affine))
    case .layer: self = .layer(LayerNorm([channels]))
    case .none: self = .identity(Identity())
    }
  }

  var module: Module {
    switch self {
    case .batch(let m): return m
    case .layer(let m): return m
    case .identity(let m): return m
    }
  }

  func callAsFunction(_ x: Tensor, context: ReplicaContext) throws -> Tensor {
    switch self {
    case .batch(let m): return try m(x, context: context)
    case .layer(let m): return m(x)
    case .identity: return x
    }
  }
}

/// One head as the reference's Sequential lays it out, x (M, input) → (M, output):
///
///     0 Linear(input → hidden, no bias), 1 norm(hidden), 2 ReLU, 3 Linear(hidden → output, `outputBias`)
///     [, 4 norm(output) when `outputNorm`, without affine parameters for BN]
public final class EnCoHead: Module {
  let first: Linear, second: Linear
  let hiddenNorm: HeadNorm, outputNorm: HeadNorm?

  init(input: Int, hidden: Int, output: Int, norm: ProjectionNorm, outputBias: Bool, outputNorm: Bool) {
    first = Linear(input, hidden, bias: false)
    hiddenNorm = HeadNorm(norm, hidden)
    second = Linear(hidden, output, bias: outputBias)
    self.outputNorm = outputNorm ? HeadNorm(norm, output, affine: false) : nil
    super.init()
    registerModule("0", first)
    registerModule("1", hiddenNorm.module)
    registerModule("2", ReLU())
    registerModule("3", second)
    if let outputNorm = self.outputNorm { registerModule("4", outputNorm.module) }
  }

  /// x (M, input) → (M, output); a collective with synchronised batch norm.
  public func callAsFunction(_ x: Tensor, context: ReplicaContext) throws -> Tensor {
    let hidden = relu(try hiddenNorm(first(x), context: context))
    let y = second(hidden)
    guard let outputNorm else { return y }
    return try outputNorm(y, context: context)
  }
}

/// EnCo's F (`--netF mlp_sample_with_DAG`, spec §4.4): for each encoder–decoder pair p a projection head `mlp_<p>`
/// shared by both branches, and a prediction head `prj_<p>` used on the decoder branch only:
///
///     mlp_p: Linear(C_p → nc) → norm → ReLU → Linear(nc → nc) → norm       (no biases; last BN without affine)
///     prj_p: Linear(nc → nc/2) → norm → ReLU → Linear(nc/2 → nc, bias)
///     encoder rows: l2(mlp_p(x)),   decoder rows: l2(prj_p(mlp_p(x))),   l2(v) = v / (‖v‖₂ + 1e-7)
///
/// The heads' widths depend on the feature channels C_p, so `build` creates them once the first batch's features
/// are known (as the reference builds them lazily). With nc = 256 and C = 64, 128, 256 the projectors hold 312,832
/// parameters and the predictors 3 × 66,048.
public final class EnCoHeads: Module {
  /// nc, `--netF-nc`
  public let width: Int
  public let norm: ProjectionNorm
  public private(set) var projectors: [EnCoHead] = []
  /// Empty with `--no-predictor`.
  public private(set) var predictors: [EnCoHead] = []
  public private(set) var isBuilt = false

  public init(width: Int = 256, norm: ProjectionNorm = .batch) {
    precondition(width >= 2, "EnCoHeads: the head width must be ≥ 2, got \(width)")
    self.width = width
    self.norm = norm
    super.init()
  }

  /// Creates the projectors for pairs of `channels` (C_p, in pair order) and, with `predictor`, the predictors;
  /// Linear weights from the stream (seed, weight init, `name`), norms at PyTorch's defaults (1 and 0).
  public func build(channels: [Int], predictor: Bool, _ initType: InitType, gain: Float, seed: UInt64,
                    name: String = "F") {
    precondition(!isBuilt, "EnCoHeads: the heads are already built")
    for (p, c) in channels.enumerated() {
      let head = EnCoHead(input: c, hidden: width, output: width, norm: norm, outputBias: false, outputNorm: true)
      registerModule("mlp_\(p)", head)
      projectors.append(head)
    }
    if predictor {
      for p in channels.indices {
        let head = EnCoHead(input: width, hidden: width / 2, output: width, norm: norm, outputBias: true,
                            outputNorm: false)
        registerModule("prj_\(p)", head)
        predictors.append(head)
      }
    }
    Networks.initialize(self, name: name, initType, gain: gain, seed: seed)
    isBuilt = true
  }

  /// features [(n, C_p, H_p, W_p)] and per-image positions ids[p][b] (S_p of them, row-major h·W_p + w) →
  /// [(n·S_p, nc)], row b·S_p + s = image b at ids[p][b][s], projected, predicted if `predict`, unit length.
  public func callAsFunction(_ features: [Tensor], patchIds: [[[Int]]], predict: Bool,
                             context: ReplicaContext) throws -> [Tensor] {
    precondition(isBuilt && features.count == projectors.count && patchIds.count == features.count,
                 "EnCoHeads: \(features.count) feature maps and \(patchIds.count) id lists for "
                   + "\(isBuilt ? "\(projectors.count) heads" : "heads not built")")
    precondition(!predict || predictors.count == projectors.count, "EnCoHeads: built without predictors")
    return try features.indices.map { p in
      var x = try projectors[p](Self.gather(features[p], patchIds[p]), context: context)
      if predict { x = try predictors[p](x, context: context) }
      return l2Normalize(x, axis: 1)
    }
  }

  /// feature (n, C, H, W) and ids[b] (the same count S for every image) → rows (n·S, C), image-major.
  static func gather(_ feature: Tensor, _ ids: [[Int]]) -> Tensor {
    let (n, c, positions) = (feature.shape[0], feature.shape[1], feature.shape[2] * feature.shape[3])
    let valid = ids.allSatisfy { $0.count == ids[0].count && $0.allSatisfy { (0..<positions).contains($0) } }
    precondition(ids.count == n && valid,
                 "EnCoHeads: need \(n) id lists of equal length with positions in 0..<\(positions)")
    let rows = feature.permute([0, 2, 3, 1]).reshape([n * positions, c])
    return rows.indexSelect(axis: 0, ids.enumerated().flatMap { b, own in own.map { b * positions + $0 } })
  }
}
