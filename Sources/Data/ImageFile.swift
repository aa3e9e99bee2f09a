import Foundation
import Tensors

/// Reading and writing image files by path. The extension says what a file must be; contents that are another
/// format, empty, truncated or corrupt give `DataError.badImage` naming the file (never a crash or a hang).
public enum ImageFile {
  /// Extensions that are decoded (lower-case; matched case-insensitively).
  public static let extensions = ["png", "jpg", "jpeg", "ppm", "pgm"]
  /// Extensions the reference code collects that this build cannot decode: listing them is an error, not a skip.
  public static let unsupportedExtensions = ["bmp", "tif", "tiff"]

  enum Format: String { case png = "PNG", jpeg = "JPEG", pnm = "PGM/PPM" }

  static func format(ofExtension ext: String) -> Format? {
    switch ext.lowercased() {
    case "png": return .png
    case "jpg", "jpeg": return .jpeg
    case "ppm", "pgm": return .pnm
    default: return nil
    }
  }

  static func sniff(_ bytes: [UInt8]) -> Format? {
    if bytes.starts(with: PNG.signature) { return .png }
    if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
    if bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), (0x31...0x36).contains(bytes[1]) { return .pnm }
    return nil
  }

  /// The file's pixels as stored (8- or 16-bit, 1–4 channels).
  public static func read(_ path: String) throws -> RasterImage { try read(path, ids: false) }

  /// `read`, or with `ids` for a label or instance map: PNG palette indices and exact gray values (`PNG.decodeIds`).
  static func read(_ path: String, ids: Bool) throws -> RasterImage {
    let ext = (path as NSString).pathExtension
    guard let format = format(ofExtension: ext) else {
      throw DataError.badImage(path: path, reason: "unsupported image type '.\(ext)' (readable: \(extensions.joined(separator: ", ")))")
    }
    let bytes = try contents(of: path)
    guard !bytes.isEmpty else { throw DataError.badImage(path: path, reason: "empty file") }
    if let actual = sniff(bytes), actual != format {
      throw DataError.badImage(path: path, reason: "file contents are \(actual.rawValue), not \(format.rawValue) (wrong extension)")
    }
    switch format {
    case .png: return ids ? try PNG.decodeIds(bytes, name: path) : try PNG.decode(bytes, name: path)
    case .jpeg: return try JPEG.decode(bytes, name: path)
    case .pnm: return try PNM.decode(bytes, name: path)
    }
  }

  /// The file as an 8-bit image with `channels` = 1 (PIL "L") or 3 (PIL "RGB").
  public static func load(_ path: String, channels: Int) throws -> Image {
    Image(try read(path), channels: channels)
  }

  /// A label or instance map with its ids exact (`Image(ids:)`): palette indices, 16-bit gray values such as
  /// Cityscapes' instance ids 26001; other files as `load(path, channels: 1)`.
  public static func loadIds(_ path: String) throws -> Image {
    Image(ids: try read(path, ids: true))
  }

  /// Writes a PNG atomically (a temporary file renamed into place).
  public static func writePNG(_ raster: RasterImage, to path: String) throws {
    let bytes = try PNG.encode(raster, name: path)
    do { try DurableFiles.replace(URL(fileURLWithPath: path), with: Data(bytes)) } catch let e as DurableFiles.Error {
      throw DataError.badImage(path: path, reason: "cannot write: \(e.reason)")
    }
  }

  public static func writePNG(_ image: Image, to path: String) throws { try writePNG(image.raster, to: path) }

  /// The bytes of a regular file (a FIFO or device named like an image would block or never end).
  static func contents(of path: String) throws -> [UInt8] {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw DataError.badImage(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
    }
    guard info.st_mode & S_IFMT == S_IFREG else { throw DataError.badImage(path: path, reason: "not a regular file") }
    do { return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
      throw DataError.badImage(path: path, reason: "cannot read: \(error.localizedDescription)")
    }
  }
}
