import XCTest
import Optimizers

final class SequentialLRTests: XCTestCase {
    func testWarmUpThenCosine() {
        let opt = schedulerTestOptimizer(lr: 1)
        let warm = LinearLR(opt, startFactor: 0.2, endFactor: 1, totalIters: 4)
        let cosine = CosineAnnealingLR(opt, tMax: 4)
        let s = SequentialLR(opt, schedulers: [warm, cosine], milestones: [4])
        XCTAssertEqual(opt.paramGroups[0].lr, 0.2, accuracy: 1e-15)
        XCTAssertEqual(cosine.lastEpoch, -1, "the second child's initial step is undone")
        let lrs = lrSequence(s, steps: 8)
        for (a, e) in zip(lrs, [0.4, 0.6, 0.8, 1, 0.8535533905932737, 0.5, 0.14644660940672627, 0]) {
            XCTAssertEqual(a, e, accuracy: 1e-12)
        }
        XCTAssertEqual(s.lastLR, [lrs[7]])
        XCTAssertEqual(cosine.lastEpoch, 4)
        XCTAssertEqual(s.stateDict().keys, ["_milestones", "last_epoch", "_last_lr", "_schedulers"])
    }
}
