import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
import Checkpoint
import Data
import Training

/// Runs a closure after a chosen step (e.g. to add images mid-run or to interrupt).
private final class StepHook: TrainerCallback {
    let step: Int
    let body: (Trainer) throws -> Void
    init(step: Int, _ body: @escaping (Trainer) throws -> Void) {
        self.step = step
        self.body = body
    }
    func onStepEnd(_ trainer: Trainer, metrics: StepMetrics) {
        if metrics.globalStep == step { try! body(trainer) }
    }
}

final class TrainerRescanTests: XCTestCase {
    /// A 3-class run over `folder` that lists it again before every epoch.
    func config(_ folder: URL, epochs: Int = 3) throws -> RunConfig {
        try RunConfig.parse(yaml: """
        seed: 9
        model:
          input: [1, 8, 8]
          layers: [{conv2d: {out: 2, kernel: 3, padding: 1}}, relu, flatten, {dropout: 0.2}, {linear: {out: 3}}]
        data: {train: {image_folder: \(folder.path), rescan: every_epoch}, batch_size: 4, prefetch: 0}
        optimizer: {name: adam, lr: 0.01}
        training: {epochs: \(epochs), log_every_n_steps: 1}
        checkpoint: {every_n_steps: 1, keep_last: 2}
        """)
    }

    func testRescanPicksUpAddedImagesAndLeavesNewClassFoldersOut() throws {
        let root = try makeTemporaryDirectory("rescan")
        let folder = root.appendingPathComponent("train")
        try ShapesDataset.draw(to: folder, perClass: 4, size: 8, seed: 1)
        let trainer = try RunLauncher.makeTrainer(config: config(folder), runDirectory: root.appendingPathComponent("run"),
                                                  progress: false)
        var seen: [Int] = []
        final class Sizes: TrainerCallback {
            var record: (Int) -> Void
            init(_ record: @escaping (Int) -> Void) { self.record = record }
            func onEpochEnd(_ trainer: Trainer, epoch: Int, metrics: [String: Double]) { record(trainer.loader.sources[0].count) }
        }
        trainer.callbacks.append(StepHook(step: 2) { _ in
            // Arrives mid-epoch 0: used from epoch 1 on; the new class has no output in this model.
            try ShapesDataset.draw(to: folder, classes: ["circle", "square"], perClass: 2, size: 8, seed: 1, startIndex: 4)
            try ShapesDataset.draw(to: folder, classes: ["cross"], perClass: 3, size: 8, seed: 1)
        })
        trainer.callbacks.append(Sizes { seen.append($0) })
        let result = try trainer.fit()
        // Epoch 0: 12 images = 3 batches; epochs 1 and 2: 16 images = 4 batches each (cross left out).
        XCTAssertEqual(result.globalStep, 3 + 4 + 4)
        XCTAssertEqual(seen, [16, 16, 16], "sizes seen at each epoch end (after its rescan)")
        let folderNow = try XCTUnwrap(trainer.loader.sources[0] as? ImageFolder)
        XCTAssertEqual(folderNow.classMap.names, ["circle", "square", "triangle"], "classes keep their indices")
        XCTAssertEqual(folderNow.classCounts, [6, 6, 4])
        let state = try CheckpointStore.readTrainerState(try XCTUnwrap(result.lastCheckpoint))
        XCTAssertEqual(state.extra["train_files"]?.arrayValue?.count, 16)
    }

