import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
import Checkpoint
import Data
import Training

/// The `checkpoint:` options beyond step/epoch triggers, and overriding hyper-parameters on resume.
final class TrainerCheckpointOptionsTests: XCTestCase {
    func checkpointNames(_ run: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("checkpoints").path)
            .filter { !$0.hasPrefix(".") && $0 != "latest" }.sorted()
    }

    func testFilenameTemplateNamesTheCheckpoints() throws {
        let run = try makeTemporaryDirectory("template")
        var options = fixtureOptions(maxSteps: 4, runDirectory: run, everyNSteps: 2)
        options.checkpoint.filename = try FilenameTemplate("step{step:03d}-loss{loss:.2f}")
        let result = try TrainerFixture().trainer(options).fit()
        let names = try checkpointNames(run)
        XCTAssertEqual(names.count, 2, "\(names)")
        XCTAssertTrue(names[0].hasPrefix("step002-loss"), "\(names)")
        XCTAssertTrue(names[1].hasPrefix("step004-loss"), "\(names)")
        XCTAssertEqual(result.lastCheckpoint?.lastPathComponent, names[1])
    }

    func testWeightsOnlyCheckpointsHoldNoOptimizerAndRefuseToResume() throws {
        let run = try makeTemporaryDirectory("weights-only")
        var options = fixtureOptions(maxSteps: 3, runDirectory: run, everyNSteps: 3)
        options.checkpoint.weightsOnly = true
        let f = TrainerFixture()
        let result = try f.trainer(options).fit()
        let ckpt = try CheckpointStore.load(from: try XCTUnwrap(result.lastCheckpoint))
        XCTAssertNil(ckpt.optimizer)
        XCTAssertNil(ckpt.trainerState.loader)
        XCTAssertEqual(ckpt.trainerState.globalStep, 3)
        assertSameBits(bitPatterns(ckpt.model.pairs), bitPatterns(f.model.stateDict().pairs), "saved weights")
        options.maxSteps = 6
        XCTAssertThrowsError(try TrainerFixture().trainer(options).fit(resume: .required)) { error in
            XCTAssertEqual(error as? TrainerError, .weightsOnlyCheckpoint(path: result.lastCheckpoint!.path))
            XCTAssertTrue("\(error)".contains("fine-tune from it"), "\(error)")
        }
    }

    func testAsyncSavesEqualSynchronousOnes() throws {
        func run(async: Bool) throws -> (URL, [String]) {
            let dir = try makeTemporaryDirectory(async ? "async" : "sync")
            var options = fixtureOptions(maxSteps: 6, runDirectory: dir, everyNSteps: 2)
            options.checkpoint.asynchronous = async
            options.checkpoint.keepLast = nil
            try TrainerFixture().trainer(options).fit()
            return (dir, try checkpointNames(dir))
        }
        let (a, namesA) = try run(async: true)
        let (s, namesS) = try run(async: false)
        XCTAssertEqual(namesA, namesS)
        XCTAssertEqual(namesA.count, 3)
        for name in namesA {
            let ca = try CheckpointStore.load(from: a.appendingPathComponent("checkpoints/" + name))
            let cs = try CheckpointStore.load(from: s.appendingPathComponent("checkpoints/" + name))
            assertSameBits(bitPatterns(ca.model.pairs), bitPatterns(cs.model.pairs), name)
            assertSameBits(optimizerBits(try XCTUnwrap(ca.optimizer).state), optimizerBits(try XCTUnwrap(cs.optimizer).state), name)
        }
    }

    func testEveryNSecondsSavesByTime() throws {
        let run = try makeTemporaryDirectory("seconds")
        var options = fixtureOptions(maxSteps: 5, runDirectory: run, everyNSteps: nil)
        options.checkpoint.everyNSeconds = 0.05
        options.checkpoint.keepLast = nil
        options.checkpoint.saveOnEnd = false
        let trainer = try TrainerFixture().trainer(options)
        final class Sleep: TrainerCallback {
            func onStepEnd(_ trainer: Trainer, metrics: StepMetrics) { if metrics.globalStep == 2 { usleep(120_000) } }
        }
        trainer.callbacks.append(Sleep())
        try trainer.fit()
        // Only the step after the pause is due (steps themselves take far less than 50 ms here).
        let steps = try checkpointNames(run).map { try CheckpointStore.readTrainerState(run.appendingPathComponent("checkpoints/" + $0)).globalStep }
        XCTAssertTrue(steps.contains(2), "\(steps)")
        options.checkpoint.everyNSeconds = 0
        XCTAssertThrowsError(try TrainerFixture().trainer(options))
    }

    func testOverriddenLearningRateReplacesTheRestoredOneAndIsLogged() throws {
        let run = try makeTemporaryDirectory("override")
        let options = fixtureOptions(maxSteps: 3, runDirectory: run, everyNSteps: 3)
        let first = TrainerFixture()
        try first.trainer(options).fit()
        let restoredLR = first.optimizer.paramGroups[0].lr

        var more = options
        more.maxSteps = 5
        let f = TrainerFixture()
        f.optimizer.paramGroups[0].options["lr"] = .double(0.0005)  // what `--set optimizer.lr=0.0005` configures
        let trainer = try f.trainer(more)
        trainer.overriddenHyperparameters = ["lr"]
        try trainer.fit(resume: .required)
        XCTAssertEqual(trainer.hyperparameterChanges, ["lr \(HyperValue.double(restoredLR)) -> 0.0005"])
        let log = try logText(run).split(separator: "\n")
        XCTAssertEqual(log[3], "{\"kind\":\"override\",\"step\":3,\"epoch\":0,\"lr\":0.0005}")
        XCTAssertTrue(log[4].contains("\"lr\":0.0005"), String(log[4]))

        // Without the override the checkpoint's LR wins, as with torch's load_state_dict.
        let run2 = try makeTemporaryDirectory("no-override")
        try TrainerFixture().trainer(fixtureOptions(maxSteps: 3, runDirectory: run2, everyNSteps: 3)).fit()
        let g = TrainerFixture()
        g.optimizer.paramGroups[0].options["lr"] = .double(0.0005)
        let plain = try g.trainer(fixtureOptions(maxSteps: 4, runDirectory: run2, everyNSteps: 3))
        try plain.fit(resume: .required)
        XCTAssertTrue(plain.hyperparameterChanges.isEmpty)
        XCTAssertEqual(g.optimizer.paramGroups[0].lr, restoredLR)
        XCTAssertEqual(RunLauncher.overriddenHyperparameters(["optimizer.lr=1e-4", "training.epochs=3", "optimizer.name=sgd",
                                                              "optimizer.weight_decay = 0.1"]), ["lr", "weight_decay"])
    }
}
