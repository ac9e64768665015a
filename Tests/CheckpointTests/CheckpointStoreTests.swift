import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
@testable import Checkpoint
import CairnTestSupport

final class CheckpointStoreTests: XCTestCase {
    private func savedCheckpoint(_ name: String = "ckpt", step: Int = 3) throws -> (URL, Checkpoint) {
        let model = makeModel(seed: 1)
        let opt = Adam(model.namedParameters(), lr: 0.01)
        for s in 0..<2 { trainStep(model, opt, step: s) }
        let ckpt = Checkpoint.capture(model: model, optimizer: opt, epoch: 0, globalStep: step, metrics: ["loss": 1.5])
        let dir = try makeTempDirectory(self).appendingPathComponent(name)
        try CheckpointStore.save(ckpt, to: dir, fsync: false)
        return (dir, ckpt)
    }

    private func file(_ dir: URL, _ name: String) -> URL { dir.appendingPathComponent(name) }

    private func assertRejected(_ dir: URL, _ check: (CheckpointError) -> Void,
                                file: StaticString = #filePath, line: UInt = #line) {
        for attempt in [{ _ = try CheckpointStore.verify(dir) }, { _ = try CheckpointStore.load(from: dir) }] {
            XCTAssertThrowsError(try attempt(), file: file, line: line) { e in
                guard let ce = e as? CheckpointError else { return XCTFail("not a CheckpointError: \(e)", file: file, line: line) }
                check(ce)
            }
        }
    }

    func testLayoutAndManifest() throws {
        let (dir, ckpt) = try savedCheckpoint()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertEqual(names, ["manifest.json", "model.safetensors", "optimizer.json", "optimizer.safetensors", "trainer_state.json"])
        let report = try CheckpointStore.verify(dir)
        XCTAssertEqual(report.files.map(\.path), ["model.safetensors", "optimizer.json", "optimizer.safetensors", "trainer_state.json"])
        XCTAssertTrue(report.hasOptimizer)
        XCTAssertEqual(report.modelTensorCount, ckpt.model.count)
        XCTAssertEqual(report.globalStep, 3)
        for f in report.files {
            let data = try Data(contentsOf: file(dir, f.path))
            XCTAssertEqual(f.size, data.count)
        }
        // model.safetensors has PyTorch keys; optimizer.safetensors keys are parameter names.
        let model = try SafetensorsFile(contentsOf: file(dir, "model.safetensors"))
        XCTAssertEqual(Set(model.names), Set(ckpt.model.keys))
        XCTAssertEqual(model.metadata?["format"], "pt")
        let opt = try SafetensorsFile(contentsOf: file(dir, "optimizer.safetensors"))
        XCTAssertTrue(opt.contains("0.weight.exp_avg"))
        XCTAssertTrue(opt.contains("0.weight.exp_avg_sq"))
        XCTAssertTrue(opt.contains("0.weight.step"))
        // optimizer.json lists groups with names and every hyper-parameter.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file(dir, "optimizer.json"))) as! [String: Any]
        XCTAssertEqual(json["type"] as? String, "Adam")
        let group = (json["param_groups"] as! [[String: Any]])[0]
        XCTAssertEqual(group["param_names"] as? [String], ckpt.optimizer!.groups[0].paramNames)
        let optionKeys = (group["options"] as! [[String: Any]]).map { $0["key"] as! String }
        XCTAssertEqual(optionKeys, ["lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach", "capturable",
                                    "differentiable", "fused", "decoupled_weight_decay"])
        // trainer_state.json has the documented members.
        let ts = try JSONSerialization.jsonObject(with: Data(contentsOf: file(dir, "trainer_state.json"))) as! [String: Any]
        for key in ["epoch", "global_step", "metrics", "schedulers", "cairn_version", "fingerprint", "extra", "saved_at"] {
            XCTAssertNotNil(ts[key], key)
        }
        XCTAssertEqual(try CheckpointStore.readTrainerState(dir), ckpt.trainerState)
        XCTAssertTrue(report.description.contains("model.safetensors"))
    }

