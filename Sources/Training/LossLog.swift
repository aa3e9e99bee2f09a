import Foundation

/// One logged point: where training was, and the losses (averaged over ranks) at that moment.
public struct LossRecord: Codable, Equatable {
  public var epoch: Int
  /// Images seen in this epoch (the reference code's `iters`, counted over all ranks).
  public var epochImages: Int
  public var step: Int
  /// Seconds of computation per image, and seconds per image spent waiting for data.
  public var computePerImage: Double
  public var dataPerImage: Double
  public var learningRate: Double
  public var losses: [String: Double]
  /// The order the model reports its losses in (JSON objects are unordered).
  public var order: [String]
  /// Facts about the step the model reports (e.g. negatives_per_query), when it has any.
  public var statistics: [String: Double]?
}

/// `loss_log.jsonl` (one JSON object per line, for tools) and `loss_log.txt` (the reference code's format, for
/// people), appended to, so a resumed run continues the same files.
public final class LossLog {
  public let jsonURL: URL
  public let textURL: URL

  /// Opens the logs in `directory`; the text log's header of this session is followed by `notes` (the model's
  /// `ModelOptions.notes`), one line each.
  public init(directory: URL, notes: [String] = []) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    jsonURL = directory.appendingPathComponent("loss_log.jsonl")
    textURL = directory.appendingPathComponent("loss_log.txt")
    let header = "================ Training Loss (\(Date())) ================\n"
    try append(header + notes.map { "note: \($0)\n" }.joined(), to: textURL)
  }

  public func write(_ r: LossRecord) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try append(String(decoding: try encoder.encode(r), as: UTF8.self) + "\n", to: jsonURL)
    try append(LossLog.textLine(r) + "\n", to: textURL)
  }

  /// `(epoch: 3, iters: 400, time: 0.132, data: 0.004) D_A: 0.241 G_A: 0.312 …`
  public static func textLine(_ r: LossRecord) -> String {
    let head = "(epoch: \(r.epoch), iters: \(r.epochImages), time: \(format(r.computePerImage)), data: \(format(r.dataPerImage)))"
    let losses = r.order.compactMap { k in r.losses[k].map { "\(k): \(format($0))" } }
    let facts = (r.statistics ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \(String(format: "%g", $0.value))" }
    return ([head] + losses + facts).joined(separator: " ")
  }

  /// Every record in the JSON log (for the loss curves), skipping a torn last line.
  public func records() -> [LossRecord] {
    guard let text = try? String(contentsOf: jsonURL, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(LossRecord.self, from: Data($0.utf8)) }
  }

  static func format(_ x: Double) -> String { String(format: "%.3f", x) }

  private func append(_ s: String, to url: URL) throws {
    if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
    let h = try FileHandle(forWritingTo: url)
    defer { try? h.close() }
    try h.seekToEnd()
    try h.write(contentsOf: Data(s.utf8))
  }
}
