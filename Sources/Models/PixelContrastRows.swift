import Replicas
import Tensors

/// What the pixel contrastive loss knows about each sampled pixel besides its embedding: its class, the global batch
/// index of its image and its position there (together they say which key is an anchor's own pixel). Keys from the
/// memory bank have no image (`bankImage`).
struct PixelRows {
  static let bankImage = -1
  var labels: [Int] = [], images: [Int] = [], positions: [Int] = []

  var count: Int { labels.count }

  init() {}

  /// The picks of a rank's images, image by image; image b is image firstGlobalImage + b of the global batch.
  init(_ picks: [[PixelPick]], firstGlobalImage: Int) {
    for (b, own) in picks.enumerated() {
      for p in own {
        labels.append(p.label)
        images.append(firstGlobalImage + b)
        positions.append(p.position)
      }
    }
  }

  mutating func append(bank classes: [Int]) {
    labels += classes
    images += [Int](repeating: Self.bankImage, count: classes.count)
    positions += [Int](repeating: 0, count: classes.count)
  }

  /// Every rank's rows (keys detached) and their metadata, in rank order: one gather of (a, D + 3) rows
  /// [embedding | class | image | position]. The three ids ride as floats, exact below 2²⁴.
  static func gather(_ embeddings: Tensor, _ rows: PixelRows,
                     context: ReplicaContext) throws -> (keys: Tensor, rows: PixelRows) {
    let (a, d) = (embeddings.shape[0], embeddings.shape[1])
    precondition(rows.count == a && (rows.images + rows.positions).allSatisfy { $0 < 1 << 24 },
                 "PixelContrastLoss: \(a) embeddings for \(rows.count) rows, or an image index or position ≥ 2²⁴")
    let width = d + 3
    let payload = Tensor(uninitialized: [a, width])
    let src = embeddings.storage.base, dst = payload.storage.base
    for i in 0..<a {
      (dst + i * width).update(from: src + i * d, count: d)
      (dst[i * width + d], dst[i * width + d + 1]) = (Float(rows.labels[i]), Float(rows.images[i]))
      dst[i * width + d + 2] = Float(rows.positions[i])
    }
    let all = try context.allGatherDetached(payload)
    let g = all.shape[0]
    let keys = Tensor(uninitialized: [g, d])
    var out = PixelRows()
    let pa = all.storage.base, pk = keys.storage.base
    for i in 0..<g {
      (pk + i * d).update(from: pa + i * width, count: d)
      out.labels.append(Int(pa[i * width + d]))
      out.images.append(Int(pa[i * width + d + 1]))
      out.positions.append(Int(pa[i * width + d + 2]))
    }
    return (keys, out)
  }
}

/// How many positives and negatives each anchor has among the keys, from class counts alone (no pass over
/// anchor × key pairs, so the whole global batch's anchors can be counted on every rank): an anchor of class c
/// meets count(c) − 1 positives (it is one of the keys itself) and total − count(c) negatives among the keys in
/// its scope (its image's for `image`, all of them otherwise), plus the bank's bank(c) and bankTotal − bank(c).
struct PixelCensus {
  struct Pairs: Equatable { var positives: Int, negatives: Int }

  let classes: Int
  let perImage: Bool
  /// Class counts of the keys, by image (perImage) or under image 0 for all of them.
  private var histograms: [Int: [Int]] = [:]
  private let bank: [Int]

  init(keys: PixelRows, bank: [Int]?, classes: Int, perImage: Bool) {
    (self.classes, self.perImage) = (classes, perImage)
    self.bank = bank ?? [Int](repeating: 0, count: classes)
    for (c, image) in zip(keys.labels, keys.images) {
      histograms[perImage ? image : 0, default: [Int](repeating: 0, count: classes)][c] += 1
    }
  }

  /// The counts for each row of `anchors`, every one of which must be among the keys.
  func pairs(of anchors: PixelRows) -> [Pairs] {
    let bankTotal = bank.reduce(0, +)
    var totals: [Int: Int] = [:]
    for (image, h) in histograms { totals[image] = h.reduce(0, +) }
    return zip(anchors.labels, anchors.images).map { c, image in
      let key = perImage ? image : 0
      let h = histograms[key]!
      precondition(h[c] >= 1, "PixelCensus: an anchor of class \(c) is not among the keys")
      return Pairs(positives: h[c] - 1 + bank[c], negatives: totals[key]! - h[c] + bankTotal - bank[c])
    }
  }
}
