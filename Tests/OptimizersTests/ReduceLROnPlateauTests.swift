import XCTest
import Optimizers

final class ReduceLROnPlateauTests: XCTestCase {
    func testReducesAfterPatienceThenCoolsDown() {
        let opt = schedulerTestOptimizer(lr: 1)
        let s = ReduceLROnPlateau(opt, factor: 0.5, patience: 1, cooldown: 1)
        var lrs: [Double] = []
        for m in [1.0, 1, 1, 1, 1, 1, 0.5] {
            s.step(metric: m)
            lrs.append(opt.paramGroups[0].lr)
        }
        // best = 1 at step 1; bad epochs 1, 2 → reduce at step 3; cooldown swallows step 4;
        // bad 1, 2 → reduce at step 6; step 7 improves.
        XCTAssertEqual(lrs, [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])
        XCTAssertEqual(s.best, 0.5)
        XCTAssertEqual(s.lastLR, [0.25])
    }

    func testMinLRAndEpsStopTheDecay() {
        let opt = schedulerTestOptimizer(lr: 0.1)
        let s = ReduceLROnPlateau(opt, mode: .max, factor: 0.1, patience: 0, minLR: 0.05)
        s.step(metric: 1)
        s.step(metric: 0)
        XCTAssertEqual(opt.paramGroups[0].lr, 0.05)
        s.step(metric: 0)
        XCTAssertEqual(opt.paramGroups[0].lr, 0.05)
        XCTAssertEqual(s.stateDict()["default_min_lr"], 0.05)
        XCTAssertEqual(s.stateDict()["mode_worse"], .double(-.infinity))
    }

    func testStateRoundTripKeepsInfinityThroughJSON() throws {
        let s = ReduceLROnPlateau(schedulerTestOptimizer())
        let data = try JSONEncoder().encode(s.stateDict())
        let back = try JSONDecoder().decode(HyperDict.self, from: data)
        XCTAssertEqual(back["best"], .double(.infinity))
        XCTAssertEqual(back["min_lrs"], [0])
        try s.loadStateDict(back)
        XCTAssertEqual(s.best, .infinity)
    }
}
