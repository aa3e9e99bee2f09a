import ArgumentParser
import Distributed
import Foundation
import Tensors
import Training

/// How a command that may run under `mpirun` ends on an error: one line naming the problem on stderr and a non-zero
/// exit; with several ranks, MPI_Abort, so that no rank is left waiting in a collective for one that stopped.
enum Job {
  static func run(_ command: String, _ communicator: Communicator, _ body: () throws -> Void) throws {
    do {
      try body()
    } catch let exit as ExitCode {
      throw exit
    } catch {
      let text = ErrorText.describe(error)
      if communicator.size > 1 { communicator.abort("i2i \(command): error: \(text)") }
      FileHandle.standardError.write(Data("i2i \(command): error: \(text)\n".utf8))
      throw ExitCode(1)
    }
  }

  /// `--threads`: compute threads per rank; 0 shares the node's cores among its ranks.
  static func configureThreads(_ requested: Int, _ communicator: Communicator) {
    let n = requested > 0 ? requested : max(1, ProcessInfo.processInfo.activeProcessorCount / max(communicator.localSize, 1))
    ComputeThreads.set(n)
  }
}
