import Foundation
import Tensors

/// `web/index.html`: the loss curves (inline SVG, one polyline per loss) and, per epoch, newest first, the sample
/// images of that epoch (`web/images/epoch%03d_<label>.png`), as the reference code's page shows them.
public enum WebReport {
  public static func write(to web: URL, title: String, records: [LossRecord], epochs: [(epoch: Int, labels: [String])]) throws {
    var html = """
      <!DOCTYPE html>
      <html><head><meta charset="utf-8"><title>\(escape(title))</title>
      <style>body{font-family:sans-serif;margin:2em} img{image-rendering:pixelated;width:192px;margin:2px}
      figure{display:inline-block;margin:4px;text-align:center} figcaption{font-size:12px}</style></head><body>
      <h1>\(escape(title))</h1>
      <h2>Losses</h2>
      \(lossChart(records))

      """
    for (epoch, labels) in epochs.sorted(by: { $0.epoch > $1.epoch }) {
      html += "<h2>epoch \(epoch)</h2>\n<div>"
      for label in labels {
        let file = imageName(epoch: epoch, label: label)
        html += "<figure><img src=\"images/\(file)\" alt=\"\(label)\"><figcaption>\(label)</figcaption></figure>"
      }
      html += "</div>\n"
    }
    html += "</body></html>\n"
    try FileManager.default.createDirectory(at: web, withIntermediateDirectories: true)
    try DurableFiles.replace(web.appendingPathComponent("index.html"), with: Data(html.utf8))
  }

  public static func imageName(epoch: Int, label: String) -> String {
    "epoch" + String(epoch).leftPadded(to: 3) + "_\(label).png"
  }

  /// An SVG line chart of every loss against the training step.
  static func lossChart(_ records: [LossRecord], width: Double = 800, height: Double = 300) -> String {
    guard let first = records.first, let last = records.last, records.count >= 2 else {
      return "<p>(the loss curves appear after two logged points)</p>"
    }
    let names = first.order
    let values = records.flatMap { r in names.compactMap { r.losses[$0] } }.filter { $0.isFinite }
    let (lo, hi) = (values.min() ?? 0, max(values.max() ?? 1, (values.min() ?? 0) + 1e-6))
    let (x0, x1) = (Double(first.step), max(Double(last.step), Double(first.step) + 1))
    let colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    func px(_ step: Int) -> Double { 40 + (Double(step) - x0) / (x1 - x0) * (width - 160) }
    func py(_ v: Double) -> Double { 10 + (1 - (v - lo) / (hi - lo)) * (height - 40) }
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
    svg += "<rect x=\"40\" y=\"10\" width=\"\(Int(width - 160))\" height=\"\(Int(height - 40))\" fill=\"none\" stroke=\"#ccc\"/>"
    svg += "<text x=\"2\" y=\"16\" font-size=\"10\">\(String(format: "%.3g", hi))</text>"
    svg += "<text x=\"2\" y=\"\(Int(height - 30))\" font-size=\"10\">\(String(format: "%.3g", lo))</text>"
    svg += "<text x=\"40\" y=\"\(Int(height - 12))\" font-size=\"10\">step \(first.step)</text>"
    svg += "<text x=\"\(Int(width - 160))\" y=\"\(Int(height - 12))\" font-size=\"10\" text-anchor=\"end\">step \(last.step)</text>"
    for (i, name) in names.enumerated() {
      let points = records.compactMap { r in r.losses[name].flatMap { $0.isFinite ? "\(px(r.step)),\(py($0))" : nil } }
      let colour = colours[i % colours.count]
      svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>"
      svg += "<text x=\"\(Int(width - 110))\" y=\"\(24 + 14 * i)\" font-size=\"12\" fill=\"\(colour)\">\(escape(name))</text>"
    }
    return svg + "</svg>"
  }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}
