import XCTest
import TensorCore
import NN

final class ParameterTests: XCTestCase {
    func testFrozenParameterGetsNoGradient() {
        let p = Parameter(.init([1, 2]), requiresGrad: false)
        XCTAssertFalse(p.value.requiresGrad)
        p.requiresGrad = true
        XCTAssertTrue(p.value.requiresGrad)
    }

    func testInPlaceUpdateKeepsTheGradient() {
        // Optimizers write parameters through `update`; the gradient must survive (as in torch,
        // where optimizer.step() never clears .grad).
        let p = Parameter(Tensor([1, 2]))
        p.setGrad(Tensor([3, 4]))
        p.update { $0[0] = 5 }
        XCTAssertEqual(p.value.toArray(), [5, 2])
        XCTAssertEqual(p.grad?.toArray() ?? [], [3, 4])
    }
}
