import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
import Checkpoint
import Data
import Training

/// A trained 3-class base run on tiny shape images and a 5-class fine-tune config over it.
struct FineTuneFixture {
    let root: URL
    let baseTrain: URL
    let newTrain: URL
    let newVal: URL
    let baseRun: URL

    static let model = """
    model:
      input: [1, 8, 8]
      layers:
        - conv2d: {out: 2, kernel: 3, padding: 1}
        - batchnorm2d
        - relu
        - flatten
        - linear: {out: 3}
    """

    init() throws {
        root = try makeTemporaryDirectory("finetune")
        baseTrain = root.appendingPathComponent("base/train")
        newTrain = root.appendingPathComponent("new/train")
        newVal = root.appendingPathComponent("new/val")
        baseRun = root.appendingPathComponent("base/run")
        try ShapesDataset.draw(to: baseTrain, perClass: 4, size: 8, seed: 1)
        let five = ["circle", "square", "triangle", "cross", "ring"]
        try ShapesDataset.draw(to: newTrain, classes: five, perClass: 3, size: 8, seed: 2)
        try ShapesDataset.draw(to: newVal, classes: five, perClass: 2, size: 8, seed: 3)
        let base = try RunConfig.parse(yaml: """
        seed: 3
        \(Self.model)
        data: {train: {image_folder: \(baseTrain.path)}, batch_size: 4, prefetch: 0}
        optimizer: {name: adam, lr: 0.01}
        training: {max_steps: 3}
        checkpoint: {every_n_steps: 3}
        """)
        try RunLauncher.makeTrainer(config: base, runDirectory: baseRun, progress: false).fit()
    }

    /// The fine-tune config; `finetune` lines are spliced into the section.
    func config(_ finetune: String, training: String = "{max_steps: 2}") throws -> RunConfig {
        try RunConfig.parse(yaml: """
        seed: 5
        \(Self.model)
        data: {train: {image_folder: \(newTrain.path)}, val: {image_folder: \(newVal.path)}, batch_size: 4, prefetch: 0}
        optimizer: {name: adam, lr: 0.01}
        training: \(training)
        checkpoint: {every_n_steps: 2}
        finetune:
          from: \(baseRun.path)/checkpoints/latest
          head: {layer: 4, classes: 5, keep_old_rows: true}
        \(finetune)
        """)
    }

    /// The base run's newest checkpoint directory.
    var latest: URL { get throws { try FineTuner.resolve(baseRun.path + "/checkpoints/latest") } }
}

final class FineTunerTests: XCTestCase {
    func testHeadReplacementKeepsOldLogitsExactly() throws {
        let f = try FineTuneFixture()
        let base = try TrainedModel(path: f.latest.path)
        let tuner = try FineTuner(config: f.config(""), trainClasses: ["circle", "cross", "ring", "square", "triangle"])
        XCTAssertEqual(tuner.classMap?.names, ["circle", "square", "triangle", "cross", "ring"])
        XCTAssertEqual(tuner.oldClassCount, 3)
        tuner.model.eval()
        let folder = try ImageFolder(root: f.baseTrain, config: base.imageConfig!)
        var xs: [Tensor] = []
        for i in 0..<folder.count { xs.append(try folder.example(at: i).input.reshaped([1, 1, 8, 8])) }
        let x = Tensor.concatenate(xs, axis: 0)
        let old = GradMode.noGrad { base.model(x) }.toArray()
        let new = GradMode.noGrad { tuner.model(x) }.toArray()
        XCTAssertEqual(old.count, folder.count * 3)
        XCTAssertEqual(new.count, folder.count * 5)
        for r in 0..<folder.count {
            XCTAssertEqual(Array(new[(r * 5)..<(r * 5 + 3)]).map(\.bitPattern), Array(old[(r * 3)..<(r * 3 + 3)]).map(\.bitPattern), "row \(r)")
        }
        XCTAssertNotEqual(Array(new[3..<5]), [0, 0], "new rows must be initialized, not zero")
    }

