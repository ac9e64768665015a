import Checkpoint
import Foundation
import TensorCore
import XCTest

final class ConvertCommandTests: XCTestCase {
    /// Flattened tensors of a file as float64 bit-exact arrays (plus dtype and shape).
    private func tensors(_ path: String) throws -> [String: (DType, [Int], [Float])] {
        var out: [String: (DType, [Int], [Float])] = [:]
        if path.hasSuffix(".safetensors") {
            for (n, t) in try SafetensorsFile(contentsOf: URL(fileURLWithPath: path)).tensors() { out[n] = (t.dtype, t.shape, t.toArray()) }
        } else {
            for (k, t) in try TorchFile.read(contentsOf: URL(fileURLWithPath: path)).flattenedTensors() { out[k] = (t.dtype, t.shape, t.toArray()) }
        }
        return out
    }

    func testPthToSafetensorsToPthKeepsValues() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let src = CLIRunner.sharedFixture("pth/checkpoint.pt")
        let st = tmp.appendingPathComponent("c.safetensors").path, back = tmp.appendingPathComponent("c.pth").path
        var r = try CLIRunner.run(["convert", src, st])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try CLIRunner.run(["convert", st, back])
        XCTAssertEqual(r.status, 0, r.stderr)
        let a = try tensors(src), b = try tensors(st), c = try tensors(back)
        XCTAssertFalse(a.isEmpty)
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        XCTAssertEqual(Set(a.keys), Set(c.keys))
        for (k, v) in a {
            XCTAssertEqual(v.0, c[k]!.0, k); XCTAssertEqual(v.1, c[k]!.1, k)
            XCTAssertEqual(v.2.map(\.bitPattern), c[k]!.2.map(\.bitPattern), k)
            XCTAssertEqual(v.2.map(\.bitPattern), b[k]!.2.map(\.bitPattern), k)
        }
        // Non-tensor values come back too.
        let value = try TorchFile.read(contentsOf: URL(fileURLWithPath: back))
        XCTAssertEqual(value["epoch"]?.intValue, 3)
        XCTAssertEqual(value["name"]?.stringValue, "run-1")
    }

    func testPthToDirectoryToSafetensors() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let src = CLIRunner.sharedFixture("pth/checkpoint.pt")
        let dir = tmp.appendingPathComponent("imported").path, st = tmp.appendingPathComponent("m.safetensors").path
        var r = try CLIRunner.run(["convert", src, dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try CLIRunner.run(["verify", dir]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/optimizer.safetensors"))
        let ckpt = try CheckpointStore.load(from: URL(fileURLWithPath: dir))
        XCTAssertEqual(ckpt.trainerState.epoch, 3)
        XCTAssertNotNil(ckpt.optimizer)
        r = try CLIRunner.run(["convert", dir, st])
        XCTAssertEqual(r.status, 0, r.stderr)
        let model = try SingleFileCheckpoint.read(contentsOf: URL(fileURLWithPath: src)).model
        let out = try tensors(st)
        XCTAssertEqual(Set(out.keys), Set(model.keys))
        for (k, t) in model { XCTAssertEqual(out[k]!.2.map(\.bitPattern), t.toArray().map(\.bitPattern), k) }
    }

    func testRefusesToOverwriteWithoutForce() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let src = CLIRunner.sharedFixture("safetensors/sample.safetensors")
        let out = tmp.appendingPathComponent("x.pth").path
        XCTAssertEqual(try CLIRunner.run(["convert", src, out]).status, 0)
        let again = try CLIRunner.run(["convert", src, out])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("--force"), again.stderr)
        XCTAssertEqual(try CLIRunner.run(["convert", src, out, "--force"]).status, 0)
    }
}
