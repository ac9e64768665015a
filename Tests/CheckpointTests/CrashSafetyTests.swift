import Foundation
import XCTest
import TensorCore
import NN
@testable import Checkpoint

/// Kills a process that saves checkpoints in a loop (`cairn-crash-helper`) at many instants and
/// checks that no visible checkpoint is ever torn and completed saves are never lost.
final class CrashSafetyTests: XCTestCase {
    /// The helper executable next to the test bundle (same build directory), if it was built.
    private func helperURL() -> URL? {
        var candidates: [URL] = []
        let bundle = Bundle(for: CrashSafetyTests.self).bundleURL
        candidates.append(bundle.deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for dir in candidates {
            let url = dir.appendingPathComponent("cairn-crash-helper")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    /// Every visible checkpoint must verify; with `contents`, each must also hold one consistent step
    /// and not be older than the last save the helper reported for that name.
    private func checkDirectory(_ root: URL, completed: [String: Int], contents: Bool, round: Int) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: root.path) where !name.hasPrefix(".") {
            let dir = root.appendingPathComponent(name)
            XCTAssertTrue(CheckpointStore.looksComplete(dir), "round \(round): \(name) is visible but has no manifest")
            let report: VerifyReport
            do { report = try CheckpointStore.verify(dir) } catch {
                XCTFail("round \(round): \(name) does not verify: \(error)")
                continue
            }
            // "good" was written by the test itself; its contents are compared bit for bit at the end.
            guard contents, name.hasPrefix("ckpt-") else { continue }
            let ckpt = try CheckpointStore.load(from: dir, verify: false)
            let step = ckpt.trainerState.globalStep
            XCTAssertEqual(report.globalStep, step)
            // The hashes already vouch for every byte; these samples check the files belong to one save.
            let expected = Float(step)
            for (key, t) in ckpt.model {
                let n = t.count
                let flat = t.reshaped([n])
                for i in Set([0, n / 2, n - 1]) {
                    XCTAssertEqual(flat[i].item, expected, "round \(round): \(name)/\(key)[\(i)] is from another save")
                }
            }
            XCTAssertEqual(ckpt.optimizer?.state["0.bias"]?.step, expected)
            if let last = completed[name] {
                XCTAssertGreaterThanOrEqual(step, last, "round \(round): \(name) went back from step \(last) to \(step)")
            }
        }
        for name in completed.keys {
            XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path),
                          "round \(round): completed checkpoint \(name) disappeared")
        }
    }

    func testKillingASaverAtRandomInstantsNeverLeavesATornOrLostCheckpoint() throws {
        guard let helper = helperURL() else {
            throw XCTSkip("cairn-crash-helper was not found next to the test bundle; build it with "
                          + "`swift build --product cairn-crash-helper` using the same scratch path")
        }
        let root = try makeTempDirectory(self)
        // A good checkpoint the helper never touches.
        let goodModel = makeModel(seed: 1)
        let good = root.appendingPathComponent("good")
        try CheckpointStore.save(Checkpoint.capture(model: goodModel, globalStep: 1), to: good)

        var completed: [String: Int] = [:]
        var nextStep = 0
        var interrupted = 0
        var rng = RandomGenerator(seed: 2024)
        let rounds = 30
        for round in 0..<rounds {
            let process = Process()
            process.executableURL = helper
            process.arguments = [root.path, String(nextStep), "3"]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Delays from 0 to 600 ms land before, during and between saves (each save is ~20 MB).
            usleep(UInt32(rng.nextInt(below: 600_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "round \(round): helper exited on its own")

            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 3, parts[0] == "saved", let step = Int(parts[2]) else { continue }
                completed[String(parts[1])] = step
                nextStep = max(nextStep, step + 1)
            }
            // A save may have completed without its line being read; continue after any step seen.
            for name in try FileManager.default.contentsOfDirectory(atPath: root.path) where name.hasPrefix("ckpt-") {
                if let s = try? CheckpointStore.readTrainerState(root.appendingPathComponent(name)).globalStep {
                    nextStep = max(nextStep, s + 1)
                }
            }
            // First as the crash left it (nothing visible may be torn) …
            if try FileManager.default.contentsOfDirectory(atPath: root.path).contains(where: { $0.hasPrefix(".") }) {
                interrupted += 1
            }
            try checkDirectory(root, completed: [:], contents: false, round: round)
            // … then after the recovery a restarted trainer runs: no completed save may be lost.
            // (With RENAME_EXCHANGE nothing needs restoring; without it a kill between the two
            // renames of a replacement leaves the name to be put back here.)
            _ = try CheckpointStore.cleanUp(in: root)
            try checkDirectory(root, completed: completed, contents: true, round: round)
            XCTAssertEqual(try CheckpointStore.readTrainerState(good).globalStep, 1)
        }
        XCTAssertFalse(completed.isEmpty, "no save completed in \(rounds) rounds")
        XCTAssertGreaterThan(interrupted, 0, "no kill landed inside a save in \(rounds) rounds")

        // The previous good checkpoint is intact, bit for bit.
        _ = try CheckpointStore.verify(good)
        assertBitExact(try CheckpointStore.load(from: good).model, goodModel.stateDict())

        // cleanUp removed every leftover of the dead helpers.
        let hidden = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(hidden, [])
        try checkDirectory(root, completed: completed, contents: true, round: rounds)
    }
}
