/// NumPy/PyTorch broadcasting: shapes are aligned at the right; a dimension of 1 stretches to match.

public enum Broadcast {
  /// The broadcast shape of `a` and `b`, or a trap naming both shapes.
  public static func shape(_ a: [Int], _ b: [Int]) -> [Int] {
    let r = max(a.count, b.count)
    return (0..<r).map { i -> Int in
      let da = i < r - a.count ? 1 : a[i - (r - a.count)]
      let db = i < r - b.count ? 1 : b[i - (r - b.count)]
      precondition(da == db || da == 1 || db == 1, "shapes \(a) and \(b) do not broadcast")
      return da == 1 ? db : da
    }
  }

  /// Strides of `shape` read as `outShape` (0 along stretched or missing dimensions).
  static func strides(of shape: [Int], in outShape: [Int]) -> [Int] {
    let pad = outShape.count - shape.count
    let own = Tensor.strides(shape)
    return (0..<outShape.count).map { i in i < pad || shape[i - pad] == 1 ? 0 : own[i - pad] }
  }

  /// Merges neighbouring dimensions that every operand walks contiguously, so that `[N,C,H,W]` against
  /// `[1,C,1,1]` becomes a 3-d walk `[N, C, H·W]` whose inner loop runs over H·W elements.
  static func coalesce(_ shape: [Int], _ strides: [[Int]]) -> ([Int], [[Int]]) {
    var dims: [Int] = []
    var st: [[Int]] = strides.map { _ in [] }
    for i in 0..<shape.count where shape[i] != 1 {
      if let last = dims.last, strides.indices.allSatisfy({ k in st[k].last! == strides[k][i] * shape[i] }) {
        dims[dims.count - 1] = last * shape[i]
        for k in strides.indices { st[k][st[k].count - 1] = strides[k][i] }
      } else {
        dims.append(shape[i])
        for k in strides.indices { st[k].append(strides[k][i]) }
      }
    }
    if dims.isEmpty { return ([1], strides.map { _ in [0] }) }
    return (dims, st)
  }

  /// Calls `body(offsetA, offsetB, strideA, strideB, length)` for each inner run of a walk over `outShape`, where
  /// the output offset advances contiguously from 0.
  @inline(__always)
  static func walk(_ outShape: [Int], _ sa: [Int], _ sb: [Int],
                   _ body: (_ oa: Int, _ ob: Int, _ ia: Int, _ ib: Int, _ n: Int, _ out: Int) -> Void) {
    let (dims, st) = coalesce(outShape, [sa, sb])
    let r = dims.count
    let inner = dims[r - 1], ia = st[0][r - 1], ib = st[1][r - 1]
    let outer = dims.dropLast().reduce(1, *)
    var index = [Int](repeating: 0, count: max(r - 1, 0))
    var oa = 0, ob = 0
    for run in 0..<outer {
      body(oa, ob, ia, ib, inner, run * inner)
      var d = r - 2
      while d >= 0 {
        index[d] += 1; oa += st[0][d]; ob += st[1][d]
        if index[d] < dims[d] { break }
        oa -= st[0][d] * dims[d]; ob -= st[1][d] * dims[d]; index[d] = 0
        d -= 1
      }
    }
  }

  /// out[i] = f(a[i'], b[i'']) with broadcasting, on the calling thread (see `parallelFor` for why a loop that calls
  /// a closure parameter runs serially).
  @inline(__always)
  public static func binary(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    let shape = Broadcast.shape(a.shape, b.shape)
    let out = Tensor(uninitialized: shape)
    let pa = a.storage.base, pb = b.storage.base, po = out.storage.base
    if a.shape == b.shape {
      for i in 0..<out.count { po[i] = f(pa[i], pb[i]) }
      return out
    }
    walk(shape, strides(of: a.shape, in: shape), strides(of: b.shape, in: shape)) { oa, ob, ia, ib, n, o in
      for j in 0..<n { po[o &+ j] = f(pa[oa &+ j &* ia], pb[ob &+ j &* ib]) }
    }
    return out
  }

  /// Sums `g` (of a broadcast shape) down to `shape`: the gradient of a broadcast input.
  public static func sum(_ g: Tensor, to shape: [Int]) -> Tensor {
    if g.shape == shape { return g }
    let out = Tensor(zeros: shape)
    let st = strides(of: shape, in: g.shape)
    let pg = g.storage.base, po = out.storage.base
    walk(g.shape, st, Tensor.strides(g.shape).map { _ in 0 }) { oa, _, ia, _, n, o in
      if ia == 0 {
        var s: Float = 0
        for j in 0..<n { s += pg[o &+ j] }
        po[oa] += s
      } else {
        for j in 0..<n { po[oa &+ j &* ia] += pg[o &+ j] }
      }
    }
    return out
  }
}
