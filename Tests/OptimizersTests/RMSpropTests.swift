import XCTest
import TensorCore
import NN
import Optimizers
import CairnTestSupport

final class RMSpropTests: XCTestCase {
    func testMatchesPyTorchFixturesEveryStep() throws {
        let names = try OptimizerFixture.names(prefix: "rmsprop")
        XCTAssertEqual(names.count, 4)
        for name in names { try OptimizerFixture(name).runAndCheck() }
    }

    func testHandComputedFirstStep() {
        // sq = 0.01·g² = 0.04; avg = 0.2 + eps; p −= 0.01·2/0.2 = 0.1.
        let p = Parameter(Tensor([1]))
        let opt = RMSprop([("p", p)], lr: 0.01, eps: 0)
        p.setGrad(Tensor([2]))
        opt.step()
        XCTAssertEqual(p.value.toArray()[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(opt.state["p"]?.step, 1)
    }

    func testStateKeysFollowTorchOrder() {
        let p = Parameter(Tensor([1, 2]))
        let opt = RMSprop([("p", p)], momentum: 0.5, centered: true)
        p.setGrad(Tensor([1, 1]))
        opt.step()
        XCTAssertEqual(Array(opt.stateDict().state[0]!.keys), ["step", "square_avg", "momentum_buffer", "grad_avg"])
        XCTAssertEqual(opt.stateDict().paramGroups[0].keys,
                       ["lr", "momentum", "alpha", "eps", "centered", "weight_decay", "capturable", "foreach",
                        "maximize", "differentiable", "params"])
    }
}
