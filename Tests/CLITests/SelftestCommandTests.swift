import Foundation
import XCTest

/// `cairn selftest resume` and `cairn demo`: the user-facing proofs run end to end as real processes.
final class SelftestCommandTests: XCTestCase {
    func testSelftestResumeKillsTheChildAndPasses() throws {
        let dir = try CLIRunner.temporaryDirectory(self)
        let r = try CLIRunner.run(["selftest", "resume", "--kills", "4", "--seed", "5", "--json", "--dir", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        let json = try r.json()
        XCTAssertEqual(json["passed"] as? Bool, true, r.stdout)
        let kills = try XCTUnwrap(json["kills"] as? [[String: Any]])
        XCTAssertEqual(kills.count, 4)
        let steps = kills.compactMap { $0["killed_after_step"] as? Int }
        XCTAssertEqual(steps, steps.sorted())
        XCTAssertEqual(json["steps"] as? Int, 32)
        XCTAssertEqual(json["log_records"] as? Int, 32)
        XCTAssertGreaterThan(json["values"] as? Int ?? 0, 1000)
        XCTAssertEqual((json["differences"] as? [Any])?.count, 0)
        XCTAssertEqual(try CLIRunner.run(["selftest", "resume", "--kills", "0"]).status, 2)
    }

    func testDemoTrainsInterruptsResumesAndFineTunes() throws {
        let dir = try CLIRunner.temporaryDirectory(self).appendingPathComponent("demo")
        let r = try CLIRunner.run(["demo", "--dir", dir.path, "--per-class", "16", "--epochs", "2", "--finetune-epochs", "1"])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("exited with status 0"), r.stdout)
        XCTAssertTrue(r.stdout.contains("interrupted + resumed vs uninterrupted: identical"), r.stdout)
        let table = r.stdout.split(separator: "\n").filter { $0.hasPrefix("new images only") || $0.hasPrefix("rehearsal (50% old)") }
        XCTAssertEqual(table.count, 2, r.stdout)
        for run in ["base", "base-uninterrupted", "finetune-new-only", "finetune-rehearsal"] {
            let csv = dir.appendingPathComponent(run + "/logs/metrics.csv").path
            XCTAssertTrue(FileManager.default.fileExists(atPath: csv), csv)
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(run + "/config.yaml").path))
        }
        // A second demo replaces its own directory but never a foreign one.
        XCTAssertEqual(try CLIRunner.run(["demo", "--dir", dir.path, "--per-class", "8", "--epochs", "2", "--finetune-epochs", "1"]).status, 0)
        let foreign = dir.deletingLastPathComponent().appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
        let refused = try CLIRunner.run(["demo", "--dir", foreign.path])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: foreign.appendingPathComponent("notes.txt").path))
    }
}

/// `cairn data shapes` into an existing folder adds images after the ones there.
final class DataShapesCommandTests: XCTestCase {
    func testDrawingIntoAnExistingFolderAddsImages() throws {
        let dir = try CLIRunner.temporaryDirectory(self).appendingPathComponent("shapes")
        XCTAssertEqual(try CLIRunner.run(["data", "shapes", dir.path, "--per-class", "3", "--size", "8", "--seed", "1"]).status, 0)
        let first = try Data(contentsOf: dir.appendingPathComponent("circle/circle_00000.png"))
        let r = try CLIRunner.run(["data", "shapes", dir.path, "--per-class", "2", "--size", "8", "--seed", "5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("numbered from 3"), r.stdout)
        let circles = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("circle").path).sorted()
        XCTAssertEqual(circles, (0..<5).map { String(format: "circle_%05d.png", $0) })
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("circle/circle_00000.png")), first, "never overwritten")
    }
}
