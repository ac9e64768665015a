import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
@testable import Checkpoint
import CairnTestSupport

final class CheckpointTests: XCTestCase {
    /// A trained model, Adam, StepLR and advanced random streams.
    private func trainedRun(steps: Int = 3) -> (Sequential, Adam, StepLR, RNGStreams) {
        let model = makeModel(seed: 1)
        let opt = Adam(model.namedParameters(), lr: 0.01)
        let sched = StepLR(opt, stepSize: 2, gamma: 0.5)
        for s in 0..<steps { trainStep(model, opt, step: s); sched.step() }
        var streams = RNGStreams(seed: 42)
        streams.withStream(RNGStreams.shuffle) { g in _ = g.permutation(10) }
        streams.withStream(RNGStreams.augment) { g in _ = g.nextFloat() }
        return (model, opt, sched, streams)
    }

    func testCaptureIsASnapshotThatLaterStepsDoNotChange() {
        let (model, opt, _, _) = trainedRun()
        let ckpt = Checkpoint.capture(model: model, optimizer: opt)
        let modelBits = ckpt.model.map { bits($0.1) }
        let stateBits = ckpt.optimizer!.state.mapValues { s in s.tensors.map { bits($0.1) } }
        let steps = ckpt.optimizer!.state.mapValues(\.step)
        for s in 3..<6 { trainStep(model, opt, step: s) }
        // The live objects moved on …
        XCTAssertNotEqual(bits(model.stateDict()["0.weight"]!), modelBits[0])
        XCTAssertEqual(opt.state["0.weight"]?.step, 6)
        // … the snapshot did not.
        XCTAssertEqual(ckpt.model.map { bits($0.1) }, modelBits)
        XCTAssertEqual(ckpt.optimizer!.state.mapValues { s in s.tensors.map { bits($0.1) } }, stateBits)
        XCTAssertEqual(ckpt.optimizer!.state.mapValues(\.step), steps)
        XCTAssertEqual(steps["0.weight"], 3)
    }

    func testSaveLoadRestoreRoundTripIsBitExactAndResumesIdentically() throws {
        let dir = try makeTempDirectory(self).appendingPathComponent("step-3")
        let (model, opt, sched, streams) = trainedRun()
        let ckpt = Checkpoint.capture(model: model, optimizer: opt, schedulers: [sched], rng: streams, epoch: 1,
                                      globalStep: 3, metrics: ["loss": 0.25, "bad": .nan],
                                      loader: ["index": 17, "epoch_seed": 9], config: ["lr": 0.01, "model": "mlp"],
                                      extra: ["note": "hello", "best": 0.125])
        try CheckpointStore.save(ckpt, to: dir, fsync: false)

        let loaded = try CheckpointStore.load(from: dir)
        assertBitExact(loaded.model, model.stateDict())
        // NaN ≠ NaN, so the metrics compare separately.
        var a = loaded.trainerState, b = ckpt.trainerState
        XCTAssertTrue(a.metrics.removeValue(forKey: "bad")!.isNaN)
        XCTAssertTrue(b.metrics.removeValue(forKey: "bad")!.isNaN)
        XCTAssertEqual(a, b)
        XCTAssertEqual(loaded.optimizer?.typeName, "Adam")
        XCTAssertEqual(loaded.optimizer?.groups, ckpt.optimizer?.groups)
        assertSameOptimizerState(loaded.optimizer!.state, opt.state)

        // Restore into fresh objects built with another seed.
        let model2 = makeModel(seed: 99)
        let opt2 = Adam(model2.namedParameters(), lr: 0.5)
        let sched2 = StepLR(opt2, stepSize: 7, gamma: 0.9)
        let report = try loaded.restore(into: model2, optimizer: opt2, schedulers: [sched2])
        XCTAssertTrue(report.preflight.isEmpty)
        XCTAssertTrue(report.model.isClean)
        XCTAssertEqual(report.model.loaded, model.stateDict().keys)
        XCTAssertEqual(report.optimizer?.carried.sorted(), model.namedParameters().map(\.0).sorted())
        XCTAssertEqual(report.optimizer?.loadedHyperParameters, true)
        XCTAssertEqual(report.schedulersRestored, 1)
        XCTAssertEqual(report.moduleRNGRestored, ["3"])
        XCTAssertEqual((model2[3] as! Dropout).rng, (model[3] as! Dropout).rng)
        XCTAssertEqual(report.epoch, 1)
        XCTAssertEqual(report.globalStep, 3)

        assertBitExact(model2.stateDict(), model.stateDict())
        assertSameOptimizerState(opt2.state, opt.state)
        XCTAssertEqual(opt2.paramGroups[0].lr, opt.paramGroups[0].lr)
        XCTAssertEqual(sched2.stateDict(), sched.stateDict())
        XCTAssertEqual(sched2.lastLR, sched.lastLR)

        // Random streams: the next draw of every stream is equal.
        var restored = try XCTUnwrap(report.rng)
        var original = streams
        for name in [RNGStreams.shuffle, RNGStreams.augment, RNGStreams.dropout] {
            let a = original.withStream(name) { $0.nextUInt64() }
            let b = restored.withStream(name) { $0.nextUInt64() }
            XCTAssertEqual(a, b, name)
        }

        // Training on continues identically (dropout masks included).
        for s in 3..<5 {
            trainStep(model, opt, step: s); sched.step()
            trainStep(model2, opt2, step: s); sched2.step()
        }
        assertBitExact(model2.stateDict(), model.stateDict())
        assertSameOptimizerState(opt2.state, opt.state)
        XCTAssertEqual(sched2.lastLR, sched.lastLR)
    }

