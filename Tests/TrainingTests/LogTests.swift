import Foundation
import XCTest
@testable import Training

final class LogTests: XCTestCase {
  func record(_ step: Int, _ d: Double) -> LossRecord {
    LossRecord(epoch: 1, epochImages: 2 * step, step: step, computePerImage: 0.25, dataPerImage: 0.001,
               learningRate: 2e-4, losses: ["D_A": d, "G_A": 2 * d], order: ["D_A", "G_A"])
  }

  func testTextLineHasTheReferenceFormat() {
    XCTAssertEqual(LossLog.textLine(record(5, 0.5)), "(epoch: 1, iters: 10, time: 0.250, data: 0.001) D_A: 0.500 G_A: 1.000")
  }

  func testJSONLogRoundTripsAndAppendsAcrossRuns() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("i2i-log-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try LossLog(directory: dir).write(record(1, 0.5))
    let resumed = try LossLog(directory: dir)
    try resumed.write(record(2, 0.4))
    XCTAssertEqual(resumed.records(), [record(1, 0.5), record(2, 0.4)])
    let text = try String(contentsOf: resumed.textURL, encoding: .utf8)
    XCTAssertEqual(text.components(separatedBy: "Training Loss").count - 1, 2, "a header per run")
  }

  func testWebReportShowsCurvesAndEpochImages() throws {
    let web = FileManager.default.temporaryDirectory.appendingPathComponent("i2i-web-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: web) }
    try WebReport.write(to: web, title: "run <1>", records: [record(1, 0.5), record(2, 0.4), record(3, 0.3)],
                        epochs: [(1, ["real_A", "fake_B"]), (2, ["real_A", "fake_B"])])
    let html = try String(contentsOf: web.appendingPathComponent("index.html"), encoding: .utf8)
    XCTAssertTrue(html.contains("run &lt;1&gt;"))
    XCTAssertEqual(html.components(separatedBy: "<polyline").count - 1, 2, "one curve per loss")
    XCTAssertTrue(html.contains("images/epoch002_fake_B.png"))
    XCTAssertLessThan(html.range(of: "epoch 2")!.lowerBound, html.range(of: "epoch 1")!.lowerBound, "newest epoch first")
  }
}
