import Foundation
import TensorCore
import XCTest

final class DiffCommandTests: XCTestCase {
    func testReportsChangedTensorAndKeys() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let a = tmp.appendingPathComponent("a.safetensors"), b = tmp.appendingPathComponent("b.safetensors")
        try Safetensors.write([(name: "w", tensor: Tensor([1, 2, 3], shape: [3])), (name: "same", tensor: Tensor([4], shape: [1])),
                               (name: "gone", tensor: Tensor([0], shape: [1]))], to: a, fsync: false)
        try Safetensors.write([(name: "w", tensor: Tensor([1, 2.5, .nan], shape: [3])), (name: "same", tensor: Tensor([4], shape: [1])),
                               (name: "new", tensor: Tensor([0], shape: [1]))], to: b, fsync: false)
        let r = try CLIRunner.run(["diff", a.path, b.path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try r.json()
        XCTAssertEqual(j["identical"] as? Bool, false)
        XCTAssertEqual(j["only_in_a"] as? [String], ["gone"])
        XCTAssertEqual(j["only_in_b"] as? [String], ["new"])
        let tensors = try XCTUnwrap(j["tensors"] as? [[String: Any]])
        let w = try XCTUnwrap(tensors.first { $0["key"] as? String == "w" })
        XCTAssertEqual(w["max_abs_diff"] as? Double, 0.5)
        XCTAssertEqual(w["nan_mismatches"] as? Int, 1)
        XCTAssertEqual(w["differing_elements"] as? Int, 2)
        XCTAssertEqual(w["identical"] as? Bool, false)
        let same = try XCTUnwrap(tensors.first { $0["key"] as? String == "same" })
        XCTAssertEqual(same["identical"] as? Bool, true)
        let text = try CLIRunner.run(["diff", a.path, b.path])
        XCTAssertTrue(text.stdout.contains("value  w"), text.stdout)
    }

    func testShapeMismatchAndIdenticalFiles() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let a = tmp.appendingPathComponent("a.safetensors"), b = tmp.appendingPathComponent("b.safetensors")
        try Safetensors.write([(name: "w", tensor: Tensor([1, 2], shape: [2]))], to: a, fsync: false)
        try Safetensors.write([(name: "w", tensor: Tensor([1, 2], shape: [1, 2]))], to: b, fsync: false)
        let j = try CLIRunner.run(["diff", a.path, b.path, "--json"]).json()
        XCTAssertEqual((j["shape_mismatches"] as? [[String: Any]])?.first?["key"] as? String, "w")
        let same = try CLIRunner.run(["diff", a.path, a.path, "--json"]).json()
        XCTAssertEqual(same["identical"] as? Bool, true)
    }
}
