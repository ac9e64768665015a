import XCTest
@testable import Checkpoint

final class SaveScheduleTests: XCTestCase {
    private let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    /// Drives a schedule like a training loop: asks at each call, records when it fires; returns the steps saved.
    private func drive(_ s: inout SaveSchedule, _ calls: [(step: Int, epoch: Int, seconds: Double, metrics: [String: Double])])
        -> [(Int, SaveSchedule.Reason)] {
        var saved: [(Int, SaveSchedule.Reason)] = []
        for c in calls {
            let now = t0.addingTimeInterval(c.seconds)
            if let r = s.shouldSave(step: c.step, epoch: c.epoch, now: now, metrics: c.metrics) {
                saved.append((c.step, r))
                s.recordSave(step: c.step, epoch: c.epoch, now: now, metrics: c.metrics)
            }
        }
        return saved
    }

    func testManualNeverFires() {
        var s = SaveSchedule.manual
        s.start(at: t0)
        let saved = drive(&s, (0..<50).map { ($0, $0 / 10, Double($0) * 100, ["loss": 1.0 / Double($0 + 1)]) })
        XCTAssertTrue(saved.isEmpty)
    }

    func testEveryNSteps() {
        var s = SaveSchedule(everyNSteps: 25)
        let saved = drive(&s, (0...100).map { ($0, 0, 0, [:]) })
        XCTAssertEqual(saved.map(\.0), [25, 50, 75, 100])
        XCTAssertEqual(saved.first?.1, .everyNSteps(step: 25))
    }

    func testStepTriggerDoesNotRepeatAtSameStep() {
        var s = SaveSchedule(everyNSteps: 10)
        let saved = drive(&s, [(10, 0, 0, [:]), (10, 1, 0, [:]), (10, 1, 5, [:]), (20, 1, 5, [:])])
        XCTAssertEqual(saved.map(\.0), [10, 20])
    }

    func testEveryNEpochsCalledEveryStepFiresOncePerEpoch() {
        var s = SaveSchedule(everyNEpochs: 2)
        // 10 steps per epoch; epoch is the 0-based index of the epoch in progress.
        let saved = drive(&s, (0..<60).map { ($0, $0 / 10, 0, [:]) })
        XCTAssertEqual(saved.map(\.0), [20, 40])
        XCTAssertEqual(saved.map(\.1), [.everyNEpochs(epoch: 2), .everyNEpochs(epoch: 4)])
    }

    func testEveryNEpochsCalledAtEpochEnds() {
        var s = SaveSchedule(everyNEpochs: 3)
        let saved = drive(&s, (1...9).map { ($0 * 100, $0, 0, [:]) })
        XCTAssertEqual(saved.map(\.0), [300, 600, 900])
    }

    func testEveryNSecondsWithInjectedClock() {
        var s = SaveSchedule(everyNSeconds: 60)
        XCTAssertNil(s.shouldSave(step: 1, epoch: 0, now: t0.addingTimeInterval(1000), metrics: [:]),
                     "time trigger is off until the clock is started")
        s.start(at: t0)
        let saved = drive(&s, [(1, 0, 30, [:]), (2, 0, 59.9, [:]), (3, 0, 60, [:]), (4, 0, 100, [:]),
                               (5, 0, 119.9, [:]), (6, 0, 125, [:]), (7, 0, 500, [:])])
        XCTAssertEqual(saved.map(\.0), [3, 6, 7])
        XCTAssertEqual(saved[0].1, .everyNSeconds(elapsed: 60))
        XCTAssertEqual(saved[2].1, .everyNSeconds(elapsed: 375))
    }

    func testStartDoesNotResetAfterSave() {
        var s = SaveSchedule(everyNSeconds: 10)
        s.start(at: t0)
        s.recordSave(step: 1, epoch: 0, now: t0.addingTimeInterval(50), metrics: [:])
        s.start(at: t0)
        XCTAssertEqual(s.lastSaveTime, t0.addingTimeInterval(50))
    }

    func testForcedSaveResetsTimer() {
        var s = SaveSchedule(everyNSeconds: 60)
        s.start(at: t0)
        s.recordSave(step: 5, epoch: 0, now: t0.addingTimeInterval(50), metrics: [:])
        XCTAssertNil(s.shouldSave(step: 6, epoch: 0, now: t0.addingTimeInterval(100), metrics: [:]))
        XCTAssertNotNil(s.shouldSave(step: 6, epoch: 0, now: t0.addingTimeInterval(110), metrics: [:]))
    }

    func testImprovementMin() {
        var s = SaveSchedule(onImprovement: MetricMonitor("val_loss", mode: .min))
        let losses: [Double] = [1.0, 0.8, 0.8, 0.9, 0.5, 0.6, 0.49]
        let saved = drive(&s, losses.enumerated().map { ($0.offset + 1, 0, 0, ["val_loss": $0.element]) })
        XCTAssertEqual(saved.map(\.0), [1, 2, 5, 7])  // the tie at step 3 is not an improvement
        XCTAssertEqual(saved[0].1, .improved(metric: "val_loss", previous: nil, current: 1.0))
        XCTAssertEqual(saved[1].1, .improved(metric: "val_loss", previous: 1.0, current: 0.8))
        XCTAssertEqual(s.best, 0.49)
    }

