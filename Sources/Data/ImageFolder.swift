import Foundation

/// Image files in a folder tree, as the reference `data/image_folder.py:make_dataset` collects them.
public enum ImageFolder {
  /// Every image under `folder`, recursively (following symbolic links), sorted by path, at most `limit`.
  /// Throws if the folder is missing or holds no image, or holds BMP/TIFF files this build cannot decode.
  public static func list(_ folder: String, limit: Int = .max) throws -> [String] {
    guard isDirectory(folder) else { throw DataError.missingFolder(folder) }
    var files: [String] = []
    var visited = Set<[UInt64]>()
    try walk(folder, into: &files, visited: &visited)
    guard !files.isEmpty else { throw DataError.emptyFolder(folder) }
    files.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    return Array(files.prefix(limit))
  }

  private static func walk(_ folder: String, into files: inout [String], visited: inout Set<[UInt64]>) throws {
    var info = stat()
    guard stat(folder, &info) == 0 else { return }
    // A symbolic link back up the tree would otherwise recurse forever.
    guard visited.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted else { return }
    let names: [String]
    do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
      throw DataError.badImage(path: folder, reason: "cannot list folder: \(error.localizedDescription)")
    }
    for name in names {
      let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
      if isDirectory(path) {
        try walk(path, into: &files, visited: &visited)
        continue
      }
      let ext = (name as NSString).pathExtension.lowercased()
      if ImageFile.extensions.contains(ext) {
        files.append(path)
      } else if ImageFile.unsupportedExtensions.contains(ext) {
        throw DataError.badImage(path: path, reason: "\(ext.uppercased()) images are not supported; convert them to PNG")
      }
    }
  }

  static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
  }
}
