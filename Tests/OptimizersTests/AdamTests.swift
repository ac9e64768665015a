import XCTest
import TensorCore
import NN
import Optimizers
import CairnTestSupport

final class AdamTests: XCTestCase {
    func testMatchesPyTorchFixturesEveryStep() throws {
        let names = try OptimizerFixture.names(prefix: "adam")
        XCTAssertEqual(names.count, 5)
        for name in names { try OptimizerFixture(name).runAndCheck() }
    }

    func testFirstStepMovesEachElementByLR() {
        // Step 1: m̂ = g, v̂ = g², so the update is lr·g/(|g| + eps) ≈ lr·sign(g).
        let p = Parameter(Tensor([1, 1, 1]))
        let opt = Adam([("p", p)], lr: 0.01)
        p.setGrad(Tensor([0.5, -3, 1e-3]))
        opt.step()
        assertClose(p.value.toArray(), [0.99, 1.01, 0.99], rtol: 0, atol: 1e-6)
        XCTAssertEqual(opt.state["p"]?.keys, ["exp_avg", "exp_avg_sq"])
        XCTAssertEqual(opt.state["p"]?.step, 1)
        assertClose(opt.state["p"]!["exp_avg"]!.toArray(), [0.05, -0.3, 1e-4])
        assertClose(opt.state["p"]!["exp_avg_sq"]!.toArray(), [0.00025, 0.009, 1e-9])
    }

    func testDecoupledWeightDecayScalesParameterFirst() {
        // AdamW with a zero gradient: m = v = 0 so only p·(1 − lr·wd) remains.
        let p = Parameter(Tensor([2, -4]))
        let opt = AdamW([("p", p)], lr: 0.1, weightDecay: 0.5)
        p.setGrad(Tensor([0, 0]))
        opt.step()
        assertClose(p.value.toArray(), [1.9, -3.8])
    }

    func testAMSGradKeepsRunningMax() {
        let p = Parameter(Tensor([0]))
        let opt = Adam([("p", p)], lr: 0.01, amsgrad: true)
        p.setGrad(Tensor([10])); opt.step()
        p.setGrad(Tensor([0])); opt.step()
        let s = opt.state["p"]!
        XCTAssertEqual(s.keys, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
        // v1 = 0.1, v2 = 0.0999; the max keeps 0.1.
        assertClose(s["max_exp_avg_sq"]!.toArray(), [0.1])
        assertClose(s["exp_avg_sq"]!.toArray(), [0.0999])
    }

    func testAdamAndAdamWGroupsExportLikeTorch() {
        let p = Parameter(Tensor(zeros: [2]))
        // torch 2.13 Adam(params).state_dict()['param_groups'][0] (the spec's §6.2 example).
        let adam: HyperDict = ["lr": 0.001, "betas": .tuple([0.9, 0.999]), "eps": 1e-08, "weight_decay": 0,
                               "amsgrad": false, "maximize": false, "foreach": nil, "capturable": false,
                               "differentiable": false, "fused": nil, "decoupled_weight_decay": false, "params": [0]]
        XCTAssertTrue(Adam([("p", p)]).stateDict().paramGroups[0].isIdenticallyOrdered(to: adam))
        var adamw = adam
        adamw["weight_decay"] = 0.01
        adamw["decoupled_weight_decay"] = true
        let exported = AdamW([("p", Parameter(Tensor(zeros: [2])))]).stateDict().paramGroups[0]
        XCTAssertTrue(exported.isIdenticallyOrdered(to: adamw), "\(exported)")
    }

    func testMaximizeEqualsNegatedGradient() {
        let a = Parameter(Tensor([1, 2])), b = Parameter(Tensor([1, 2]))
        let oa = Adam([("p", a)], lr: 0.1, weightDecay: 0.1, maximize: true)
        let ob = Adam([("p", b)], lr: 0.1, weightDecay: 0.1)
        for k in 0..<3 {
            let g = Tensor([Float(k) + 0.5, -1])
            a.setGrad(g); b.setGrad(-g)
            oa.step(); ob.step()
        }
        // Coupled weight decay is added after negation in both, so the runs agree exactly.
        XCTAssertEqual(a.value.toArray(), b.value.toArray())
    }
}
