import XCTest
import TensorCore
import NN
import Optimizers
import CairnTestSupport

final class AdagradTests: XCTestCase {
    func testMatchesPyTorchFixturesEveryStep() throws {
        let names = try OptimizerFixture.names(prefix: "adagrad")
        XCTAssertEqual(names.count, 4)
        for name in names { try OptimizerFixture(name).runAndCheck() }
    }

    func testStateExistsBeforeFirstStepLikeTorch() {
        let w = Parameter(Tensor(zeros: [3, 4])), b = Parameter(Tensor(zeros: [4]))
        let opt = Adagrad([("w", w), ("b", b)], initialAccumulatorValue: 0.25)
        let sd = opt.stateDict()
        XCTAssertEqual(sd.stateIndices, [0, 1])
        XCTAssertEqual(Array(sd.state[1]!.keys), ["step", "sum"])
        XCTAssertEqual(sd.state[1]!["step"]!.shape, [])
        XCTAssertEqual(sd.state[1]!["step"]!.item, 0)
        XCTAssertEqual(sd.state[0]!["sum"]!.toArray(), Array(repeating: 0.25, count: 12))
        // torch 2.13 Adagrad([w, b]).state_dict()['param_groups'] with initial_accumulator_value 0.25.
        let expected: HyperDict = ["lr": 0.01, "lr_decay": 0, "eps": 1e-10, "weight_decay": 0,
                                   "initial_accumulator_value": 0.25, "foreach": nil, "maximize": false,
                                   "differentiable": false, "fused": nil, "params": [0, 1]]
        XCTAssertTrue(sd.paramGroups[0].isIdenticallyOrdered(to: expected), "\(sd.paramGroups[0])")
    }

    func testLearningRateDecay() {
        // Two unit gradients: step 1 moves lr·1/1, step 2 moves lr/(1 + lr_decay)·1/√2.
        let p = Parameter(Tensor([0]))
        let opt = Adagrad([("p", p)], lr: 0.1, lrDecay: 1, eps: 0)
        p.setGrad(Tensor([1])); opt.step()
        p.setGrad(Tensor([1])); opt.step()
        XCTAssertEqual(p.value.toArray()[0], -0.1 - 0.05 / Float(2).squareRoot(), accuracy: 1e-7)
    }
}
