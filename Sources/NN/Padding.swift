import Tensors

/// Spatial padding and resampling layers over (N, C, H, W).

/// Pads W by (left, right) and H by (top, bottom) with `mode`; the named subclasses are PyTorch's layers.
public class Pad2d: Module, UnaryLayer {
  public let left: Int, right: Int, top: Int, bottom: Int
  public let mode: PaddingMode

  public init(left: Int, right: Int, top: Int, bottom: Int, mode: PaddingMode) {
    (self.left, self.right, self.top, self.bottom, self.mode) = (left, right, top, bottom, mode)
    super.init()
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    pad2d(x, left: left, right: right, top: top, bottom: bottom, mode: mode)
  }
}

/// `nn.ReflectionPad2d`: mirror without repeating the edge (p < H, W).
public final class ReflectionPad2d: Pad2d {
  public init(_ p: Int) { super.init(left: p, right: p, top: p, bottom: p, mode: .reflect) }
  public init(left: Int, right: Int, top: Int, bottom: Int) {
    super.init(left: left, right: right, top: top, bottom: bottom, mode: .reflect)
  }
}

/// `nn.ReplicationPad2d`: repeat the edge.
public final class ReplicationPad2d: Pad2d {
  public init(_ p: Int) { super.init(left: p, right: p, top: p, bottom: p, mode: .replicate) }
  public init(left: Int, right: Int, top: Int, bottom: Int) {
    super.init(left: left, right: right, top: top, bottom: bottom, mode: .replicate)
  }
}

/// `nn.ZeroPad2d`
public final class ZeroPad2d: Pad2d {
  public init(_ p: Int) { super.init(left: p, right: p, top: p, bottom: p, mode: .zeros) }
  public init(left: Int, right: Int, top: Int, bottom: Int) {
    super.init(left: left, right: right, top: top, bottom: bottom, mode: .zeros)
  }
}

/// PyTorch's `nn.Upsample` with an integer `scale` or a target size: nearest, or bilinear with align_corners false.
public final class Upsample: Module, UnaryLayer {
  public enum Mode: Sendable { case nearest, bilinear }
  public let scale: Int?
  public let size: (height: Int, width: Int)?
  public let mode: Mode

  public init(scale: Int, mode: Mode = .nearest) {
    (self.scale, self.size, self.mode) = (scale, nil, mode)
    super.init()
  }

  public init(height: Int, width: Int, mode: Mode = .nearest) {
    (self.scale, self.size, self.mode) = (nil, (height, width), mode)
    super.init()
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    switch (mode, scale, size) {
    case (.nearest, let s?, _): return upsampleNearest(x, scale: s)
    case (.bilinear, let s?, _): return upsampleBilinear(x, scale: s)
    case (.nearest, nil, let hw?): return resizeNearest(x, height: hw.height, width: hw.width)
    case (.bilinear, nil, let hw?): return resizeBilinear(x, height: hw.height, width: hw.width)
    default: preconditionFailure("Upsample: needs a scale or a size")
    }
  }
}