    func testImprovementMax() {
        var s = SaveSchedule(onImprovement: MetricMonitor("acc", mode: .max))
        let accs: [Double] = [0.1, 0.3, 0.2, 0.3, 0.35]
        let saved = drive(&s, accs.enumerated().map { ($0.offset + 1, 0, 0, ["acc": $0.element]) })
        XCTAssertEqual(saved.map(\.0), [1, 2, 5])
    }

    func testImprovementMinDelta() {
        var s = SaveSchedule(onImprovement: MetricMonitor("loss", mode: .min), minDelta: 0.1)
        let losses: [Double] = [1.0, 0.95, 0.91, 0.85, 0.8, 0.74]
        let saved = drive(&s, losses.enumerated().map { ($0.offset + 1, 0, 0, ["loss": $0.element]) })
        // Best stays at 1.0 until something beats it by more than 0.1, then moves to that value.
        XCTAssertEqual(saved.map(\.0), [1, 4, 6])
    }

    func testNaNAndMissingMetricNeverImprove() {
        var s = SaveSchedule(onImprovement: MetricMonitor("val_loss", mode: .min))
        let saved = drive(&s, [(1, 0, 0, ["val_loss": .nan]), (2, 0, 0, ["train_loss": 0.1]),
                               (3, 0, 0, ["val_loss": .infinity]), (4, 0, 0, ["val_loss": 2.0]),
                               (5, 0, 0, ["val_loss": .nan]), (6, 0, 0, ["val_loss": -.infinity])])
        XCTAssertEqual(saved.map(\.0), [4])
        XCTAssertEqual(s.best, 2.0)
    }

    func testImprovementFiresAgainAtSameStepAfterPeriodicSave() {
        var s = SaveSchedule(everyNSteps: 10, onImprovement: MetricMonitor("val_loss", mode: .min))
        let saved = drive(&s, [(10, 0, 0, [:]), (10, 1, 0, ["val_loss": 0.5]), (10, 1, 0, ["val_loss": 0.5])])
        XCTAssertEqual(saved.map(\.0), [10, 10])
        XCTAssertEqual(saved[1].1, .improved(metric: "val_loss", previous: nil, current: 0.5))
    }

    func testPeriodicSaveAlsoUpdatesBest() {
        var s = SaveSchedule(everyNSteps: 10, onImprovement: MetricMonitor("loss", mode: .min))
        s.recordSave(step: 10, epoch: 0, now: t0, metrics: ["loss": 0.3])
        XCTAssertEqual(s.best, 0.3)
        XCTAssertNil(s.shouldSave(step: 11, epoch: 0, now: t0, metrics: ["loss": 0.4]))
    }

    func testRestoreBestFromResumedMetrics() {
        var s = SaveSchedule(onImprovement: MetricMonitor("loss", mode: .min))
        s.restoreBest(from: ["loss": 0.2])
        XCTAssertNil(s.shouldSave(step: 1, epoch: 0, now: t0, metrics: ["loss": 0.25]))
        XCTAssertNotNil(s.shouldSave(step: 1, epoch: 0, now: t0, metrics: ["loss": 0.15]))
        s.restoreBest(from: ["other": 1])
        s.restoreBest(from: ["loss": 0.3])
        s.restoreBest(from: ["loss": .nan])
        XCTAssertEqual(s.best, 0.2, "a worse, NaN or missing value does not replace the best")
        s.restoreBest(from: ["loss": 0.1])
        XCTAssertEqual(s.best, 0.1)
    }

    func testPriorityWhenSeveralFire() {
        var s = SaveSchedule(everyNSteps: 10, everyNEpochs: 1, everyNSeconds: 1,
                             onImprovement: MetricMonitor("loss", mode: .min))
        s.start(at: t0)
        let now = t0.addingTimeInterval(5)
        XCTAssertEqual(s.shouldSave(step: 10, epoch: 1, now: now, metrics: ["loss": 1]),
                       .improved(metric: "loss", previous: nil, current: 1))
        XCTAssertEqual(s.shouldSave(step: 10, epoch: 1, now: now, metrics: [:]), .everyNEpochs(epoch: 1))
        XCTAssertEqual(s.shouldSave(step: 10, epoch: 0, now: now, metrics: [:]), .everyNSteps(step: 10))
        XCTAssertEqual(s.shouldSave(step: 11, epoch: 0, now: now, metrics: [:]), .everyNSeconds(elapsed: 5))
    }

    func testShouldSaveIsPure() {
        let s = SaveSchedule(everyNSteps: 5)
        let a = s.shouldSave(step: 5, epoch: 0, now: t0, metrics: [:])
        let b = s.shouldSave(step: 5, epoch: 0, now: t0, metrics: [:])
        XCTAssertEqual(a, b)
        XCTAssertEqual(a, .everyNSteps(step: 5))
        XCTAssertNil(s.lastSavedStep)
    }

    func testReasonDescriptions() {
        XCTAssertEqual(SaveSchedule.Reason.forced.description, "forced")
        XCTAssertEqual(SaveSchedule.Reason.improved(metric: "loss", previous: nil, current: 0.5).description,
                       "loss improved from none to 0.5")
        XCTAssertEqual(SaveSchedule.Reason.everyNSteps(step: 30).description, "step 30")
    }
}