    func testFrozenParametersAreBitUnchangedAfterTraining() throws {
        let f = try FineTuneFixture()
        let cfg = try f.config("""
          freeze: ["0.*", "1.*"]
          freeze_batchnorm_stats: true
          lr: {backbone: 0.001, head: 0.05}
        """)
        let (trainer, tuner) = try FineTuner.makeTrainer(config: cfg, runDirectory: nil, progress: false, handleSignals: false)
        XCTAssertEqual(tuner.frozen, ["0.weight", "0.bias", "1.weight", "1.bias"])
        XCTAssertEqual(Set(tuner.optimizer.namedParameters.map(\.0)), ["4.weight", "4.bias"])
        XCTAssertEqual(tuner.optimizer.paramGroups.map(\.lr), [0.05])
        let frozenKeys = Set(tuner.frozen + ["1.running_mean", "1.running_var"])
        let before = bitPatterns(tuner.model.stateDict().pairs.filter { frozenKeys.contains($0.0) })
        let headBefore = tuner.model.stateDict()["4.weight"]!.toArray()
        try trainer.fit()
        let after = bitPatterns(tuner.model.stateDict().pairs.filter { frozenKeys.contains($0.0) })
        XCTAssertEqual(before.count, 6)
        assertSameBits(before, after, "frozen tensors")
        XCTAssertNotEqual(tuner.model.stateDict()["4.weight"]!.toArray(), headBefore, "the head trains")
    }

    func testAFreezePatternMatchingNothingIsAnError() throws {
        let f = try FineTuneFixture()
        XCTAssertThrowsError(try FineTuner(config: f.config("  freeze: [\"conv.*\"]\n"), trainClasses: nil)) { error in
            XCTAssertTrue("\(error)".contains("'conv.*' matches no parameter"), "\(error)")
            XCTAssertTrue("\(error)".contains("0.weight"), "\(error)")
        }
    }

    func testCarriedAdamMomentsEqualTheSavedOnes() throws {
        let f = try FineTuneFixture()
        let tuner = try FineTuner(config: f.config("  optimizer_state: carry\n"), trainClasses: nil)
        let report = try XCTUnwrap(tuner.optimizerReport)
        XCTAssertEqual(Set(report.carried), ["0.weight", "0.bias", "1.weight", "1.bias"])
        XCTAssertEqual(Set(report.mismatched), ["4.weight", "4.bias"])
        let saved = try XCTUnwrap(CheckpointStore.load(from: f.latest).optimizer).state
        let carried = Set(report.carried)
        let want = optimizerBits(saved.filter { carried.contains($0.key) })
        let got = optimizerBits(tuner.optimizer.state.filter { carried.contains($0.key) })
        XCTAssertFalse(want.isEmpty)
        assertSameBits(want, got, "carried Adam state")
        XCTAssertNil(try FineTuner(config: f.config(""), trainClasses: nil).optimizerReport, "reset is the default")
    }

    func testCarriesAdamStateFromAPyTorchTrainingDictWithoutParamNames() throws {
        let f = try FineTuneFixture()
        let saved = try CheckpointStore.load(from: f.latest)
        var osd = OptimizerConversion.stateDict(try XCTUnwrap(saved.optimizer))
        // torch before 2.5 writes no param_names: indices map to names through the model's order.
        for g in osd.paramGroups.indices { osd.paramGroups[g]["param_names"] = nil }
        osd.names = [:]
        let value = CheckpointValue.dict([
            (key: .string("model_state_dict"), value: TorchCheckpointLayout.value(from: saved.model)),
            (key: .string("optimizer_state_dict"), value: TorchCheckpointLayout.value(from: osd)),
            (key: .string("epoch"), value: .int(1)),
        ])
        let file = f.root.appendingPathComponent("seed-script.pth")
        try TorchFile.write(value, to: file, fsync: false)
        var cfg = try f.config("  optimizer_state: carry\n")
        cfg.finetune!.from = file.path
        let tuner = try FineTuner(config: cfg, trainClasses: nil)
        let report = try XCTUnwrap(tuner.optimizerReport)
        XCTAssertEqual(Set(report.carried), ["0.weight", "0.bias", "1.weight", "1.bias"])
        XCTAssertEqual(Set(report.mismatched), ["4.weight", "4.bias"], "the grown head starts fresh")
        let carried = Set(report.carried)
        assertSameBits(optimizerBits(try XCTUnwrap(saved.optimizer).state.filter { carried.contains($0.key) }),
                       optimizerBits(tuner.optimizer.state.filter { carried.contains($0.key) }), "carried from .pth")
    }

