import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
import CairnTestSupport
@testable import Checkpoint

/// One-file `.pth` checkpoints: Cairn model + optimizer out to torch's layouts and back.
final class SingleFileCheckpointTests: XCTestCase {
    /// Linear(4,3) + BatchNorm1d(3) + Linear(3,2) trained `steps` Adam steps on fixed data.
    private func trained(steps: Int, seed: UInt64 = 7) -> (Sequential, Adam) {
        var rng = RandomGenerator(seed: seed)
        let model = Sequential(Linear(4, 3, rng: &rng), BatchNorm1d(3), ReLU(), Linear(3, 2, rng: &rng))
        let opt = Adam(model.namedParameters(), lr: 1e-2)
        for s in 0..<steps {
            opt.zeroGrad()
            let x = testTensor([5, 4], seed: UInt64(10 + s)), y = testTensor([5, 2], seed: UInt64(20 + s))
            MSELoss()(model(x), y).backward()
            opt.step()
        }
        return (model, opt)
    }

    private func bitsEqual(_ a: Tensor, _ b: Tensor) -> Bool {
        a.dtype == b.dtype && a.shape == b.shape && doubles(a).map(\.bitPattern) == doubles(b).map(\.bitPattern)
    }

    func testWriteAndReadBackEverything() throws {
        let (model, opt) = trained(steps: 3)
        let ckpt = SingleFileCheckpoint(model: model.stateDict(), optimizer: opt.stateDict(), epoch: 3, loss: 0.125,
                                        extra: [(key: "note", value: "cairn"), (key: "history", value: [1.5, 0.5])])
        XCTAssertEqual(ckpt.value.stringKeys, ["epoch", "model_state_dict", "optimizer_state_dict", "loss", "note", "history"])
        let url = try temporaryDirectory(self).appendingPathComponent("ckpt.pth")
        try ckpt.write(to: url, fsync: false)

        let back = try SingleFileCheckpoint.read(contentsOf: url)
        XCTAssertEqual(back.layout, .tutorial)
        XCTAssertEqual(back.epoch, 3)
        XCTAssertEqual(back.loss, 0.125)
        XCTAssertEqual(back.extra.map { $0.key.stringValue }, ["note", "history"])
        XCTAssertEqual(back.model.keys, model.stateDict().keys)
        for (k, t) in model.stateDict() { XCTAssertTrue(bitsEqual(back.model[k]!, t), k) }
        let saved = opt.stateDict(), loaded = try XCTUnwrap(back.optimizer)
        XCTAssertEqual(loaded.stateIndices, saved.stateIndices)
        XCTAssertTrue(loaded.paramGroups[0].isIdenticallyOrdered(to: saved.paramGroups[0]))
        for i in saved.stateIndices {
            XCTAssertEqual(loaded.state[i]!.keys, ["step", "exp_avg", "exp_avg_sq"])
            for (k, t) in saved.state[i]! { XCTAssertTrue(bitsEqual(loaded.state[i]![k]!, t), "\(i).\(k)") }
        }

        // Restoring into fresh objects continues training identically.
        let (model2, opt2) = trained(steps: 0, seed: 99)
        try back.restore(model: model2)
        XCTAssertTrue(try back.restore(optimizer: opt2))
        for m in [model, model2] { m.train() }
        let x = testTensor([5, 4], seed: 77), y = testTensor([5, 2], seed: 78)
        for (m, o) in [(model, opt), (model2, opt2)] as [(Sequential, Adam)] {
            o.zeroGrad(); MSELoss()(m(x), y).backward(); o.step()
        }
        for (k, t) in model.stateDict() { XCTAssertTrue(bitsEqual(model2.stateDict()[k]!, t), "after a step: \(k)") }
    }

    /// A Cairn Adam state dict is written with exactly torch.save's bytes (fixture adam.pt).
    func testCairnAdamStateIsByteIdenticalToTorch() throws {
        let params = [[2, 3], [2], [2], [2]].enumerated().map { ("p\($0.offset)", Parameter(Tensor(zeros: $0.element))) }
        let opt = Adam(params, lr: 1e-3)
        for (_, p) in params { p.setGrad(Tensor.ones(p.value.shape)) }
        opt.step()
        let value = TorchCheckpointLayout.value(from: opt.stateDict())
        let expected = try pthFixtureBytes("adam.pt")
        let torchID = try expected.withUnsafeBytes { raw -> String in
            let z = try ZipReader(bytes: raw, file: "adam.pt")
            return String(decoding: try z.contents(of: z.entry(named: "adam/.data/serialization_id")!), as: UTF8.self)
        }
        let bytes = try TorchFile.serialize(value, archiveName: "adam", serializationID: torchID)
        XCTAssertTrue(bytes == expected, "Cairn's Adam state dict differs from torch.save's adam.pt")
    }

