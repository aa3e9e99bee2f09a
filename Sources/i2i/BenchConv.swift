import ArgumentParser
import CBLAS
import Foundation
import Tensors

/// `i2i bench conv`: forward + backward throughput of the convolutions of a CycleGAN ResNet generator
/// (128×128, ngf 32, 6 blocks, batch 1 unless `--batch`), each next to OpenBLAS's sgemm rate measured in the same run.
struct BenchConv: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "conv",
    abstract: "Convolution forward+backward GFLOP/s against sgemm; last lines conv_efficiency_min/weighted.")

  @Option(help: "Compute threads (BLAS and kernels).") var threads: Int = ComputeThreads.count
  @Option(help: "Timed forward+backward repetitions per layer and round.") var iters: Int = 5
  @Option(help: "Rounds over all layers (and sgemm); each layer's best time is kept.") var rounds: Int = 10
  @Option(help: "Images per batch (CUT runs its generator on 2: real A and real B).") var batch: Int = 1

  func validate() throws {
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
  }

  /// One generator convolution: its input (already reflection-padded where the generator pads), its weight, and
  /// how often it occurs in the generator.
  struct Layer {
    let name: String
    let input: [Int], weight: [Int]
    let stride: Int, padding: Int, outputPadding: Int
    let transposed: Bool, inputNeedsGrad: Bool, occurrences: Int

    var outputShape: [Int] {
      let (k, n) = (weight[2], input[0])
      if transposed { return [n, weight[1]] + input[2...].map { ($0 - 1) * stride - 2 * padding + k + outputPadding } }
      return [n, weight[0]] + input[2...].map { ($0 + 2 * padding - k) / stride + 1 }
    }

    /// Multiply-adds of one pass: N·O·(C·kh·kw)·Ho·Wo for a conv, N·I·(O·kh·kw)·H·W for a transposed conv.
    var macs: Double {
      let grid = transposed ? input : outputShape
      return Double(grid[0] * weight.reduce(1, *) * grid[2] * grid[3])
    }

    /// The same layer on `batch` images.
    func batched(_ batch: Int) -> Layer {
      Layer(name: name, input: [batch] + input.dropFirst(), weight: weight, stride: stride, padding: padding,
            outputPadding: outputPadding, transposed: transposed, inputNeedsGrad: inputNeedsGrad,
            occurrences: occurrences)
    }
    /// Forward, weight gradient, and input gradient when the input needs one: 2 FLOPs per multiply-add each.
    var flops: Double { Double(inputNeedsGrad ? 3 : 2) * 2 * macs }
  }

  static let layers: [Layer] = [
    Layer(name: "c7s1 3→32 @134²p0", input: [1, 3, 134, 134], weight: [32, 3, 7, 7], stride: 1, padding: 0,
          outputPadding: 0, transposed: false, inputNeedsGrad: false, occurrences: 1),
    Layer(name: "d 32→64 s2 @128²", input: [1, 32, 128, 128], weight: [64, 32, 3, 3], stride: 2, padding: 1,
          outputPadding: 0, transposed: false, inputNeedsGrad: true, occurrences: 1),
    Layer(name: "d 64→128 s2 @64²", input: [1, 64, 64, 64], weight: [128, 64, 3, 3], stride: 2, padding: 1,
          outputPadding: 0, transposed: false, inputNeedsGrad: true, occurrences: 1),
    Layer(name: "R 128→128 @34²p0", input: [1, 128, 34, 34], weight: [128, 128, 3, 3], stride: 1, padding: 0,
          outputPadding: 0, transposed: false, inputNeedsGrad: true, occurrences: 12),
    Layer(name: "u 128→64 T s2 @32²", input: [1, 128, 32, 32], weight: [128, 64, 3, 3], stride: 2, padding: 1,
          outputPadding: 1, transposed: true, inputNeedsGrad: true, occurrences: 1),
    Layer(name: "u 64→32 T s2 @64²", input: [1, 64, 64, 64], weight: [64, 32, 3, 3], stride: 2, padding: 1,
          outputPadding: 1, transposed: true, inputNeedsGrad: true, occurrences: 1),
    Layer(name: "c7s1 32→3 @134²p0", input: [1, 32, 134, 134], weight: [3, 32, 7, 7], stride: 1, padding: 0,
          outputPadding: 0, transposed: false, inputNeedsGrad: true, occurrences: 1),
  ]

  func run() throws {
    ComputeThreads.set(threads)
    print("threads=\(threads) batch=\(batch): best of \(rounds) rounds × \(iters) forward+backward per layer")
    var rng = RandomStream(seed: 1, key: [0xBE7C])
    let layers = Self.layers.map { $0.batched(batch) }
    let benches = layers.map { LayerBench($0, &rng) }, sgemm = SgemmBench(&rng)
    var best = [Double](repeating: .infinity, count: benches.count), sgemmRate = 0.0
    // NOTE: the machine may be shared: sgemm is sampled next to every layer in every round, so that both see the
    // same quiet moments, and each keeps its best
    for _ in 0..<rounds {
      for (i, bench) in benches.enumerated() {
        sgemmRate = max(sgemmRate, sgemm.rate(repeats: 2))
        best[i] = min(best[i], try bench.bestTime(iters: iters))
      }
    }
    print("layer                    passes   MFLOP  best ms  GFLOP/s  ratio")
    var worst = Double.infinity, totalFlops = 0.0, totalSeconds = 0.0
    for (layer, seconds) in zip(layers, best) {
      let rate = layer.flops / seconds / 1e9
      worst = min(worst, rate / sgemmRate)
      totalFlops += Double(layer.occurrences) * layer.flops
      totalSeconds += Double(layer.occurrences) * seconds
      print(layer.name.padding(toLength: 24, withPad: " ", startingAt: 0)
            + String(format: " %6d %7.1f %8.3f %8.1f %6.2f", layer.inputNeedsGrad ? 3 : 2, layer.flops / 1e6,
                     seconds * 1e3, rate, rate / sgemmRate))
    }
    let weighted = totalFlops / totalSeconds / 1e9
    print(String(format: "sgemm 1024³: %.1f GFLOP/s; generator convs %.1f GFLOP in %.1f ms = %.1f GFLOP/s",
                 sgemmRate, totalFlops / 1e9, totalSeconds * 1e3, weighted))
    print(String(format: "conv_efficiency_min=%.3f", worst))
    print(String(format: "conv_efficiency_weighted=%.3f", weighted / sgemmRate))
  }

  /// One layer's tensors: input, weight and bias (both leaves), and a fixed output gradient.
  struct LayerBench {
    let layer: Layer
    let x: Tensor, w: Tensor, b: Tensor, gy: Tensor

    init(_ layer: Layer, _ rng: inout RandomStream) {
      self.layer = layer
      x = Tensor.randn(layer.input, &rng)
      w = (Tensor.randn(layer.weight, &rng) * 0.05).requiringGrad()
      b = Tensor.randn([layer.transposed ? layer.weight[1] : layer.weight[0]], &rng).requiringGrad()
      gy = Tensor.randn(layer.outputShape, &rng)
    }

    func step() -> Tensor {
      // NOTE: in the generator the input is an activation, not a leaf: its gradient flows on (here it stops)
      let input = layer.inputNeedsGrad ? Tensor.record("activation", x, inputs: [x.requiringGrad()]) { _ in [nil] } : x
      return layer.transposed
        ? convTranspose2d(input, w, b, stride: layer.stride, padding: layer.padding, outputPadding: layer.outputPadding)
        : conv2d(input, w, b, stride: layer.stride, padding: layer.padding)
    }

    /// Best wall time of forward + backward (gradients of weight, bias, and the input where needed).
    func bestTime(iters: Int) throws -> Double {
      var best = Double.infinity
      for i in 0...iters {  // the first run warms the buffer pool and is not timed
        let start = DispatchTime.now().uptimeNanoseconds
        try step().backward(gy)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if i > 0 { best = min(best, seconds) }
        w.grad = nil; b.grad = nil
      }
      return best
    }
  }

  /// OpenBLAS sgemm on 1024×1024×1024 matrices, on OpenBLAS's own threads (the kernels keep OpenBLAS single-threaded
  /// and split GEMMs themselves; this is the library's reference rate).
  struct SgemmBench {
    let n = 1024
    let a: Tensor, b: Tensor, c: Tensor

    init(_ rng: inout RandomStream) {
      a = Tensor.randn([n, n], &rng); b = Tensor.randn([n, n], &rng); c = Tensor(zeros: [n, n])
    }

    /// GFLOP/s of the best of `repeats` runs (after one untimed run).
    func rate(repeats: Int) -> Double {
      openblas_set_num_threads(Int32(ComputeThreads.count))
      defer { openblas_set_num_threads(1) }
      var best = Double.infinity
      for i in 0...repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                    a.storage.base, Int32(n), b.storage.base, Int32(n), 0, c.storage.base, Int32(n))
        if i > 0 { best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
      }
      return 2 * Double(n * n * n) / best / 1e9
    }
  }
}
