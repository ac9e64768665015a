import XCTest
import TensorCore
import NN
import Optimizers
import CairnTestSupport

final class SGDTests: XCTestCase {
    func testMatchesPyTorchFixturesEveryStep() throws {
        let names = try OptimizerFixture.names(prefix: "sgd")
        XCTAssertEqual(names.count, 6)
        for name in names { try OptimizerFixture(name).runAndCheck() }
    }

    func testHandComputedMomentumAndNesterov() {
        // p = 1, g = 1 then 2; lr 0.1, momentum 0.5. Plain: buf 1 → 2.5; p 0.9 → 0.65.
        // Nesterov: d = g + 0.5·buf = 1.5 → p 0.85; buf 2.5, d = 2 + 1.25 = 3.25 → p 0.525.
        for (nesterov, expected) in [(false, [Float(0.9), 0.65]), (true, [Float(0.85), 0.525])] {
            let p = Parameter(Tensor([1]))
            let opt = SGD([("p", p)], lr: 0.1, momentum: 0.5, nesterov: nesterov)
            for (k, g) in [Float(1), 2].enumerated() {
                p.setGrad(Tensor([g]))
                opt.step()
                XCTAssertEqual(p.value.toArray()[0], expected[k], accuracy: 1e-7, "nesterov \(nesterov) step \(k + 1)")
            }
            XCTAssertEqual(opt.state["p"]?["momentum_buffer"]?.toArray() ?? [], [2.5])
            XCTAssertNil(opt.state["p"]?.step)
        }
    }

    func testWeightDecayDampeningAndMaximize() {
        // g' = -g + wd·p = -2 + 0.1·3 = -1.7 (maximize); first buffer = g'; p = 3 - 0.5·(-1.7) = 3.85.
        // Step 2: g' = -2 + 0.385 = -1.615; buf = 0.9·(-1.7) + 0.75·(-1.615) = -2.74125; p = 3.85 + 1.370625.
        let p = Parameter(Tensor([3]))
        let opt = SGD([("p", p)], lr: 0.5, momentum: 0.9, dampening: 0.25, weightDecay: 0.1, maximize: true)
        p.setGrad(Tensor([2])); opt.step()
        XCTAssertEqual(p.value.toArray()[0], 3.85, accuracy: 1e-6)
        p.setGrad(Tensor([2])); opt.step()
        XCTAssertEqual(p.value.toArray()[0], 5.220625, accuracy: 1e-5)
    }

    func testNoMomentumKeepsNoState() {
        let p = Parameter(Tensor([1, 2]))
        let opt = SGD([("p", p)], lr: 0.1)
        p.setGrad(Tensor([1, 1]))
        opt.step()
        XCTAssertTrue(opt.state.isEmpty)
        XCTAssertTrue(opt.stateDict().state.isEmpty)
        assertClose(p.value.toArray(), [0.9, 1.9])
    }

    func testParamGroupsExportLikeTorch() {
        let w = Parameter(Tensor(zeros: [3, 4])), b = Parameter(Tensor(zeros: [4]))
        let opt = SGD(groups: [ParamGroup([("w", w)], options: ["lr": 0.1]), ParamGroup([("b", b)], options: ["lr": 0.01])],
                      lr: 0.1, momentum: 0.9)
        // torch 2.13: SGD([{'params':[w],'lr':0.1},{'params':[b],'lr':0.01}], lr=0.1, momentum=0.9).state_dict()
        let expected: [HyperDict] = [
            ["lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": false, "maximize": false,
             "foreach": nil, "differentiable": false, "fused": nil, "params": [0]],
            ["lr": 0.01, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": false, "maximize": false,
             "foreach": nil, "differentiable": false, "fused": nil, "params": [1]],
        ]
        let groups = opt.stateDict().paramGroups
        XCTAssertEqual(groups.count, 2)
        for (g, e) in zip(groups, expected) { XCTAssertTrue(g.isIdenticallyOrdered(to: e), "\(g) != \(e)") }
    }

    func testGroupOverrideKeyComesFirstLikeTorch() {
        // torch keeps the group's own keys first, then fills defaults: {'weight_decay': 0.1, 'lr': 0.1, ...}.
        let b = Parameter(Tensor(zeros: [4]))
        let opt = SGD(groups: [ParamGroup([("b", b)], options: ["weight_decay": 0.1])], lr: 0.1)
        XCTAssertEqual(opt.stateDict().paramGroups[0].keys,
                       ["weight_decay", "lr", "momentum", "dampening", "nesterov", "maximize", "foreach",
                        "differentiable", "fused", "params"])
    }
}