    /// A Cairn state dict is written as torch writes an OrderedDict state dict (without `_metadata`).
    func testCairnStateDictMatchesTheWorkedExample() throws {
        let sd = StateDict([("w", Tensor([0, 1, 2, 3, 4, 5], shape: [2, 3])), ("b", Tensor([1, 2]))])
        let bytes = try TorchFile.serialize(TorchCheckpointLayout.value(from: sd), archiveName: "small",
                                            serializationID: "0561108523619670529406910244592177894872")
        XCTAssertEqual(bytes, try pthFixtureBytes("small.pt"))
    }

    func testReadsModelOptimizerLayout() throws {
        let c = try SingleFileCheckpoint.read(contentsOf: pthFixture("checkpoint.pt"))
        XCTAssertEqual(c.layout, .modelOptimizer)
        XCTAssertEqual(c.epoch, 3)
        XCTAssertNil(c.loss)
        XCTAssertEqual(c.model.keys.count, 7)
        XCTAssertEqual(c.model["1.running_mean"]?.toArray(), [0.25, 0.75])
        let o = try XCTUnwrap(c.optimizer)
        XCTAssertEqual(o.stateIndices, [0, 1, 2, 3])
        XCTAssertEqual(try o.paramIndices(group: 0), [0, 1, 2, 3])
        XCTAssertEqual(o.paramGroups[0]["weight_decay"], .int(0))
        XCTAssertEqual(o.paramGroups[0]["betas"], .tuple([0.9, 0.999]))
        XCTAssertEqual(c.extra.map { $0.key.stringValue }, ["lr", "name", "ok", "none", "steps"])
    }

    func testReadsBareStateDict() throws {
        let c = try SingleFileCheckpoint.read(contentsOf: pthFixture("model_bn.pt"))
        XCTAssertEqual(c.layout, .stateDict)
        XCTAssertNil(c.optimizer)
        XCTAssertEqual(c.model["1.num_batches_tracked"]?.dtype, .int64)
    }

    func testReadsLightningLayoutAndStripsPrefix() throws {
        let (model, opt) = trained(steps: 2)
        let prefixed = StateDict(model.stateDict().pairs.map { ("model." + $0.0, $0.1) })
        let v: CheckpointValue = [
            "epoch": 4, "global_step": 120, "pytorch-lightning_version": "2.1.0",
            "state_dict": TorchCheckpointLayout.value(from: prefixed),
            "loops": ["fit_loop": ["state_dict": [:]]],
            "optimizer_states": [TorchCheckpointLayout.value(from: opt.stateDict())],
            "lr_schedulers": [],
        ]
        XCTAssertEqual(TorchCheckpointLayout.kind(of: v), .lightning)
        let back = try SingleFileCheckpoint(TorchFile.deserialize(TorchFile.serialize(v)))
        XCTAssertEqual(back.layout, .lightning)
        XCTAssertEqual(back.strippedPrefix, "model.")
        XCTAssertEqual(back.model.keys, model.stateDict().keys)
        XCTAssertEqual(back.epoch, 4)
        XCTAssertEqual(back.globalStep, 120)
        XCTAssertEqual(back.optimizer?.stateIndices, opt.stateDict().stateIndices)
        XCTAssertEqual(back.extra.map { $0.key.stringValue }, ["pytorch-lightning_version", "loops", "lr_schedulers"])
        let (fresh, freshOpt) = trained(steps: 0, seed: 3)
        try back.restore(model: fresh)
        try back.restore(optimizer: freshOpt)
        for (k, t) in model.stateDict() { XCTAssertTrue(bitsEqual(fresh.stateDict()[k]!, t), k) }
    }

