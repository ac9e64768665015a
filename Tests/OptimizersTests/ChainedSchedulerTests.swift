import XCTest
import Optimizers

final class ChainedSchedulerTests: XCTestCase {
    func testEffectsCompose() {
        let opt = schedulerTestOptimizer(lr: 1)
        let s = ChainedScheduler([StepLR(opt, stepSize: 2, gamma: 0.1), ExponentialLR(opt, gamma: 0.5)])
        let lrs = lrSequence(s, steps: 4)
        for (a, e) in zip(lrs, [0.5, 0.025, 0.0125, 0.000625]) { XCTAssertEqual(a, e, accuracy: 1e-15) }
        XCTAssertEqual(s.lastLR, [lrs[3]])
        XCTAssertEqual(s.stateDict().keys, ["_last_lr", "_schedulers"])
    }
}
