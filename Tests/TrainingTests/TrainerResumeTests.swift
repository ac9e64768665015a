import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
import Checkpoint
import Data
@testable import Training

/// In-process exact resume: train 37 steps vs train k, rebuild everything, resume, train to 37.
final class TrainerResumeTests: XCTestCase {
    /// Runs uninterrupted to 37 in one directory, and to `k` then (new objects) resumed to 37 in another.
    private func compareResume(at k: Int, everyNSteps: Int?) throws {
        let a = try makeTemporaryDirectory("A"), b = try makeTemporaryDirectory("B")
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }

        let full = TrainerFixture()
        let resultA = try full.trainer(fixtureOptions(maxSteps: 37, runDirectory: a, everyNSteps: everyNSteps)).fit()
        XCTAssertEqual(resultA.globalStep, 37)
        XCTAssertEqual(resultA.stopReason, .maxSteps)

        let first = TrainerFixture()
        let partial = try first.trainer(fixtureOptions(maxSteps: k, runDirectory: b, everyNSteps: everyNSteps)).fit()
        XCTAssertEqual(partial.globalStep, k)
        XCTAssertNotNil(partial.lastCheckpoint, "a checkpoint at step \(k) must exist")

        let second = TrainerFixture()  // fresh objects: same init, then overwritten by the checkpoint
        let resumed = try second.trainer(fixtureOptions(maxSteps: 37, runDirectory: b, everyNSteps: everyNSteps))
        let resultB = try resumed.fit(resume: .required)
        XCTAssertEqual(resultB.globalStep, 37)
        XCTAssertNotNil(resultB.resumedFrom)
        XCTAssertEqual(resultB.epochsCompleted, resultA.epochsCompleted)

        assertSameBits(bitPatterns(full.model.stateDict().pairs), bitPatterns(second.model.stateDict().pairs),
                       "model tensors differ after resuming at step \(k)")
        assertSameBits(optimizerBits(full.optimizer.state), optimizerBits(second.optimizer.state),
                       "optimizer state differs after resuming at step \(k)")
        XCTAssertEqual(full.optimizer.paramGroups[0].lr, second.optimizer.paramGroups[0].lr)
        XCTAssertEqual(try logText(a), try logText(b), "metrics.jsonl differs after resuming at step \(k)")
        XCTAssertEqual(try logText(a, "metrics.csv"), try logText(b, "metrics.csv"))
        let lines = try logText(a).split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains("\"kind\":\"train\"") }.count, 37)
        XCTAssertEqual(lines.filter { $0.contains("\"kind\":\"val\"") }.count, 37 / 7)
    }

    /// Mid-epoch (epoch 1, batch 6 of 7), checkpoint every step.
    func testResumeMidEpochEveryStep() throws { try compareResume(at: 13, everyNSteps: 1) }

    /// Mid-epoch, only the end-of-run checkpoint at step 13.
    func testResumeMidEpochSaveOnEnd() throws { try compareResume(at: 13, everyNSteps: nil) }

    /// Exactly at an epoch boundary (before the epoch-end validation ran).
    func testResumeAtEpochBoundary() throws { try compareResume(at: 14, everyNSteps: 1) }

    /// Early in the first epoch.
    func testResumeInFirstEpoch() throws { try compareResume(at: 3, everyNSteps: 5) }

    /// A stop request (what SIGINT does) ends with a checkpoint; resuming continues identically.
    func testStopRequestSavesAndResumes() throws {
        final class Stopper: TrainerCallback {
            let at: Int
            init(at: Int) { self.at = at }
            func onStepEnd(_ trainer: Trainer, metrics: StepMetrics) { if metrics.globalStep == at { trainer.requestStop() } }
        }
        let a = try makeTemporaryDirectory("A"), b = try makeTemporaryDirectory("B")
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        let full = TrainerFixture()
        try full.trainer(fixtureOptions(maxSteps: 25, runDirectory: a, everyNSteps: nil)).fit()

        let first = TrainerFixture()
        let t1 = try first.trainer(fixtureOptions(maxSteps: 25, runDirectory: b, everyNSteps: nil))
        t1.callbacks = [Stopper(at: 17)]
        let r1 = try t1.fit()
        XCTAssertEqual(r1.stopReason, .interrupted)
        XCTAssertEqual(r1.globalStep, 17)
        let latest = try CheckpointManager(directory: b.appendingPathComponent("checkpoints"), schedule: .manual).latest()
        XCTAssertEqual(latest.checkpoint?.globalStep, 17)

        let second = TrainerFixture()
        let r2 = try second.trainer(fixtureOptions(maxSteps: 25, runDirectory: b, everyNSteps: nil)).fit(resume: .ifAvailable)
        XCTAssertEqual(r2.globalStep, 25)
        assertSameBits(bitPatterns(full.model.stateDict().pairs), bitPatterns(second.model.stateDict().pairs), "model")
        assertSameBits(optimizerBits(full.optimizer.state), optimizerBits(second.optimizer.state), "optimizer")
        XCTAssertEqual(try logText(a), try logText(b))
    }

    /// Lines an interrupted process logged after its last checkpoint are cut on resume.
    func testResumeCutsLogLinesPastTheCheckpoint() throws {
        let b = try makeTemporaryDirectory("B")
        defer { try? FileManager.default.removeItem(at: b) }
        let first = TrainerFixture()
        try first.trainer(fixtureOptions(maxSteps: 9, runDirectory: b, everyNSteps: nil)).fit()
        // Pretend a killed process logged two more steps and half a line without saving.
        let jsonl = b.appendingPathComponent("logs/metrics.jsonl")
        let h = try FileHandle(forWritingTo: jsonl)
        h.seekToEndOfFile()
        h.write(Data("{\"kind\":\"train\",\"step\":10,\"epoch\":1,\"loss\":9}\n{\"kind\":\"tra".utf8))
        try h.close()
        let second = TrainerFixture()
        try second.trainer(fixtureOptions(maxSteps: 11, runDirectory: b, everyNSteps: nil)).fit(resume: .required)
        let lines = try logText(b).split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains("\"kind\":\"train\"") }.count, 11)
        XCTAssertFalse(try logText(b).contains("\"loss\":9}"))
    }

    /// Resuming with `.required` and no checkpoint names the directory.
    func testRequiredResumeWithoutCheckpointThrows() throws {
        let b = try makeTemporaryDirectory("B")
        defer { try? FileManager.default.removeItem(at: b) }
        let f = TrainerFixture()
        XCTAssertThrowsError(try f.trainer(fixtureOptions(maxSteps: 3, runDirectory: b)).fit(resume: .required)) { e in
            guard case TrainerError.noCheckpoint(let dir)? = e as? TrainerError else { return XCTFail("\(e)") }
            XCTAssertTrue(dir.hasSuffix("checkpoints"))
        }
    }
}