    func testFlippedDataByteIsCaught() throws {
        let (dir, _) = try savedCheckpoint()
        let url = file(dir, "model.safetensors")
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[bytes.count - 3] ^= 0x01
        try Data(bytes).write(to: url)
        assertRejected(dir) { e in
            guard case let .hashMismatch(f, expected, actual) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(f.hasSuffix("/model.safetensors"))
            XCTAssertNotEqual(expected, actual)
            XCTAssertTrue(e.description.contains("SHA-256"), e.description)
        }
        // Without hashing the size still matches, so only verification catches it.
        XCTAssertNoThrow(try CheckpointStore.load(from: dir, verify: false))
    }

    func testTruncatedFileIsCaught() throws {
        let (dir, _) = try savedCheckpoint()
        let url = file(dir, "optimizer.safetensors")
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 10).write(to: url)
        assertRejected(dir) { e in
            guard case let .sizeMismatch(f, expected, actual) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(f.hasSuffix("/optimizer.safetensors"))
            XCTAssertEqual(expected - 10, actual)
        }
        XCTAssertThrowsError(try CheckpointStore.load(from: dir, verify: false))
    }

    func testMissingFileIsCaught() throws {
        let (dir, _) = try savedCheckpoint()
        try FileManager.default.removeItem(at: file(dir, "optimizer.json"))
        assertRejected(dir) { e in
            guard case let .missingFile(f) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(f.hasSuffix("/optimizer.json"))
        }
    }

    func testExtraFileIsCaught() throws {
        let (dir, _) = try savedCheckpoint()
        try Data("x".utf8).write(to: file(dir, "notes.txt"))
        assertRejected(dir) { e in
            guard case let .extraFile(f) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(f.hasSuffix("/notes.txt"))
        }
    }

    func testEditedJSONIsCaughtByHashAndBadJSONNamesTheKey() throws {
        let (dir, _) = try savedCheckpoint()
        let url = file(dir, "trainer_state.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "\"global_step\" : 3", with: "\"global_step\" : 4")
        XCTAssertNotEqual(edited, text)
        try edited.write(to: url, atomically: false, encoding: .utf8)
        assertRejected(dir) { e in
            guard case let .hashMismatch(f, _, _) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(f.hasSuffix("/trainer_state.json"))
        }
        XCTAssertThrowsError(try CheckpointStore.readTrainerState(dir))

        // A wrongly typed member, with the manifest updated to match, is reported at its key.
        let (dir2, _) = try savedCheckpoint("other")
        let url2 = file(dir2, "trainer_state.json")
        let bad = try String(contentsOf: url2, encoding: .utf8)
            .replacingOccurrences(of: "\"global_step\" : 3", with: "\"global_step\" : \"three\"")
        try bad.write(to: url2, atomically: false, encoding: .utf8)
        try rewriteManifest(dir2)
        assertRejected(dir2) { e in
            guard case let .badJSON(f, key, _) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(f.hasSuffix("/trainer_state.json"))
            XCTAssertEqual(key, "global_step")
        }
    }

    /// Re-hashes the files into the manifest (simulating a consistent but semantically broken save).
    private func rewriteManifest(_ dir: URL) throws {
        let murl = file(dir, "manifest.json")
        var m = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: murl))
        m.files = try m.files.map { e in
            let d = try FileIO.digest(file(dir, e.path).path)
            return Manifest.Entry(path: e.path, size: d.size, sha256: d.sha256)
        }
        try JSONEncoder().encode(m).write(to: murl)
    }

    func testDirectoryWithoutManifestIsRejected() throws {
        let (dir, _) = try savedCheckpoint()
        try FileManager.default.removeItem(at: file(dir, "manifest.json"))
        XCTAssertFalse(CheckpointStore.looksComplete(dir))
        assertRejected(dir) { e in
            guard case .missingManifest = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try CheckpointStore.readTrainerState(dir))
        // A broken manifest is rejected naming the file.
        try Data("{\"format_version\": 1, \"files\": 3}".utf8).write(to: file(dir, "manifest.json"))
        assertRejected(dir) { e in
            guard case let .badJSON(f, _, _) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(f.hasSuffix("/manifest.json"))
        }
    }

    func testTemporaryAndTrashDirectoriesAreNeverValid() throws {
        let (dir, _) = try savedCheckpoint()
        for prefix in [".tmp-", ".trash-"] {
            let hidden = dir.deletingLastPathComponent().appendingPathComponent("\(prefix)ckpt-123-abcdef")
            try FileManager.default.copyItem(at: dir, to: hidden)
            XCTAssertFalse(CheckpointStore.looksComplete(hidden))
            assertRejected(hidden) { e in
                guard case .temporaryDirectory = e else { return XCTFail("\(e)") }
            }
            XCTAssertThrowsError(try CheckpointStore.readTrainerState(hidden))
            XCTAssertThrowsError(try CheckpointStore.save(Checkpoint(model: StateDict(), trainerState:
                TrainerState(fingerprint: ArchitectureFingerprint(stateDict: StateDict()))), to: hidden, fsync: false))
        }
    }

    func testSavingOverAnExistingCheckpointReplacesItAndLeavesNoHiddenDirectories() throws {
        let (dir, _) = try savedCheckpoint(step: 3)
        let model = makeModel(seed: 2)
        let ckpt = Checkpoint.capture(model: model, globalStep: 9)
        try CheckpointStore.save(ckpt, to: dir, fsync: true)
        XCTAssertEqual(try CheckpointStore.verify(dir).globalStep, 9)
        XCTAssertFalse(try CheckpointStore.verify(dir).hasOptimizer)
        assertBitExact(try CheckpointStore.load(from: dir).model, model.stateDict())
        let siblings = try FileManager.default.contentsOfDirectory(atPath: dir.deletingLastPathComponent().path)
        XCTAssertEqual(siblings, ["ckpt"])
    }

    func testSavingOverSomethingThatIsNotACheckpointIsRefused() throws {
        let root = try makeTempDirectory(self)
        let occupied = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: occupied.appendingPathComponent("precious.txt"))
        let ckpt = Checkpoint.capture(model: makeModel(seed: 1))
        XCTAssertThrowsError(try CheckpointStore.save(ckpt, to: occupied, fsync: false)) { e in
            guard case .destinationOccupied? = e as? CheckpointError else { return XCTFail("\(e)") }
        }
        XCTAssertEqual(try String(contentsOf: occupied.appendingPathComponent("precious.txt"), encoding: .utf8), "keep")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["data"])
        // An empty directory may be filled.
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try CheckpointStore.save(ckpt, to: empty, fsync: false)
        XCTAssertNoThrow(try CheckpointStore.verify(empty))
    }

    func testCleanUpRemovesStaleTemporariesAndRestoresAnInterruptedReplacement() throws {
        let (dir, ckpt) = try savedCheckpoint()
        let root = dir.deletingLastPathComponent()
        // A dead process (pid far above pid_max is never alive) left: a half-written tmp dir for a
        // new name, and a trash dir of "ckpt" after renaming it away but before the new one went in.
        let deadPID = 999_999_999
        let tmp = root.appendingPathComponent(".tmp-fresh-\(deadPID)-aaaa")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        try Data("partial".utf8).write(to: tmp.appendingPathComponent("model.safetensors"))
        let trash = root.appendingPathComponent(".trash-ckpt-\(deadPID)-bbbb")
        try FileManager.default.moveItem(at: dir, to: trash)
        // A live process's save in progress is left alone.
        let live = root.appendingPathComponent(".tmp-other-1-cccc")
        try FileManager.default.createDirectory(at: live, withIntermediateDirectories: true)

        let report = try CheckpointStore.cleanUp(in: root)
        XCTAssertEqual(report.restored, [".trash-ckpt-\(deadPID)-bbbb → ckpt"])
        XCTAssertEqual(report.removed, [".tmp-fresh-\(deadPID)-aaaa"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted(), [".tmp-other-1-cccc", "ckpt"])
        XCTAssertEqual(try CheckpointStore.readTrainerState(dir), ckpt.trainerState)
    }

    func testLoadModelAndPreflightFromDirectory() throws {
        let (dir, ckpt) = try savedCheckpoint()
        let other = makeModel(seed: 8, hidden: 8, out: 5)
        let diff = try CheckpointStore.preflight(dir, model: other)
        XCTAssertEqual(diff.changedLayers, ["4"])
        XCTAssertEqual(diff.shapeChanged.map(\.key), ["4.weight", "4.bias"])
        let report = try CheckpointStore.loadModel(from: dir, into: other, policy: .nonStrict, device: .cpu)
        XCTAssertEqual(report.shapeMismatches.map(\.key), ["4.weight", "4.bias"])
        XCTAssertEqual(bits(other.stateDict()["0.weight"]!), bits(ckpt.model["0.weight"]!))
    }
}
