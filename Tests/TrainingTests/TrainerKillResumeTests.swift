import Foundation
import XCTest
import TensorCore
import Optimizers
import Checkpoint
import Training

/// Kills a real training process (`cairn-train-helper`) with SIGKILL several times and checks that
/// the resumed run ends bit-identical to an uninterrupted one.
final class TrainerKillResumeTests: XCTestCase {
    private let steps = 45

    /// The helper executable next to the test bundle (same build directory), if it was built.
    private func helperURL() -> URL? {
        let candidates = [
            Bundle(for: TrainerKillResumeTests.self).bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ]
        for dir in candidates {
            let url = dir.appendingPathComponent("cairn-train-helper")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    private func start(_ helper: URL, _ dir: URL, steps: Int? = nil) throws -> Process {
        let p = Process()
        p.executableURL = helper
        p.arguments = [dir.path, String(steps ?? self.steps)]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Latest checkpoint step in `dir` (0 when none).
    private func latestStep(_ dir: URL) throws -> Int {
        let ckpts = dir.appendingPathComponent("checkpoints")
        guard FileManager.default.fileExists(atPath: ckpts.path) else { return 0 }
        return try CheckpointManager(directory: ckpts, schedule: .manual).latest().checkpoint?.globalStep ?? 0
    }

    func testKilledAndResumedRunMatchesUninterrupted() throws {
        guard let helper = helperURL() else {
            throw XCTSkip("cairn-train-helper was not found next to the test bundle; build it with "
                          + "`swift build --product cairn-train-helper` using the same scratch path")
        }
        let a = try makeTemporaryDirectory("kill-A"), b = try makeTemporaryDirectory("kill-B")
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }

        let clean = try start(helper, a)
        clean.waitUntilExit()
        XCTAssertEqual(clean.terminationStatus, 0, "uninterrupted helper run failed")
        XCTAssertEqual(try latestStep(a), steps)

        var generator = SystemRandomNumberGenerator()
        var killedAt: [Int] = []
        var round = 0
        while killedAt.count < 5 && round < 40 {
            round += 1
            let p = try start(helper, b)
            let before = try latestStep(b)
            // Wait until the run made progress past where it started, then a random extra moment.
            var waited = 0
            while p.isRunning, waited < 3000, (try? latestStep(b)) ?? 0 <= before + 1 {
                usleep(2_000)
                waited += 1
            }
            usleep(UInt32.random(in: 0...40_000, using: &generator))
            guard p.isRunning else { break }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .uncaughtSignal)
            let step = try latestStep(b)
            if step >= steps { break }
            killedAt.append(step)
        }
        let finisher = try start(helper, b)
        finisher.waitUntilExit()
        XCTAssertEqual(finisher.terminationStatus, 0, "resumed helper run failed")
        XCTAssertGreaterThanOrEqual(killedAt.count, 5, "killed at checkpoints \(killedAt)")
        // 52 examples, batch 8: 7 batches per epoch, so most kill points are mid-epoch.
        XCTAssertTrue(killedAt.contains { $0 % 7 != 0 }, "no mid-epoch kill among \(killedAt)")

        let ca = try CheckpointManager(directory: a.appendingPathComponent("checkpoints"), schedule: .manual).latest()
        let cb = try CheckpointManager(directory: b.appendingPathComponent("checkpoints"), schedule: .manual).latest()
        let ua = try XCTUnwrap(ca.checkpoint?.url), ub = try XCTUnwrap(cb.checkpoint?.url)
        let ka = try CheckpointStore.load(from: ua), kb = try CheckpointStore.load(from: ub)
        XCTAssertEqual(ka.trainerState.globalStep, steps)
        XCTAssertEqual(kb.trainerState.globalStep, steps)
        assertSameBits(bitPatterns(ka.model.pairs), bitPatterns(kb.model.pairs), "model differs (kills at \(killedAt))")
        assertSameBits(optimizerBits(try XCTUnwrap(ka.optimizer).state), optimizerBits(try XCTUnwrap(kb.optimizer).state),
                       "optimizer state differs (kills at \(killedAt))")
        XCTAssertEqual(ka.trainerState.rng, kb.trainerState.rng)
        XCTAssertEqual(ka.trainerState.loader, kb.trainerState.loader)
        XCTAssertEqual(try logText(a), try logText(b), "metrics.jsonl differs (kills at \(killedAt))")
        XCTAssertEqual(try logText(a, "metrics.csv"), try logText(b, "metrics.csv"))
    }

    /// SIGTERM makes the helper finish its step, save, release the lock and exit 0; a resume continues.
    func testSIGTERMSavesAndExitsCleanly() throws {
        guard let helper = helperURL() else {
            throw XCTSkip("cairn-train-helper was not found next to the test bundle; build it with "
                          + "`swift build --product cairn-train-helper` using the same scratch path")
        }
        let c = try makeTemporaryDirectory("term")
        defer { try? FileManager.default.removeItem(at: c) }
        let p = try start(helper, c, steps: 100_000)
        var waited = 0
        while p.isRunning, waited < 5000, (try? latestStep(c)) ?? 0 < 3 {
            usleep(2_000)
            waited += 1
        }
        XCTAssertTrue(p.isRunning, "helper ended before it could be signalled")
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 0)
        let saved = try latestStep(c)
        XCTAssertGreaterThanOrEqual(saved, 3)
        XCTAssertNoThrow(try RunLock(directory: c).release(), "the helper did not release the run lock")
        let lines = try logText(c).split(separator: "\n").filter { $0.contains("\"kind\":\"train\"") }
        XCTAssertEqual(lines.count, saved, "every logged step is covered by the final checkpoint")
        let resumed = try start(helper, c, steps: saved + 2)
        resumed.waitUntilExit()
        XCTAssertEqual(resumed.terminationStatus, 0)
        XCTAssertEqual(try latestStep(c), saved + 2)
    }
}
