import Foundation

/// The one line a command prints for an error. Foundation's file errors print as
/// `Error Domain=NSCocoaErrorDomain Code=512 "(null)" UserInfo={…}`; they become "PATH: what went wrong".
public enum ErrorText {
  public static func describe(_ error: Error) -> String {
    let ns = error as NSError
    guard ns.domain == NSCocoaErrorDomain else { return "\(error)" }
    let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path ?? "a file"
    let cause: String
    if let posix = ns.userInfo[NSUnderlyingErrorKey] as? POSIXError {
      cause = String(cString: strerror(posix.code.rawValue))
    } else {
      cause = ns.localizedDescription
    }
    let action: String
    switch ns.code {
    case NSFileNoSuchFileError, NSFileReadNoSuchFileError: action = "does not exist"
    case NSFileWriteFileExistsError: action = "already exists"
    case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: action = "permission denied"
    case NSFileWriteOutOfSpaceError: action = "no space left on the device"
    case NSFileWriteUnknownError, NSFileWriteVolumeReadOnlyError: action = "cannot be written"
    default: action = "cannot be read or written"
    }
    return "\(path): \(action) (\(cause))"
  }
}
