import XCTest
import Optimizers

final class MultiStepLRTests: XCTestCase {
    func testRepeatedMilestoneDecaysTwice() {
        let opt = schedulerTestOptimizer(lr: 1)
        let s = MultiStepLR(opt, milestones: [2, 4, 4], gamma: 0.5)
        XCTAssertEqual(lrSequence(s, steps: 5), [1, 0.5, 0.5, 0.125, 0.125])
        XCTAssertEqual(s.stateDict()["milestones"], .counter([.init(key: 2, count: 1), .init(key: 4, count: 2)]))
        XCTAssertEqual(s.closedFormLR(), [0.125])
    }

    func testLoadsMilestonesGivenAsAPlainList() throws {
        let s = MultiStepLR(schedulerTestOptimizer(), milestones: [1])
        var state = s.stateDict()
        state["milestones"] = [3, 3, 7]
        try s.loadStateDict(state)
        XCTAssertEqual(s.milestones, [.init(key: 3, count: 2), .init(key: 7, count: 1)])
    }
}
