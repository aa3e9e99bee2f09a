import Foundation

/// SIGTERM (Slurm preemption, `scancel`, `timeout`), SIGINT (Ctrl-C), SIGUSR1 (Slurm's `--signal=USR1@T` warning
/// before the time limit; mpirun forwards it to every rank) and SIGHUP (a closed terminal) ask the run to stop at the
/// next step boundary with a checkpoint, instead of dying between two checkpoints. A second signal ends the process
/// at once.
public enum StopRequest {
  nonisolated(unsafe) private static var signalled: sig_atomic_t = 0

  /// The signal that asked to stop, or 0.
  public static var signal: Int32 { Int32(signalled) }

  /// Installs the handlers (once per process, before training).
  public static func install() {
    for s in [SIGTERM, SIGINT, SIGUSR1, SIGHUP] {
      Foundation.signal(s) { number in
        if StopRequest.signalled != 0 { _exit(128 + number) }
        StopRequest.signalled = sig_atomic_t(number)
      }
    }
  }
}