    func testStateDictWithPlainOptimizerKey() throws {
        let (model, opt) = trained(steps: 1)
        let v: CheckpointValue = ["epoch": 9, "state_dict": TorchCheckpointLayout.value(from: model.stateDict()),
                                  "optimizer": TorchCheckpointLayout.value(from: opt.stateDict()), "arch": "mlp"]
        let c = try SingleFileCheckpoint(v)
        XCTAssertEqual(c.layout, .lightning)
        XCTAssertEqual(c.epoch, 9)
        XCTAssertEqual(c.model.keys, model.stateDict().keys)
        XCTAssertEqual(c.optimizer?.stateIndices, opt.stateDict().stateIndices)
        XCTAssertEqual(c.extra.map { $0.key.stringValue }, ["arch"])
    }

    func testDataParallelPrefixIsStripped() throws {
        let (model, _) = trained(steps: 1)
        let dp = StateDict(model.stateDict().pairs.map { ("module." + $0.0, $0.1) })
        let c = try SingleFileCheckpoint(TorchCheckpointLayout.value(from: dp))
        XCTAssertEqual(c.layout, .stateDict)
        XCTAssertEqual(c.strippedPrefix, "module.")
        XCTAssertEqual(c.model.keys, model.stateDict().keys)
        // adaptKeys goes either way.
        XCTAssertEqual(TorchCheckpointLayout.adaptKeys(model.stateDict(), to: dp.keys).keys, dp.keys)
        XCTAssertEqual(TorchCheckpointLayout.adaptKeys(dp, to: model.stateDict().keys).keys, model.stateDict().keys)
    }

    func testStructureErrorsNameTheKey() {
        let bad: CheckpointValue = ["epoch": 1, "model_state_dict": ["0.weight": .tensor(Tensor([1])), "oops": "text"]]
        assertTorchFileError(try SingleFileCheckpoint(bad, file: "c.pth")) {
            $0 == .unexpectedStructure(file: "c.pth", key: "model_state_dict.oops", expected: "a tensor", found: "str")
        }
        assertTorchFileError(try SingleFileCheckpoint([1, 2], file: "c.pth")) {
            if case .unexpectedStructure("c.pth", "<root>", _, "list") = $0 { return true }
            return false
        }
        let badOpt: CheckpointValue = ["model_state_dict": [:], "optimizer_state_dict": ["state": [:], "param_groups": 3]]
        assertTorchFileError(try SingleFileCheckpoint(badOpt, file: "c.pth")) {
            if case .unexpectedStructure("c.pth", "optimizer_state_dict.param_groups", "a list", "int") = $0 { return true }
            return false
        }
    }

    func testLegacyNumericStepAndTensorLoss() throws {
        let v: CheckpointValue = [
            "model_state_dict": ["w": .tensor(Tensor([1, 2]))],
            "optimizer_state_dict": ["state": .dict([(key: 0, value: ["step": 5, "exp_avg": .tensor(Tensor([0.5, 0.5]))])]),
                                     "param_groups": [["lr": 0.1, "params": [0]]]],
            "loss": .tensor(Tensor(scalar: 0.75)),
        ]
        let c = try SingleFileCheckpoint(v)
        XCTAssertEqual(c.loss, 0.75)
        XCTAssertEqual(c.optimizer?.state[0]?["step"]?.toArray(), [5])
        XCTAssertEqual(c.optimizer?.state[0]?["step"]?.shape, [])
    }

    func testFlattenAndNest() throws {
        let c = try TorchFile.read(contentsOf: pthFixture("checkpoint.pt"))
        let flat = try c.flattenedTensors()
        XCTAssertEqual(flat.first?.key, "model.0.weight")
        XCTAssertTrue(flat.contains { $0.key == "optimizer.state.3.exp_avg_sq" })
        XCTAssertEqual(flat.count, 7 + 12)
        let leaves = try c.flattened()
        XCTAssertTrue(leaves.contains { $0.key == "steps.5" && $0.value.intValue == 1 << 40 })
        XCTAssertTrue(leaves.contains { $0.key == "optimizer.param_groups.0.betas.1" })
        let nested = CheckpointValue.nested([(key: "model.0.weight", value: .tensor(Tensor([1]))), (key: "epoch", value: 3)], levels: 1)
        XCTAssertEqual(nested["model"]?.stringKeys, ["0.weight"])
        XCTAssertEqual(nested["epoch"]?.intValue, 3)
        XCTAssertEqual(CheckpointValue.nested([(key: "a.b", value: 1)]).stringKeys, ["a.b"])
        assertTorchFileError(try CheckpointValue.dict([(key: "a.b", value: 1), (key: "a", value: ["b": 2])]).flattened()) {
            if case .unexpectedStructure(_, "a.b", _, _) = $0 { return true }
            return false
        }
    }
}