    func testMidEpochResumeAfterRescanIsBitIdentical() throws {
        let root = try makeTemporaryDirectory("rescan-resume")
        func run(_ name: String, interruptAt: Int?) throws -> (Module, Optimizer, String) {
            let folder = root.appendingPathComponent(name + "-data")
            try ShapesDataset.draw(to: folder, perClass: 4, size: 8, seed: 1)
            let dir = root.appendingPathComponent(name)
            let more = { try ShapesDataset.draw(to: folder, classes: ["triangle"], perClass: 4, size: 8, seed: 1, startIndex: 4) }
            let late = { try ShapesDataset.draw(to: folder, classes: ["square"], perClass: 2, size: 8, seed: 1, startIndex: 4) }
            var trainer = try RunLauncher.makeTrainer(config: config(folder), runDirectory: dir, progress: false)
            trainer.callbacks.append(StepHook(step: 1) { _ in try more() })  // seen from epoch 1 (4 batches)
            if let k = interruptAt {
                trainer.callbacks.append(StepHook(step: k) { $0.requestStop() })
                XCTAssertEqual(try trainer.fit().stopReason, .interrupted)
                // Images arriving while the run is down must not change the interrupted epoch.
                try late()
                trainer = try RunLauncher.makeTrainer(config: config(folder), runDirectory: dir, progress: false)
                XCTAssertEqual(trainer.loader.sources[0].count, 18, "a fresh listing sees every file")
                let result = try trainer.fit(resume: .required)
                XCTAssertNotNil(result.resumedFrom)
            } else {
                trainer.callbacks.append(StepHook(step: 5) { _ in try late() })
                try trainer.fit()
            }
            return (trainer.model, trainer.optimizer, try logText(dir))
        }
        let (m1, o1, log1) = try run("straight", interruptAt: nil)
        let (m2, o2, log2) = try run("resumed", interruptAt: 5)  // epoch 1, batch 2 of 4
        assertSameBits(bitPatterns(m1.stateDict().pairs), bitPatterns(m2.stateDict().pairs), "weights")
        assertSameBits(optimizerBits(o1.state), optimizerBits(o2.state), "optimizer state")
        XCTAssertEqual(log1, log2)
        XCTAssertEqual(log1.split(separator: "\n").count, 3 + 4 + 5, "epoch 2 has 18 images = 5 batches")
    }

    func testMoreClassFoldersThanOutputsIsAnErrorNamingTheClass() throws {
        let root = try makeTemporaryDirectory("extra-class")
        let folder = root.appendingPathComponent("train")
        try ShapesDataset.draw(to: folder, classes: ["circle", "square", "triangle", "star"], perClass: 4, size: 8, seed: 1)
        var cfg = try config(folder)
        cfg.data.train = try RunConfig.parse(yaml: """
        seed: 9
        model: {input: [1, 8, 8], layers: [flatten, {linear: {out: 3}}]}
        data: {train: {image_folder: \(folder.path)}, batch_size: 16, shuffle: false, prefetch: 0}
        optimizer: {name: sgd, lr: 0.1}
        training: {max_steps: 1}
        """).data.train
        let trainer = try RunLauncher.makeTrainer(config: cfg, runDirectory: root.appendingPathComponent("run"), progress: false)
        XCTAssertThrowsError(try trainer.fit()) { error in
            guard case let .labelOutOfRange(label, name, outputs, _)? = error as? TrainerError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(label, 3)
            XCTAssertEqual(name, "triangle", "sorted: circle, square, star, triangle")
            XCTAssertEqual(outputs, 3)
            XCTAssertTrue("\(error)".contains("cairn finetune"), "\(error)")
        }
    }

    func testResumeKeepsClassIndicesWhenAFolderThatSortsFirstAppears() throws {
        let root = try makeTemporaryDirectory("renumber")
        let folder = root.appendingPathComponent("train")
        try ShapesDataset.draw(to: folder, perClass: 4, size: 8, seed: 1)
        let run = root.appendingPathComponent("run")
        let cfg = try config(folder, epochs: 1)
        try RunLauncher.makeTrainer(config: cfg, runDirectory: run, progress: false).fit()
        // "cross" sorts between circle and square: a fresh sorted listing would renumber square and triangle.
        try ShapesDataset.draw(to: folder, classes: ["cross"], perClass: 4, size: 8, seed: 1)
        var more = cfg
        more.training.epochs = 2
        let naive = try RunLauncher.makeTrainer(config: more, runDirectory: run, progress: false)
        XCTAssertThrowsError(try naive.fit(resume: .required)) { error in
            XCTAssertTrue("\(error)".contains("extra.class_map"), "\(error)")
        }
        let saved = try XCTUnwrap(try RunLauncher.savedClassMap(runDirectory: run))
        XCTAssertEqual(saved.names, ["circle", "square", "triangle"])
        let trainer = try RunLauncher.makeTrainer(config: more, runDirectory: run, progress: false, classMap: saved)
        XCTAssertEqual(try trainer.fit(resume: .required).stopReason, .epochs)
        let used = try XCTUnwrap(trainer.loader.sources[0] as? ImageFolder)
        XCTAssertEqual(used.classMap.names, ["circle", "square", "triangle"], "the new folder is left out, nothing renumbered")
        XCTAssertEqual(used.count, 12)
    }

    func testRescanNeedsAnImageFolder() {
        let f = TrainerFixture()
        var options = fixtureOptions(maxSteps: 2, runDirectory: nil)
        options.rescanEveryEpoch = true
        XCTAssertThrowsError(try f.trainer(options)) { error in
            XCTAssertTrue("\(error)".contains("image folder"), "\(error)")
        }
    }
}
