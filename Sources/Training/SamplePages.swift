import Data
import Foundation
import Models
import Tensors

/// The sample images of an epoch under `web/images/` (`epoch%03d_<label>.png`, the first image of the batch per
/// label, as the reference writes them, plus `epoch%03d_grid.png`: one row per image of the batch, one column per
/// label) and `web/index.html` showing every epoch's samples under the loss curves.
enum SamplePages {
  static let gridLabel = "grid"

  static func write(epoch: Int, visuals: [(name: String, image: Tensor)], web: URL, title: String, log: LossLog) throws {
    let images = web.appendingPathComponent("images")
    try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
    guard !visuals.isEmpty else { return }
    for (label, t) in visuals {
      try save(Image(tensor: t.narrow(axis: 0, start: 0, length: 1)), images, epoch: epoch, label: label)
    }
    try save(grid(visuals), images, epoch: epoch, label: gridLabel)
    try WebReport.write(to: web, title: title, records: log.records(), epochs: epochsOnDisk(images))
  }

  /// Rows: up to 4 images of the batch; columns: the labels in order; 2-pixel gaps. Gray images become RGB.
  static func grid(_ visuals: [(name: String, image: Tensor)]) -> Image {
    let rows = min(4, visuals.map { $0.image.shape[0] }.min() ?? 1)
    let tiles = (0..<rows).map { r in
      visuals.map { Image(tensor: $0.image.narrow(axis: 0, start: r, length: 1)).converted(channels: 3) }
    }
    let h = tiles[0].map(\.height).max()!, w = tiles[0].map(\.width).max()!, gap = 2
    let width = visuals.count * (w + gap) - gap, height = rows * (h + gap) - gap
    var pixels = [UInt8](repeating: 255, count: width * height * 3)
    for (r, row) in tiles.enumerated() {
      for (c, tile) in row.enumerated() {
        for y in 0..<tile.height {
          let dst = ((r * (h + gap) + y) * width + c * (w + gap)) * 3
          pixels.replaceSubrange(dst..<(dst + tile.width * 3), with: tile.pixels[(y * tile.width * 3)..<((y + 1) * tile.width * 3)])
        }
      }
    }
    return Image(width: width, height: height, channels: 3, pixels: pixels)
  }

  private static func save(_ image: Image, _ folder: URL, epoch: Int, label: String) throws {
    let url = folder.appendingPathComponent(WebReport.imageName(epoch: epoch, label: label))
    let bytes = try PNG.encode(image.raster, name: url.path)
    try DurableFiles.replace(url, with: Data(bytes))
  }

  /// The epochs and labels whose images exist (so a resumed run's page keeps the earlier epochs).
  static func epochsOnDisk(_ images: URL) -> [(epoch: Int, labels: [String])] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: images.path)) ?? []
    var byEpoch: [Int: [String]] = [:]
    for name in names where name.hasPrefix("epoch") && name.hasSuffix(".png") {
      let stem = name.dropFirst(5).dropLast(4)
      guard let underscore = stem.firstIndex(of: "_"), let epoch = Int(stem[..<underscore]) else { continue }
      byEpoch[epoch, default: []].append(String(stem[stem.index(after: underscore)...]))
    }
    return byEpoch.map { epoch, labels in
      (epoch, labels.sorted { ($0 == gridLabel ? 0 : 1, $0) < ($1 == gridLabel ? 0 : 1, $1) })
    }
  }
}
