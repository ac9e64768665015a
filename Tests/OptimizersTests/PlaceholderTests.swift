import XCTest
import NN

final class ParameterTests: XCTestCase {
    func testFrozenParameterGetsNoGradient() {
        let p = Parameter(.init([1, 2]), requiresGrad: false)
        XCTAssertFalse(p.value.requiresGrad)
        p.requiresGrad = true
        XCTAssertTrue(p.value.requiresGrad)
    }
}