    func testForgettingIsLoggedAndItsBaselineSurvivesResume() throws {
        let f = try FineTuneFixture()
        let run = f.root.appendingPathComponent("ft-resume")
        let cfg = try f.config("", training: "{epochs: 2}")
        let (t1, tuner1) = try FineTuner.makeTrainer(config: cfg, runDirectory: run, progress: false, handleSignals: false)
        let m1 = ForgettingMonitor(oldClassCount: try XCTUnwrap(tuner1.oldClassCount), data: try XCTUnwrap(t1.valData))
        final class StopAfterFirstEpoch: TrainerCallback {
            func onEpochEnd(_ trainer: Trainer, epoch: Int, metrics: [String: Double]) { trainer.requestStop() }
        }
        t1.callbacks += [m1, StopAfterFirstEpoch()]
        XCTAssertEqual(try t1.fit().stopReason, .interrupted)
        let before = try XCTUnwrap(m1.oldAccuracyBefore)

        let (t2, tuner2) = try FineTuner.makeTrainer(config: cfg, runDirectory: run, progress: false, handleSignals: false)
        let m2 = ForgettingMonitor(oldClassCount: try XCTUnwrap(tuner2.oldClassCount), data: try XCTUnwrap(t2.valData))
        t2.callbacks.append(m2)
        XCTAssertEqual(try t2.fit(resume: .required).stopReason, .epochs)
        XCTAssertEqual(m2.oldAccuracyBefore, before, "the baseline comes from the checkpoint, not the resumed model")
        let records = try logText(run).split(separator: "\n").filter { $0.contains("\"kind\":\"forgetting\"") }
        XCTAssertEqual(records.count, 2, "one forgetting record per epoch")
        XCTAssertTrue(records.allSatisfy { $0.contains("\"forgetting\":") && $0.contains("\"val_new_accuracy\":") }, "\(records)")
    }

    func testRehearsalRatioReachesTheLoaderAndL2SPStartsAtZero() throws {
        let f = try FineTuneFixture()
        let cfg = try f.config("""
          rehearsal: {data: {image_folder: \(f.baseTrain.path)}, ratio: 0.25}
          l2sp: 0.5
        """)
        let (trainer, tuner) = try FineTuner.makeTrainer(config: cfg, runDirectory: nil, progress: false, handleSignals: false)
        XCTAssertEqual(trainer.loader.rehearsalRatio, 0.25)
        XCTAssertEqual(trainer.loader.sources.count, 2)
        XCTAssertEqual(trainer.loader.sources[1].count, 12)
        let reg = try XCTUnwrap(trainer.regularizer)
        XCTAssertEqual(reg().item, 0)
        XCTAssertEqual(Set(tuner.startWeights.map(\.0)), ["0.weight", "0.bias", "1.weight", "1.bias"])
        try trainer.fit()
        XCTAssertGreaterThan(reg().item, 0, "weights moved away from the start")
    }

