import XCTest
import TensorCore
import NN
import Optimizers
import CairnTestSupport

final class OptimizerTests: XCTestCase {
    private func params(_ names: [String], seed: UInt64 = 1) -> [(String, Parameter)] {
        names.enumerated().map { i, n in (n, Parameter(testTensor([2, 3], seed: seed + UInt64(i)))) }
    }

    func testParameterWithoutGradientIsSkippedAndStateUntouched() {
        let ps = params(["a", "b"])
        let opt = Adam(ps, lr: 0.1)
        ps[0].1.setGrad(testTensor([2, 3], seed: 9))
        ps[1].1.setGrad(testTensor([2, 3], seed: 10))
        opt.step()
        let bBefore = ps[1].1.value.toArray(), bState = opt.state["b"]!
        ps[1].1.zeroGrad()
        ps[0].1.setGrad(testTensor([2, 3], seed: 11))
        opt.step()
        XCTAssertEqual(ps[1].1.value.toArray(), bBefore)
        XCTAssertEqual(opt.state["b"]?.step, 1)
        XCTAssertEqual(opt.state["b"]?["exp_avg"]?.toArray(), bState["exp_avg"]?.toArray())
        XCTAssertEqual(opt.state["a"]?.step, 2)
    }

    func testFrozenParameterIsUnchangedBySteps() {
        let ps = params(["a", "frozen"])
        ps[1].1.requiresGrad = false
        let before = ps[1].1.value.toArray()
        for opt in [SGD(ps, lr: 0.1, momentum: 0.9), Adam(ps), AdamW(ps), RMSprop(ps), Adagrad(ps)] as [Optimizer] {
            for k in 0..<3 {
                ps[0].1.setGrad(testTensor([2, 3], seed: UInt64(20 + k)))
                ps[1].1.setGrad(testTensor([2, 3], seed: 30))  // no gradient slot: ignored
                opt.step()
            }
            XCTAssertNil(ps[1].1.grad)
            XCTAssertEqual(ps[1].1.value.toArray(), before, "\(opt.typeName) moved a frozen parameter")
            if !(opt is Adagrad) { XCTAssertNil(opt.state["frozen"], "\(opt.typeName) made state for a frozen parameter") }
        }
    }

    func testStateSurvivesFreezeAndUnfreeze() {
        let ps = params(["a"])
        let p = ps[0].1
        let opt = Adam(ps, lr: 0.01)
        p.setGrad(Tensor(repeating: 1, shape: [2, 3])); opt.step()
        p.requiresGrad = false
        opt.step()
        XCTAssertEqual(opt.state["a"]?.step, 1)
        p.requiresGrad = true
        p.setGrad(Tensor(repeating: 1, shape: [2, 3])); opt.step()
        XCTAssertEqual(opt.state["a"]?.step, 2)
    }

    func testLoadStateByNameCarriesRetainedStartsNewFreshDropsRemoved() {
        let old = params(["keep", "removed"])
        let oldOpt = Adam(old, lr: 0.01)
        for k in 0..<3 {
            for (i, (_, p)) in old.enumerated() { p.setGrad(testTensor([2, 3], seed: UInt64(40 + k * 2 + i))) }
            oldOpt.step()
        }
        let keep = old[0].1, added = Parameter(testTensor([2, 3], seed: 99))
        let newOpt = Adam([("keep", keep), ("added", added)], lr: 0.01)
        let report = newOpt.loadState(byName: oldOpt.state)
        XCTAssertEqual(report.carried, ["keep"])
        XCTAssertEqual(report.fresh, ["added"])
        XCTAssertEqual(report.dropped, ["removed"])
        XCTAssertEqual(report.mismatched, [])
        XCTAssertEqual(newOpt.state["keep"]?.step, 3)
        XCTAssertNil(newOpt.state["added"])

        // The carried parameter continues exactly as it would have in the old optimizer.
        let twin = Parameter(keep.value)
        let twinOpt = Adam([("keep", twin)], lr: 0.01)
        twinOpt.loadState(byName: ["keep": oldOpt.state["keep"]!])
        let g = testTensor([2, 3], seed: 77)
        keep.setGrad(g); added.setGrad(g); twin.setGrad(g)
        newOpt.step(); twinOpt.step()
        XCTAssertEqual(keep.value.toArray(), twin.value.toArray())
        XCTAssertEqual(newOpt.state["added"]?.step, 1)
        XCTAssertEqual(newOpt.state["keep"]?.step, 4)
        // Writing the new optimizer's buffers must not touch the old optimizer's copies.
        XCTAssertEqual(oldOpt.state["keep"]?.step, 3)
    }

    func testLoadStateByNameShapeMismatchStartsFresh() {
        let a = Parameter(Tensor(zeros: [2]))
        let saved = ["a": OptimizerState(step: 5, [("exp_avg", Tensor(zeros: [3])), ("exp_avg_sq", Tensor(zeros: [3]))])]
        let opt = Adam([("a", a)])
        let report = opt.loadState(byName: saved)
        XCTAssertEqual(report.mismatched, ["a"])
        XCTAssertEqual(report.carried, [])
        XCTAssertNil(opt.state["a"])
    }

    func testAdagradFreshParametersGetInitialState() {
        let a = Parameter(Tensor(zeros: [2])), b = Parameter(Tensor(zeros: [2]))
        let opt = Adagrad([("a", a), ("b", b)], initialAccumulatorValue: 0.5)
        let report = opt.loadState(byName: ["a": OptimizerState(step: 7, [("sum", Tensor([1, 2]))])])
        XCTAssertEqual(report.fresh, ["b"])
        XCTAssertEqual(opt.state["a"]?.step, 7)
        XCTAssertEqual(opt.state["b"]?.step, 0)
        XCTAssertEqual(opt.state["b"]?["sum"]?.toArray(), [0.5, 0.5])
    }

    func testSetLRChangesEveryGroupAndZeroGradClears() {
        let ps = params(["a", "b"])
        let opt = SGD(groups: [ParamGroup([ps[0]]), ParamGroup([ps[1]], options: ["lr": 0.5])], lr: 0.1)
        opt.setLR(0.02)
        XCTAssertEqual(opt.paramGroups.map(\.lr), [0.02, 0.02])
        for (_, p) in ps { p.setGrad(Tensor(repeating: 1, shape: [2, 3])) }
        opt.zeroGrad()
        XCTAssertTrue(ps.allSatisfy { $0.1.grad == nil })
    }

    func testStepDoesNotClearGradients() {
        let ps = params(["a"])
        let opt = SGD(ps, lr: 0.1)
        ps[0].1.setGrad(Tensor(repeating: 1, shape: [2, 3]))
        opt.step()
        XCTAssertEqual(ps[0].1.grad?.toArray(), Array(repeating: 1, count: 6))
    }

    func testStepsOnRealBackwardGradients() {
        // A Linear layer trained by SGD on y = 2x: the loss must fall and the grads come from backward.
        let model = Linear(weight: Tensor([0.5], shape: [1, 1]), bias: Tensor([0]))
        let opt = SGD(model.namedParameters(), lr: 0.1)
        let x = Tensor([1, 2, 3, 4], shape: [4, 1]), y = x * 2
        var losses: [Float] = []
        for _ in 0..<20 {
            opt.zeroGrad()
            let d = model(x) - y
            let loss = (d * d).mean()
            losses.append(loss.item)
            loss.backward()
            opt.step()
        }
        XCTAssertLessThan(losses.last!, losses.first! * 0.1)
    }
}
