import Foundation
import XCTest

final class InspectCommandTests: XCTestCase {
    func testInspectPthFixtureJSON() throws {
        let r = try CLIRunner.run(["inspect", CLIRunner.sharedFixture("pth/checkpoint.pt"), "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try r.json()
        XCTAssertEqual(j["format"] as? String, "pth")
        XCTAssertEqual(j["layout"] as? String, "modelOptimizer")
        let tensors = try XCTUnwrap(j["tensors"] as? [[String: Any]])
        let names = tensors.compactMap { $0["name"] as? String }
        XCTAssertTrue(names.contains("model.0.weight"), "\(names)")
        for t in tensors { for key in ["name", "dtype", "shape", "bytes"] { XCTAssertNotNil(t[key], key) } }
        XCTAssertEqual(j["tensor_count"] as? Int, tensors.count)
        XCTAssertEqual(j["total_bytes"] as? Int, tensors.reduce(0) { $0 + ($1["bytes"] as! Int) })
        let meta = try XCTUnwrap(j["metadata"] as? [String: Any])
        XCTAssertEqual(meta["name"] as? String, "run-1")
        let state = try XCTUnwrap(j["trainer_state"] as? [String: Any])
        XCTAssertEqual(state["epoch"] as? Int, 3)
        let opt = try XCTUnwrap(state["optimizer"] as? [String: Any])
        XCTAssertNotNil(opt["groups"] as? [Any])
    }

    func testInspectSafetensorsFixture() throws {
        let path = CLIRunner.sharedFixture("safetensors/sample.safetensors")
        let r = try CLIRunner.run(["inspect", path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try r.json()
        XCTAssertEqual(j["format"] as? String, "safetensors")
        XCTAssertGreaterThan(j["tensor_count"] as? Int ?? 0, 0)
        let text = try CLIRunner.run(["inspect", path])
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.stdout.contains("total:"), text.stdout)
    }

    func testInspectDirectoryShowsTrainerState() throws {
        let dir = try CLITestData.saveDirectory(at: CLIRunner.temporaryDirectory(self).appendingPathComponent("ckpt"))
        let r = try CLIRunner.run(["inspect", dir.path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try r.json()
        XCTAssertEqual(j["format"] as? String, "directory")
        XCTAssertEqual(j["tensor_count"] as? Int, 3)
        XCTAssertEqual(j["total_bytes"] as? Int, 6 * 4 + 2 * 4 + 8)
        let state = try XCTUnwrap(j["trainer_state"] as? [String: Any])
        XCTAssertEqual(state["epoch"] as? Int, 2)
        XCTAssertEqual(state["global_step"] as? Int, 40)
        XCTAssertEqual((state["metrics"] as? [String: Any])?["loss"] as? Double, 0.25)
        XCTAssertNotNil(state["saved_at"] as? String)
        XCTAssertNotNil(state["cairn_version"] as? String)
    }
}
