import XCTest
import Optimizers

final class LinearLRTests: XCTestCase {
    func testRampsFromStartToEndFactor() {
        let opt = schedulerTestOptimizer(lr: 1)
        let s = LinearLR(opt, startFactor: 0.5, endFactor: 1, totalIters: 4)
        XCTAssertEqual(opt.paramGroups[0].lr, 0.5)
        let lrs = lrSequence(s, steps: 6)
        for (a, e) in zip(lrs, [0.625, 0.75, 0.875, 1, 1, 1]) { XCTAssertEqual(a, e, accuracy: 1e-15) }
        XCTAssertEqual(s.closedFormLR(), [1])
    }
}