    func testForgettingIsReportedAndClassMapIsCheckpointed() throws {
        let f = try FineTuneFixture()
        let run = f.root.appendingPathComponent("ft-run")
        let (trainer, tuner) = try FineTuner.makeTrainer(config: f.config("", training: "{epochs: 1}"), runDirectory: run,
                                                         progress: false, handleSignals: false)
        let monitor = ForgettingMonitor(oldClassCount: try XCTUnwrap(tuner.oldClassCount), data: try XCTUnwrap(trainer.valData))
        trainer.callbacks.append(monitor)
        let result = try trainer.fit()
        let before = try XCTUnwrap(monitor.oldAccuracyBefore)
        XCTAssertEqual(monitor.history.count, 1)
        let m = monitor.history[0].metrics
        let old = try XCTUnwrap(m["val_old_accuracy"])
        XCTAssertNotNil(m["val_new_accuracy"])
        XCTAssertEqual(try XCTUnwrap(m["forgetting"]), before - old)
        let (o, _) = try monitor.accuracies(trainer)
        XCTAssertEqual(o, old)
        let state = try CheckpointStore.readTrainerState(try XCTUnwrap(result.lastCheckpoint))
        XCTAssertEqual(try FineTuner.classMap(in: state)?.names, ["circle", "square", "triangle", "cross", "ring"])
        let reloaded = try TrainedModel(path: run.path + "/checkpoints/latest")
        XCTAssertEqual(reloaded.spec, try f.config("").modelSpec)
        let baseState = try CheckpointStore.readTrainerState(try f.latest)
        XCTAssertEqual(try FineTuner.classMap(in: baseState)?.names, ["circle", "square", "triangle"])
    }
}

final class FineTunerSourceTests: XCTestCase {
    func testStartsFromAnExportedSafetensorsFileWithItsClassMap() throws {
        let f = try FineTuneFixture()
        let base = try TrainedModel(path: f.latest.path)
        let file = f.root.appendingPathComponent("base.safetensors")
        let map = String(decoding: try JSONEncoder().encode(try XCTUnwrap(base.classMap)), as: UTF8.self)
        try ModelFile.export(model: base.model, spec: base.spec, to: file, extraMetadata: [FineTuner.classMapMetadataKey: map],
                             fsync: false)
        var cfg = try f.config("")
        cfg.finetune!.from = file.path
        let tuner = try FineTuner(config: cfg, trainClasses: ["cross", "circle"])
        XCTAssertEqual(tuner.classMap?.names, ["circle", "square", "triangle", "cross"])
        XCTAssertEqual(Set(tuner.loadReport.loaded), Set(base.model.stateDict().keys))
        XCTAssertEqual(tuner.model.stateDict()["0.weight"]!.toArray(), base.model.stateDict()["0.weight"]!.toArray())
        XCTAssertThrowsError(try FineTuner.readSource(f.root.appendingPathComponent("missing.safetensors").path))
    }

    func testStartsFromATrainingDictPthWithDataParallelPrefixAndSelect() throws {
        let f = try FineTuneFixture()
        let base = try TrainedModel(path: f.latest.path)
        let prefixed = StateDict(base.model.stateDict().pairs.map { ("module." + $0.0, $0.1) })
        let value = CheckpointValue.dict([(key: .string("model_state_dict"), value: TorchCheckpointLayout.value(from: prefixed)),
                                          (key: .string("epoch"), value: .int(3))])
        let file = f.root.appendingPathComponent("base.pth")
        try TorchFile.write(value, to: file, fsync: false)
        var cfg = try f.config("  select: [\"0.*\"]\n  strict: false\n")
        cfg.finetune!.from = file.path
        let tuner = try FineTuner(config: cfg, trainClasses: nil)
        XCTAssertEqual(Set(tuner.loadReport.loaded), ["0.weight", "0.bias"])
        XCTAssertEqual(tuner.model.stateDict()["0.weight"]!.toArray(), base.model.stateDict()["0.weight"]!.toArray())
        XCTAssertNil(tuner.classMap, "a .pth names no classes")
    }
}
