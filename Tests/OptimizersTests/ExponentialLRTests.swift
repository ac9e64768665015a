import XCTest
import Optimizers

final class ExponentialLRTests: XCTestCase {
    func testMultipliesEveryStepAndKeepsInitialLR() {
        let opt = schedulerTestOptimizer(lr: 2)
        let s = ExponentialLR(opt, gamma: 0.5)
        XCTAssertEqual(opt.paramGroups[0].lr, 2, "the initial step leaves the rate unchanged")
        XCTAssertEqual(s.lastLR, [2])
        XCTAssertEqual(lrSequence(s, steps: 3), [1, 0.5, 0.25])
    }

    func testOverrideThenStepScalesTheOverride() {
        let opt = schedulerTestOptimizer(lr: 2)
        let s = ExponentialLR(opt, gamma: 0.5)
        opt.setLR(10)
        s.step()
        XCTAssertEqual(opt.paramGroups[0].lr, 5)
        XCTAssertEqual(s.lastLR, [5])
    }
}
