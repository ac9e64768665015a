import Foundation
import XCTest

/// Runs `scripts/crash_test.sh 10` against the built `cairn`: ten runs SIGKILLed at random moments
/// (half of them mid-save), resumed, and compared byte for byte with an uninterrupted run.
final class CrashTestScriptTests: XCTestCase {
    /// The repository root, found from this file's location (Tests/CLITests/).
    private var repositoryRoot: URL {
        URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func testTenKilledAndResumedRunsMatchAnUninterruptedRun() throws {
        let script = repositoryRoot.appendingPathComponent("scripts/crash_test.sh")
        guard FileManager.default.isExecutableFile(atPath: "/bin/bash") else { throw XCTSkip("no /bin/bash") }
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: script.path), "\(script.path) is missing or not executable")
        let cairn = try CLIRunner.executable()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("crash-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }

        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        // A fixed seed makes the kill schedule reproducible; timing still varies run to run.
        p.arguments = [script.path, "10", "20261125"]
        var env = ProcessInfo.processInfo.environment
        env["CAIRN"] = cairn.path
        env["CRASH_TEST_DIR"] = work.path
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)

        XCTAssertEqual(p.terminationStatus, 0, "crash_test.sh failed:\n\(text)")
        XCTAssertTrue(text.contains("survived 10/10"), "unexpected output:\n\(text)")
        XCTAssertTrue(text.contains("reference:"), "no reference run reported:\n\(text)")
        XCTAssertFalse(text.contains("FAILED"), text)
    }
}
