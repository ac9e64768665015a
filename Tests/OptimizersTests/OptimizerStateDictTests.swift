import XCTest
import TensorCore
import NN
import Optimizers
import CairnTestSupport

final class OptimizerStateDictTests: XCTestCase {
    /// An Adam run on the `adam` fixture's parameters, stopped after `steps` steps.
    private func adamRun(steps: Int) throws -> (OptimizerFixture, Adam, [(String, Parameter)]) {
        let fx = try OptimizerFixture("adam")
        let params = fx.makeParameters()
        let opt = Adam(params, lr: 0.001)
        for k in 1...steps { fx.applyGradients(step: k, to: params); opt.step() }
        return (fx, opt, params)
    }

    func testExportHasTorchStructure() throws {
        let (fx, opt, _) = try adamRun(steps: 20)
        let sd = opt.stateDict()
        XCTAssertEqual(sd.stateIndices, [0, 1])
        XCTAssertEqual(sd.names, [0: "w", 1: "b"])
        for (i, n) in [(0, "w"), (1, "b")] {
            let e = sd.state[i]!
            XCTAssertEqual(e.keys, ["step", "exp_avg", "exp_avg_sq"])
            XCTAssertEqual(e["step"]!.shape, [])
            XCTAssertEqual(e["step"]!.dtype, .float32)
            XCTAssertEqual(e["step"]!.item, 20)
            assertClose(e["exp_avg"]!, fx.tensor("state.\(n).exp_avg"))
            assertClose(e["exp_avg_sq"]!, fx.tensor("state.\(n).exp_avg_sq"))
        }
        XCTAssertEqual(try sd.paramIndices(group: 0), [0, 1])
        XCTAssertEqual(sd.paramGroups[0]["lr"], .double(0.001))
    }

    func testRoundTripNameKeyedToTorchAndBack() throws {
        let (fx, opt, params) = try adamRun(steps: 10)
        let exported = opt.stateDict()

        // A fresh optimizer on copies of the parameters, loaded by position (torch semantics)...
        let copies = params.map { ($0.0, Parameter($0.1.value)) }
        let restored = Adam(copies, lr: 0.5)
        let report = try restored.load(stateDict: exported)
        XCTAssertEqual(report.carried, ["w", "b"])
        XCTAssertEqual(report.fresh, [])
        XCTAssertTrue(report.loadedHyperParameters)
        XCTAssertEqual(restored.paramGroups[0].lr, 0.001)
        for n in ["w", "b"] {
            XCTAssertEqual(restored.state[n]?.keys, opt.state[n]?.keys)
            XCTAssertEqual(restored.state[n]?.step, 10)
            for k in ["exp_avg", "exp_avg_sq"] {
                XCTAssertEqual(restored.state[n]?[k]?.toArray(), opt.state[n]?[k]?.toArray())
            }
        }
        // ...exports the same structure again...
        let again = restored.stateDict()
        XCTAssertEqual(again.paramGroups, exported.paramGroups)
        XCTAssertEqual(again.names, exported.names)
        // ...and continues to match PyTorch for the remaining steps.
        for k in 11...20 {
            fx.applyGradients(step: k, to: copies)
            restored.step()
            for (n, p) in copies { assertClose(p.value, fx.tensor("step.\(k).\(n)"), "resumed step \(k) \(n)") }
        }
        fx.checkFinalState(restored)
    }

    func testLoadByNameAfterRemovingAndAddingParameters() throws {
        let (_, opt, params) = try adamRun(steps: 5)
        let exported = opt.stateDict()
        // New model: "w" removed (e.g. frozen out of the optimizer), "b" kept, "head" added.
        let b = params[1].1, head = Parameter(Tensor(zeros: [2]))
        let newOpt = Adam([("head", head), ("b", b)], lr: 0.001)
        XCTAssertThrowsError(try newOpt.load(stateDict: exported)) { error in
            // By position (torch's rule) index 0 would be "head": the saved [3, 4] moments do not fit.
            XCTAssertEqual(error as? StateLoadError,
                           .shapeMismatch(parameter: "head", key: "exp_avg", expected: [2], found: [3, 4]))
        }
        let report = try newOpt.load(stateDict: exported, matching: .name)
        XCTAssertEqual(report.carried, ["b"])
        XCTAssertEqual(report.fresh, ["head"])
        XCTAssertEqual(report.dropped, ["w"])
        XCTAssertEqual(newOpt.state["b"]?.step, 5)
        XCTAssertNil(newOpt.state["head"])
    }

