import Foundation
import XCTest
import TensorCore
import NN
import Checkpoint
@testable import Training

final class TrainerTests: XCTestCase {
    func testFitLowersTheLossAndEvaluates() throws {
        let f = TrainerFixture()
        let t = try f.trainer(TrainerOptions(batchSize: 8, seed: 3, epochs: 6, handleSignals: false))
        let before = try t.evaluate(data: f.train)
        let r = try t.fit()
        XCTAssertEqual(r.stopReason, .epochs)
        XCTAssertEqual(r.epochsCompleted, 6)
        XCTAssertEqual(r.globalStep, 6 * 7)
        let after = try t.evaluate(data: f.train)
        XCTAssertLessThan(after.loss, before.loss)
        XCTAssertEqual(after.count, 52)
        XCTAssertNotNil(after.accuracy)
        XCTAssertFalse(after.perClass.isEmpty)
        XCTAssertNotNil(r.lastValidation["val_loss"])
        XCTAssertTrue(f.model.training, "evaluate must restore training mode")
    }

    func testNaNLossStopsWithoutSavingIt() throws {
        let dir = try makeTemporaryDirectory("nan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = TrainerFixture()
        var calls = 0
        let t = try f.trainer(fixtureOptions(maxSteps: 10, runDirectory: dir)) { out, y in
            calls += 1
            let l = Loss.crossEntropy(out, y)
            return calls == 4 ? l * Tensor(scalar: .nan) : l
        }
        XCTAssertThrowsError(try t.fit()) { e in
            guard case let TrainerError.nonFiniteLoss(step, _, value)? = e as? TrainerError else { return XCTFail("\(e)") }
            XCTAssertEqual(step, 4)
            XCTAssertTrue(value.isNaN)
        }
        let latest = try CheckpointManager(directory: dir.appendingPathComponent("checkpoints"), schedule: .manual).latest()
        XCTAssertEqual(latest.checkpoint?.globalStep, 3)
    }

    func testNaNLossSkipPolicySkipsTheUpdate() throws {
        let f = TrainerFixture()
        var calls = 0
        var o = fixtureOptions(maxSteps: 6, runDirectory: nil)
        o.nanPolicy = .skip
        let t = try f.trainer(o) { out, y in
            calls += 1
            let l = Loss.crossEntropy(out, y)
            return calls == 2 ? l * Tensor(scalar: .infinity) : l
        }
        let r = try t.fit()
        XCTAssertEqual(r.globalStep, 6)
        XCTAssertEqual(r.skippedSteps, 1)
        XCTAssertTrue(f.model.parameters().allSatisfy { $0.value.toArray().allSatisfy(\.isFinite) })
    }

    func testEarlyStoppingStopsAfterPatience() throws {
        var es = EarlyStopping(monitor: MetricMonitor("val_loss", mode: .min), patience: 1)
        XCTAssertFalse(es.update(["val_loss": 1.0]))
        XCTAssertFalse(es.update(["val_loss": 0.5]))
        XCTAssertFalse(es.update(["val_loss": 0.6]))
        XCTAssertTrue(es.update(["val_loss": .nan]))
        XCTAssertEqual(es.best, 0.5)

        let f = TrainerFixture()
        var o = TrainerOptions(batchSize: 8, seed: 3, epochs: 50, handleSignals: false)
        o.earlyStopping = EarlyStopping(monitor: MetricMonitor("val_loss", mode: .min), patience: 0, minDelta: 100)
        let r = try f.trainer(o).fit()
        XCTAssertEqual(r.stopReason, .earlyStopping)
        XCTAssertEqual(r.epochsCompleted, 2, "first value sets the best, the second cannot beat it by 100")
    }

    func testCallbacksSeeEveryHook() throws {
        final class Recorder: TrainerCallback {
            var events: [String] = []
            func onTrainStart(_ trainer: Trainer) { events.append("start") }
            func onStepEnd(_ trainer: Trainer, metrics: StepMetrics) { events.append("step\(metrics.globalStep)") }
            func onEpochEnd(_ trainer: Trainer, epoch: Int, metrics: [String: Double]) { events.append("epoch\(epoch)") }
            func onValidationEnd(_ trainer: Trainer, result: EvaluationResult) { events.append("val") }
            func onTrainEnd(_ trainer: Trainer, result: FitResult) { events.append("end") }
        }
        let f = TrainerFixture()
        let t = try f.trainer(TrainerOptions(batchSize: 26, seed: 3, epochs: 1, handleSignals: false))
        let rec = Recorder()
        t.callbacks = [rec]
        try t.fit()
        XCTAssertEqual(rec.events, ["start", "step1", "step2", "val", "epoch1", "end"])
    }

    func testInvalidOptionsAreRejected() {
        let f = TrainerFixture()
        XCTAssertThrowsError(try f.trainer(TrainerOptions(batchSize: 8))) { e in
            XCTAssertTrue("\(e)".contains("maxSteps or epochs"))
        }
        XCTAssertThrowsError(try f.trainer(TrainerOptions(batchSize: 0, maxSteps: 1)))
    }

    func testMetricsLoggerCutsBackToTheSavedRecordCount() throws {
        let dir = try makeTemporaryDirectory("log")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let log = try MetricsLogger(runDirectory: dir, keepRecords: 0)
            for s in 1...5 { try log.log(kind: "train", step: s, epoch: 0, values: [("loss", Double(Float(1) / Float(s)))]) }
            XCTAssertEqual(log.recordCount, 5)
        }
        let log = try MetricsLogger(runDirectory: dir, keepRecords: 3)
        XCTAssertEqual(log.recordCount, 3)
        let jsonl = try logText(dir).split(separator: "\n")
        XCTAssertEqual(jsonl.count, 3)
        XCTAssertEqual(jsonl[2], "{\"kind\":\"train\",\"step\":3,\"epoch\":0,\"loss\":0.33333334}")
        let csv = try logText(dir, "metrics.csv").split(separator: "\n")
        XCTAssertEqual(csv.count, 4)
        XCTAssertEqual(csv[0], "kind,step,epoch,loss,lr,grad_norm,val_loss,val_accuracy")
        XCTAssertEqual(csv[3], "train,3,0,0.33333334,,,,")
    }

    func testSignalSetsTheStopFlag() throws {
        let s = SignalHandling(signals: [SIGUSR1])
        defer { s.stop() }
        XCTAssertFalse(s.stopRequested)
        raise(SIGUSR1)
        XCTAssertTrue(s.stopRequested)
        XCTAssertEqual(s.signalReceived, SIGUSR1)
    }

    func testProgressReporterPlainLines() {
        var lines: [String] = []
        var p = ProgressReporter(total: 10, every: 5, isTTY: false, write: { lines.append($0) })
        p.start(at: 0)
        for s in 1...10 { p.update(step: s, epoch: 0, loss: 0.5) }
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix("step 5/10 epoch 0 loss 0.5000"))
        XCTAssertEqual(ProgressReporter.duration(3725), "1h02m")
    }
}
