import Foundation
import XCTest

final class VerifyCommandTests: XCTestCase {
    func testIntactDirectoryPasses() throws {
        let dir = try CLITestData.saveDirectory(at: CLIRunner.temporaryDirectory(self).appendingPathComponent("ckpt"))
        let r = try CLIRunner.run(["verify", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("OK"))
        let j = try CLIRunner.run(["verify", dir.path, "--json"]).json()
        XCTAssertEqual(j["ok"] as? Bool, true)
    }

    func testFlippedByteInDirectoryFails() throws {
        let dir = try CLITestData.saveDirectory(at: CLIRunner.temporaryDirectory(self).appendingPathComponent("ckpt"))
        let file = dir.appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count - 1] ^= 0x01
        try bytes.write(to: file)
        let r = try CLIRunner.run(["verify", dir.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("model.safetensors"), r.stderr)
        XCTAssertTrue(r.stderr.contains("SHA-256"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Stack"), r.stderr)
    }

    func testBadFixturesFailNamingTheFile() throws {
        for name in ["safetensors/bad_header_len.safetensors", "safetensors/bad_overlap.safetensors",
                     "safetensors/bad_truncated_data.safetensors", "pth/reject_os_system.pt"] {
            let path = CLIRunner.sharedFixture(name)
            let r = try CLIRunner.run(["verify", path])
            XCTAssertEqual(r.status, 1, name)
            XCTAssertTrue(r.stderr.contains(URL(fileURLWithPath: path).lastPathComponent), "\(name): \(r.stderr)")
        }
        let good = try CLIRunner.run(["verify", CLIRunner.sharedFixture("pth/checkpoint.pt")])
        XCTAssertEqual(good.status, 0, good.stderr)
    }
}