    func testPositionalLoadRejectsMismatchedGroupsAndShapes() throws {
        let (_, opt, _) = try adamRun(steps: 2)
        let exported = opt.stateDict()
        let one = Adam([("w", Parameter(Tensor(zeros: [3, 4])))])
        XCTAssertThrowsError(try one.load(stateDict: exported)) { error in
            XCTAssertEqual(error as? StateLoadError, .groupSizeMismatch(group: 0, expected: 1, found: 2))
        }
        let two = Adam(groups: [ParamGroup([("w", Parameter(Tensor(zeros: [3, 4])))]),
                                ParamGroup([("b", Parameter(Tensor(zeros: [4])))])])
        XCTAssertThrowsError(try two.load(stateDict: exported)) { error in
            XCTAssertEqual(error as? StateLoadError, .groupCountMismatch(expected: 2, found: 1))
        }
        let wrongShape = Adam([("w", Parameter(Tensor(zeros: [4, 3]))), ("b", Parameter(Tensor(zeros: [4])))])
        XCTAssertThrowsError(try wrongShape.load(stateDict: exported)) { error in
            XCTAssertEqual(error as? StateLoadError,
                           .shapeMismatch(parameter: "w", key: "exp_avg", expected: [4, 3], found: [3, 4]))
            XCTAssertTrue("\(error)".contains("'w'"))
        }
        XCTAssertTrue(wrongShape.state.isEmpty, "a failed load must change nothing")
    }

    func testParamNamesExportAndNameMatching() throws {
        let (_, opt, params) = try adamRun(steps: 3)
        var exported = opt.stateDict(includeParamNames: true)
        XCTAssertEqual(exported.paramGroups[0].keys.first, "param_names")
        XCTAssertEqual(exported.paramGroups[0]["param_names"], ["w", "b"])
        XCTAssertEqual(exported.paramGroups[0].keys.last, "params")
        // Without the side map, names come from torch's param_names.
        exported.names = [:]
        let reordered = Adam([("b", Parameter(params[1].1.value)), ("w", Parameter(params[0].1.value))])
        let report = try reordered.load(stateDict: exported, matching: .name)
        XCTAssertEqual(report.carried, ["b", "w"])
        XCTAssertEqual(reordered.state["w"]?["exp_avg"]?.toArray(), opt.state["w"]?["exp_avg"]?.toArray())
        XCTAssertFalse(reordered.stateDict().paramGroups[0].contains("param_names"))
        // Names are required for name matching.
        exported.paramGroups[0]["param_names"] = nil
        XCTAssertThrowsError(try reordered.load(stateDict: exported, matching: .name)) { error in
            XCTAssertEqual(error as? StateLoadError, .missingName(index: 0))
        }
    }

    func testLoadedHyperParametersReplaceOursAndGetDefaults() throws {
        let p = Parameter(Tensor(zeros: [2]))
        var saved = OptimizerStateDict(paramGroups: [["lr": 0.25, "betas": .tuple([0.8, 0.9]), "params": [0]]])
        saved.state[0] = OptimizerStateDict.entry(from: OptimizerState(step: 3, [("exp_avg", Tensor([1, 2])),
                                                                             ("exp_avg_sq", Tensor([1, 1]))]))
        let opt = AdamW([("p", p)])
        try opt.load(stateDict: saved)
        let g = opt.paramGroups[0]
        XCTAssertEqual(g.lr, 0.25)
        XCTAssertEqual(g.pair("betas").0, 0.8)
        // torch's __setstate__ fills missing keys; AdamW forces decoupled weight decay.
        XCTAssertEqual(g["amsgrad"], false)
        XCTAssertEqual(g["decoupled_weight_decay"], true)
        XCTAssertEqual(opt.state["p"]?.step, 3)
    }

    func testStepStoredAsPythonNumberOrOtherDtypeIsAccepted() throws {
        var entry = StateDict()
        entry["step"] = Tensor(int64: [42], shape: [])
        entry["exp_avg"] = Tensor([1, 2]).to(.float64)
        let s = try OptimizerStateDict.optimizerState(from: entry, index: 0)
        XCTAssertEqual(s.step, 42)
        XCTAssertEqual(s["exp_avg"]?.dtype, .float64)
        let p = Parameter(Tensor(zeros: [2]))
        let opt = Adam([("p", p)])
        opt.loadState(byName: ["p": s])
        XCTAssertEqual(opt.state["p"]?["exp_avg"]?.dtype, .float32)

        var bad = StateDict()
        bad["step"] = Tensor([1, 2])
        XCTAssertThrowsError(try OptimizerStateDict.optimizerState(from: bad, index: 4)) { error in
            XCTAssertTrue("\(error)".contains("state[4]") && "\(error)".contains("step"), "\(error)")
        }
    }
}
