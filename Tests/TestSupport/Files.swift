import Foundation
import XCTest

/// A fresh temporary folder, removed at the end of the test.
public func temporaryFolder(_ test: XCTestCase) throws -> String {
  let path = NSTemporaryDirectory() + "i2i-tests-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
  return path
}

/// The checkout's root folder (Tests/TestSupport/Files.swift → ../..), for the committed data under data/.
public func packageRoot() -> String {
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}
