import XCTest
import TensorCore
import NN
import Optimizers

final class OneCycleLRTests: XCTestCase {
    func testWritesTorchKeysIntoTheParamGroups() {
        // torch 2.13: Adam([p], lr=0.1); OneCycleLR(o, max_lr=1.0, total_steps=30, three_phase=True);
        // o.state_dict()['param_groups'][0]
        let opt = Adam([("p", Parameter(Tensor([1, 1])))], lr: 0.1)
        _ = OneCycleLR(opt, maxLR: 1.0, totalSteps: 30, threePhase: true)
        let expected: HyperDict = [
            "lr": 0.040000000000000036, "betas": .tuple([0.95, 0.999]), "eps": 1e-08, "weight_decay": 0,
            "amsgrad": false, "maximize": false, "foreach": nil, "capturable": false, "differentiable": false,
            "fused": nil, "decoupled_weight_decay": false, "initial_lr": 0.04, "max_lr": 1.0, "min_lr": 4e-06,
            "max_momentum": 0.95, "base_momentum": 0.85, "params": [0],
        ]
        let group = opt.stateDict().paramGroups[0]
        XCTAssertTrue(group.isIdenticallyOrdered(to: expected), "\(group)")
    }

    func testPeaksAtPctStartAndCyclesSGDMomentum() {
        let opt = schedulerTestOptimizer(lr: 0.1, momentum: 0.9)
        let s = OneCycleLR(opt, maxLR: 1, totalSteps: 11, pctStart: 0.5, annealStrategy: .linear)
        XCTAssertEqual(opt.paramGroups[0].lr, 0.04, accuracy: 1e-15)
        XCTAssertEqual(opt.paramGroups[0].double("momentum"), 0.95)
        let lrs = lrSequence(s, steps: 10)
        // Phase 1 ends at step 0.5·11 − 1 = 4.5, so step 4 is the last below the peak at max_lr.
        XCTAssertEqual(lrs[3], 0.04 + 0.96 * 4 / 4.5, accuracy: 1e-12)
        XCTAssertEqual(lrs[9], 4e-6, accuracy: 1e-15)
        XCTAssertEqual(opt.paramGroups[0].double("momentum"), 0.95, accuracy: 1e-12)
    }

    func testOverrideIsReplacedByTheScheduleOnTheNextStep() {
        let opt = schedulerTestOptimizer(lr: 0.1, momentum: 0.9)
        let s = OneCycleLR(opt, maxLR: 0.1, totalSteps: 20)
        let reference = OneCycleLR(schedulerTestOptimizer(lr: 0.1, momentum: 0.9), maxLR: 0.1, totalSteps: 20)
        s.step(); reference.step()
        opt.setLR(5)
        s.step(); reference.step()
        XCTAssertEqual(opt.paramGroups[0].lr, reference.optimizer.paramGroups[0].lr)
    }
}
