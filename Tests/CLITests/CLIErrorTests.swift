import Foundation
import XCTest

final class CLIErrorTests: XCTestCase {
    func testBadUsageExitsTwo() throws {
        for args in [["inspect"], ["inspect", "a", "b", "c"], ["diff", "x"], ["verify", "--bogus", "x"], ["nosuchcommand"],
                     ["bench", "io", "--size-mb", "0"]] {
            let r = try CLIRunner.run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.isEmpty, "\(args)")
        }
        let ext = try CLIRunner.run(["convert", CLIRunner.sharedFixture("safetensors/sample.safetensors"), "/tmp/x.unknownext"])
        XCTAssertEqual(ext.status, 2, ext.stderr)
    }

    func testMissingInputExitsOneNamingPath() throws {
        let r = try CLIRunner.run(["inspect", "/nonexistent/model.safetensors"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("/nonexistent/model.safetensors"), r.stderr)
    }

    func testHelpExitsZero() throws {
        let r = try CLIRunner.run(["convert", "--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("Examples"), r.stdout)
    }
}
