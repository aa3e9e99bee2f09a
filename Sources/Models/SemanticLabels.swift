import NN
import Tensors

/// The SPADE family's label input (spec §1.1; ECGAN@984be01 `models/pix2pix_model.py` preprocess_input and
/// get_edges, `data/pix2pix_dataset.py`): class ids one-hot, the don't-care id 255 as the channel after the
/// classes, and the instance-edge channel. Inputs carry no gradient; so do the outputs.
public enum SemanticLabels {
  /// The stored id of "don't care" (the reference remaps 255 to `label_nc`).
  public static let dontCareID = 255

  /// label (N, 1, H, W), class ids as floats → (N, labelNC (+1 with `dontCare`), H, W) one-hot. Id 255 and id
  /// labelNC (ADE20K's shifted unknown) fill channel labelNC when `dontCare`; any other id outside 0..<labelNC is
  /// an error naming it (the data sets check their files first, so here it is a mismatch of options).
  public static func oneHot(_ label: Tensor, labelNC: Int, dontCare: Bool) throws -> Tensor {
    precondition(label.rank == 4 && label.shape[1] == 1, "SemanticLabels.oneHot: label must be (N, 1, H, W), got \(label.shape)")
    let (n, h, w) = (label.shape[0], label.shape[2], label.shape[3]), plane = h * w
    let channels = labelNC + (dontCare ? 1 : 0)
    var out = [Float](repeating: 0, count: n * channels * plane)
    let ids = label.scalars
    for i in 0..<n {
      for p in 0..<plane {
        var id = Int(ids[i * plane + p])
        if dontCare && id == dontCareID { id = labelNC }
        guard id >= 0 && id < channels else {
          throw OptionError("--label-nc", "a label map holds id \(id), outside 0..<\(labelNC)"
                              + (dontCare ? " and not the don't-care id 255" : " (give --contain-dontcare-label if 255 means don't care)"))
        }
        out[(i * channels + id) * plane + p] = 1
      }
    }
    return Tensor(out, [n, channels, h, w])
  }

  /// label (N, 1, H, W) with the stored don't-care id 255 as `labelNC` (the reference's remap), when `dontCare`:
  /// the class ids the pixel contrast reads.
  public static func classIds(_ label: Tensor, labelNC: Int, dontCare: Bool) -> Tensor {
    guard dontCare else { return label }
    return Tensor(label.scalars.map { Int($0) == dontCareID ? Float(labelNC) : $0 }, label.shape)
  }

  /// instance (N, 1, H, W) ids → (N, 1, H, W): 1 where a 4-neighbour has another id, else 0 (both pixels of a
  /// differing pair are edges, as in the reference's get_edges).
  public static func instanceEdges(_ instance: Tensor) -> Tensor {
    precondition(instance.rank == 4 && instance.shape[1] == 1, "SemanticLabels.instanceEdges: (N, 1, H, W), got \(instance.shape)")
    let (n, h, w) = (instance.shape[0], instance.shape[2], instance.shape[3])
    let t = instance.scalars
    var edge = [Float](repeating: 0, count: t.count)
    for i in 0..<n {
      let base = i * h * w
      for y in 0..<h {
        for x in 0..<w {
          let p = base + y * w + x
          if x + 1 < w && t[p] != t[p + 1] { (edge[p], edge[p + 1]) = (1, 1) }
          if y + 1 < h && t[p] != t[p + w] { (edge[p], edge[p + w]) = (1, 1) }
        }
      }
    }
    return Tensor(edge, instance.shape)
  }

  /// The generator's label input: one-hot (with don't-care) and, given instance maps, their edges after it.
  public static func encode(label: Tensor, instance: Tensor?, labelNC: Int, dontCare: Bool) throws -> Tensor {
    let oneHot = try oneHot(label, labelNC: labelNC, dontCare: dontCare)
    guard let instance else { return oneHot }
    return Tensor.concat([oneHot, instanceEdges(instance)], axis: 1)
  }

  /// The colour of each class for sample pages, as the reference's visualizer colours `input_label`
  /// (`util.tensor2label(label, label_nc + 2)`: `labelcolormap`), in [−1, 1]: ids 0 ..< labelNC + 2 get colours,
  /// any other id (255) is black.
  public static func colorize(_ label: Tensor, labelNC: Int) -> Tensor {
    let (n, h, w) = (label.shape[0], label.shape[2], label.shape[3]), plane = h * w
    let colors = labelNC + 2
    let ids = label.scalars
    var out = [Float](repeating: -1, count: n * 3 * plane)
    for i in 0..<n {
      for p in 0..<plane {
        let id = Int(ids[i * plane + p])
        guard id >= 0 && id < colors else { continue }
        let rgb = color(of: id)
        for c in 0..<3 { out[(i * 3 + c) * plane + p] = Float(rgb[c]) / 127.5 - 1 }
      }
    }
    return Tensor(out, [n, 3, h, w])
  }

  /// `labelcolormap`'s colour of class `i` (pix2pixHD/SPADE `util.py`): the bits of i + 1, three at a time from
  /// the lowest, go to R, G and B at bit 7 − j for j = 0 … 6.
  static func color(of i: Int) -> [Int] {
    var (r, g, b, rest) = (0, 0, 0, i + 1)
    for j in 0..<7 {
      r |= (rest & 1) << (7 - j)
      g |= (rest >> 1 & 1) << (7 - j)
      b |= (rest >> 2 & 1) << (7 - j)
      rest >>= 3
    }
    return [r, g, b]
  }
}
