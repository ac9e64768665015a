import XCTest
import Optimizers

final class StepLRTests: XCTestCase {
    func testDecaysEveryStepSize() {
        let opt = schedulerTestOptimizer(lr: 1)
        let s = StepLR(opt, stepSize: 2, gamma: 0.5)
        XCTAssertEqual(opt.paramGroups[0]["initial_lr"], 1.0)
        XCTAssertEqual(lrSequence(s, steps: 6), [1, 0.5, 0.5, 0.25, 0.25, 0.125])
        XCTAssertEqual(s.lastEpoch, 6)
        XCTAssertEqual(s.closedFormLR(), [0.125])
    }

    func testRecursiveFormContinuesFromAUserOverride() {
        // As in torch: StepLR scales the group's current lr, so an override persists.
        let opt = schedulerTestOptimizer(lr: 1)
        let s = StepLR(opt, stepSize: 2, gamma: 0.5)
        s.step()
        opt.setLR(0.3)
        s.step()
        XCTAssertEqual(opt.paramGroups[0].lr, 0.15)
    }
}
