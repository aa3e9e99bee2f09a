import ArgumentParser
import Foundation
import Tensors

/// `i2i self-check`: a quick end-to-end check of the engine on this machine (BLAS linked, autograd works).
struct SelfCheck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "self-check", abstract: "Check that the tensor engine works on this machine.")

  @Option(help: "Compute threads (BLAS and kernels).") var threads: Int = ComputeThreads.count

  func validate() throws {
    guard (1...1024).contains(threads) else { throw ValidationError("--threads: must be between 1 and 1024, got \(threads)") }
  }

  func run() throws {
    ComputeThreads.set(threads)
    let x = Tensor([1, 2, 3], [3]).requiringGrad()
    let y = x * x + x
    try y.backward(Tensor.ones([3]))
    guard x.grad?.scalars == [3, 5, 7] else { throw ValidationError("autograd self-check failed: \(String(describing: x.grad))") }
    print("engine ok: threads=\(ComputeThreads.count) live_storages=\(LiveStorage.count)")
  }
}
