import Foundation

/// What rank 0 shows while training: a one-line progress bar redrawn in place when stdout is a terminal, plain
/// lines every `--print-freq` images otherwise (Slurm logs, pipes).
public final class Progress {
  public let interactive: Bool
  private let totalSteps: Int
  private let start = Date()
  private var lineOpen = false

  public init(totalSteps: Int, interactive: Bool = Progress.stdoutIsTerminal) {
    self.totalSteps = totalSteps
    self.interactive = interactive
  }

  /// Updates the display for `step` (1-based, out of `totalSteps`).
  public func update(epoch: Int, epochs: Int, step: Int, imagesPerSecond: Double, dataWaitFraction: Double,
                     losses: [(String, Double)], forcePlainLine: Bool) {
    let elapsed = Date().timeIntervalSince(start)
    let perStep = step > 0 ? elapsed / Double(step) : 0
    let eta = perStep * Double(max(totalSteps - step, 0))
    let lossText = losses.map { "\($0.0) \(String(format: "%.3f", $0.1))" }.joined(separator: " ")
    let stats = "epoch \(epoch)/\(epochs) step \(step)/\(totalSteps) \(String(format: "%.1f", imagesPerSecond)) img/s "
      + "ETA \(Progress.clock(eta)) data-wait \(String(format: "%.0f", dataWaitFraction * 100))%"
    if interactive {
      let width = 24, filled = totalSteps > 0 ? min(width, width * step / totalSteps) : 0
      let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
      print("\r\u{1B}[2K\(bar) \(stats) \(lossText)", terminator: "")
      fflush(stdout)
      lineOpen = true
    } else if forcePlainLine {
      print("\(stats) \(lossText)")
      fflush(stdout)
    }
  }

  /// Whether to redraw a bar: stdout is a terminal and not an `mpirun`-forwarded pseudo-terminal (Open MPI gives
  /// every rank a pty even when mpirun's own output goes to a file or a Slurm log).
  public static var stdoutIsTerminal: Bool {
    isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] == nil
  }

  /// Ends the progress line, if one is open (before other output).
  public func finishLine() {
    if lineOpen { print("") }
    lineOpen = false
  }

  static func clock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return String(format: "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
  }
}