    func testOptimizerStateCarriesOverByNameWithAddedAndRemovedParameters() throws {
        // Old model: Linear → ReLU → Linear(8, 3). New model: the head replaced by a differently
        // named stack (old "2.*" gone, new "3.*" added), so "0.*" carries over.
        var rng = RandomGenerator(seed: 5)
        let old = Sequential(Linear(4, 8, rng: &rng), ReLU(), Linear(8, 3, rng: &rng))
        let oldOpt = Adam(old.namedParameters(), lr: 0.01)
        for s in 0..<2 { trainStep(old, oldOpt, step: s) }
        let ckpt = Checkpoint.capture(model: old, optimizer: oldOpt)

        let new = Sequential(Linear(4, 8, rng: &rng), ReLU(), Identity(), Linear(8, 3, rng: &rng))
        let newOpt = Adam(new.namedParameters(), lr: 0.01)
        let report = try ckpt.restore(into: new, optimizer: newOpt, policy: .nonStrict)

        XCTAssertEqual(report.model.loaded, ["0.weight", "0.bias"])
        XCTAssertEqual(report.model.missing, ["3.weight", "3.bias"])
        XCTAssertEqual(report.model.unexpected, ["2.weight", "2.bias"])
        XCTAssertEqual(report.preflight.newLayers, ["3"])
        XCTAssertEqual(report.preflight.removedLayers, ["2"])
        let o = try XCTUnwrap(report.optimizer)
        XCTAssertEqual(o.carried, ["0.weight", "0.bias"])
        XCTAssertEqual(o.fresh, ["3.weight", "3.bias"])
        XCTAssertEqual(o.dropped, ["2.bias", "2.weight"])
        XCTAssertEqual(newOpt.state["0.weight"]?.step, 2)
        XCTAssertEqual(newOpt.state["0.weight"]?["exp_avg"].map(bits), oldOpt.state["0.weight"]?["exp_avg"].map(bits))
        XCTAssertNil(newOpt.state["3.weight"])
        XCTAssertTrue(report.rendered().contains("fresh: 3.weight, 3.bias"))

        // The same through the directory format.
        let dir = try makeTempDirectory(self).appendingPathComponent("c")
        try CheckpointStore.save(ckpt, to: dir, fsync: false)
        let newOpt2 = Adam(new.namedParameters(), lr: 0.01)
        let r2 = try CheckpointStore.load(from: dir).restore(into: new, optimizer: newOpt2, policy: .nonStrict)
        XCTAssertEqual(r2.optimizer?.carried, ["0.weight", "0.bias"])
        XCTAssertEqual(r2.optimizer?.dropped, ["2.bias", "2.weight"])
    }

    func testStrictRestoreRejectsOptimizerAndSchedulerMismatchesBeforeTouchingTheModel() throws {
        let (model, opt, sched, _) = trainedRun()
        let ckpt = Checkpoint.capture(model: model, optimizer: opt, schedulers: [sched])
        let fresh = makeModel(seed: 7)
        let before = fresh.stateDict()
        let sgd = SGD(fresh.namedParameters(), lr: 0.1)
        XCTAssertThrowsError(try ckpt.restore(into: fresh, optimizer: sgd, schedulers: [])) { e in
            guard case CheckpointError.incompatible(let component, _)? = e as? CheckpointError else {
                return XCTFail("unexpected \(e)")
            }
            XCTAssertEqual(component, "optimizer")
        }
        assertBitExact(fresh.stateDict(), before)
        let adam = Adam(fresh.namedParameters())
        XCTAssertThrowsError(try ckpt.restore(into: fresh, optimizer: adam, schedulers: [])) { e in
            XCTAssertTrue("\(e)".contains("1 scheduler state(s), 0 scheduler(s)"), "\(e)")
        }
        assertBitExact(fresh.stateDict(), before)
        // Non-strict: the model loads, the mismatched parts are noted and skipped.
        let r = try ckpt.restore(into: fresh, optimizer: sgd, schedulers: [], policy: .nonStrict)
        XCTAssertNil(r.optimizer)
        XCTAssertEqual(r.notes.count, 2)
        assertBitExact(fresh.stateDict(), model.stateDict())
    }

    func testRestoreReportEncodesAsJSON() throws {
        let (model, opt, _, _) = trainedRun(steps: 1)
        let r = try Checkpoint.capture(model: model, optimizer: opt).restore(into: makeModel(seed: 3), optimizer: Adam(model.namedParameters()))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as? [String: Any]
        XCTAssertEqual((json?["optimizer"] as? [String: Any])?["carried"] as? [String], model.namedParameters().map(\.0))
        XCTAssertEqual(((json?["model"] as? [String: Any])?["loaded"] as? [String])?.count, model.stateDict().count)
    }
}
