import XCTest
@testable import Checkpoint

final class RetentionPolicyTests: XCTestCase {
    private func c(_ name: String, step: Int, order: Int? = nil, loss: Double? = nil, acc: Double? = nil,
                   valid: Bool = true) -> RetentionCandidate {
        var m: [String: Double] = [:]
        if let loss { m["val_loss"] = loss }
        if let acc { m["acc"] = acc }
        return RetentionCandidate(name: name, globalStep: step, epoch: step / 10, metrics: m,
                                  isValid: valid, order: order ?? step)
    }

    private let minLoss = MetricMonitor("val_loss", mode: .min)
    private let maxAcc = MetricMonitor("acc", mode: .max)

    func testNoRuleKeepsEverythingIncludingCorrupt() {
        let cands = [c("a", step: 1), c("b", step: 2, valid: false), c("c", step: 3)]
        let d = RetentionPolicy.keepAll.decide(cands)
        XCTAssertEqual(d.keep, ["a", "b", "c"])
        XCTAssertEqual(d.delete, [])
        XCTAssertEqual(d.reasons["a"], [.noRule])
        XCTAssertEqual(d.reasons["b"], [.corrupt])
        XCTAssertEqual(d.reasons["c"], [.noRule, .newestValid])
        XCTAssertFalse(RetentionPolicy.keepAll.hasRule)
    }

    func testKeepLastKeepsNewestByStep() {
        // Listed out of order on purpose: the decision must sort by step, not by input order.
        let cands = [c("s30", step: 30), c("s10", step: 10), c("s50", step: 50), c("s20", step: 20), c("s40", step: 40)]
        let d = RetentionPolicy(keepLast: 2).decide(cands)
        XCTAssertEqual(d.keep, ["s40", "s50"])
        XCTAssertEqual(d.delete, ["s10", "s20", "s30"])
        XCTAssertEqual(d.reasons["s50"], [.last, .newestValid])
        XCTAssertEqual(d.reasons["s40"], [.last])
    }

    func testKeepLastLargerThanCountKeepsAll() {
        let cands = [c("a", step: 1), c("b", step: 2)]
        let d = RetentionPolicy(keepLast: 5).decide(cands)
        XCTAssertEqual(d.keep, ["a", "b"])
        XCTAssertTrue(d.delete.isEmpty)
    }

    func testKeepLastZeroStillKeepsNewestValid() {
        let cands = [c("a", step: 1), c("b", step: 2), c("c", step: 3)]
        let d = RetentionPolicy(keepLast: 0).decide(cands)
        XCTAssertEqual(d.keep, ["c"])
        XCTAssertEqual(d.reasons["c"], [.newestValid])
        XCTAssertEqual(d.delete, ["a", "b"])
    }

    func testEmptyCandidateList() {
        let d = RetentionPolicy(keepLast: 1, keepBest: .init(minLoss, count: 1)).decide([])
        XCTAssertEqual(d, RetentionDecision(keep: [], delete: [], reasons: [:]))
    }

    func testEqualStepsOrderedByCreation() {
        // After resuming from an older checkpoint, the same step can be written twice; the later one is newer.
        let cands = [c("late", step: 100, order: 7), c("early", step: 100, order: 3), c("old", step: 50, order: 1)]
        let d = RetentionPolicy(keepLast: 1).decide(cands)
        XCTAssertEqual(d.keep, ["late"])
        XCTAssertEqual(d.delete, ["old", "early"])
    }

    func testKeepBestMin() {
        let cands = [c("a", step: 1, loss: 0.9), c("b", step: 2, loss: 0.3), c("c", step: 3, loss: 0.5),
                     c("d", step: 4, loss: 0.2), c("e", step: 5, loss: 0.7)]
        let d = RetentionPolicy(keepBest: .init(minLoss, count: 2)).decide(cands)
        XCTAssertEqual(d.keep, ["b", "d", "e"])  // e is the newest valid
        XCTAssertEqual(d.reasons["b"], [.best])
        XCTAssertEqual(d.reasons["d"], [.best])
        XCTAssertEqual(d.reasons["e"], [.newestValid])
        XCTAssertEqual(d.delete, ["a", "c"])
    }

    func testKeepBestMax() {
        let cands = [c("a", step: 1, acc: 0.5), c("b", step: 2, acc: 0.9), c("c", step: 3, acc: 0.7),
                     c("d", step: 4, acc: 0.1)]
        let d = RetentionPolicy(keepBest: .init(maxAcc, count: 1)).decide(cands)
        XCTAssertEqual(d.keep, ["b", "d"])
        XCTAssertEqual(d.reasons["b"], [.best])
        XCTAssertEqual(d.delete, ["a", "c"])
    }

    func testKeepLastAndBestAddUp() {
        let cands = [c("a", step: 1, loss: 0.1), c("b", step: 2, loss: 0.5), c("c", step: 3, loss: 0.4),
                     c("d", step: 4, loss: 0.6), c("e", step: 5, loss: 0.8)]
        let d = RetentionPolicy(keepLast: 2, keepBest: .init(minLoss, count: 2)).decide(cands)
        XCTAssertEqual(d.keep, ["a", "c", "d", "e"])
        XCTAssertEqual(d.reasons["a"], [.best])
        XCTAssertEqual(d.reasons["c"], [.best])
        XCTAssertEqual(d.reasons["d"], [.last])
        XCTAssertEqual(d.reasons["e"], [.last, .newestValid])
        XCTAssertEqual(d.delete, ["b"])
    }

    func testOverlapBetweenLastAndBest() {
        let cands = [c("a", step: 1, loss: 0.9), c("b", step: 2, loss: 0.8), c("c", step: 3, loss: 0.1)]
        let d = RetentionPolicy(keepLast: 1, keepBest: .init(minLoss, count: 1)).decide(cands)
        XCTAssertEqual(d.keep, ["c"])
        XCTAssertEqual(d.reasons["c"], [.last, .best, .newestValid])
        XCTAssertEqual(d.delete, ["a", "b"])
    }

    func testTiesPreferEarlierCheckpoint() {
        let cands = [c("a", step: 1, loss: 0.5), c("b", step: 2, loss: 0.3), c("c", step: 3, loss: 0.3),
                     c("d", step: 4, loss: 0.3), c("e", step: 5, loss: 0.9)]
        let d = RetentionPolicy(keepBest: .init(minLoss, count: 2)).decide(cands)
        XCTAssertEqual(d.keep, ["b", "c", "e"])
        XCTAssertEqual(d.reasons["b"], [.best])
        XCTAssertEqual(d.reasons["c"], [.best])
        XCTAssertEqual(d.delete, ["a", "d"])
    }

    func testTieOnSameStepUsesCreationOrder() {
        let cands = [c("x", step: 10, order: 2, loss: 0.3), c("y", step: 10, order: 1, loss: 0.3),
                     c("z", step: 20, order: 3, loss: 1.0)]
        let d = RetentionPolicy(keepBest: .init(minLoss, count: 1)).decide(cands)
        XCTAssertEqual(d.reasons["y"], [.best])
        XCTAssertNil(d.reasons["x"])
        XCTAssertEqual(d.delete, ["x"])
    }

    func testNaNIsNeverBest() {
        let cands = [c("nan", step: 1, loss: .nan), c("good", step: 2, loss: 0.5), c("worse", step: 3, loss: 0.7),
                     c("last", step: 4, loss: .nan)]
        let d = RetentionPolicy(keepBest: .init(minLoss, count: 2)).decide(cands)
        XCTAssertEqual(d.reasons["good"], [.best])
        XCTAssertEqual(d.reasons["worse"], [.best])
        XCTAssertNil(d.reasons["nan"])
        XCTAssertEqual(d.reasons["last"], [.newestValid])  // kept only because it is the newest
        XCTAssertEqual(d.delete, ["nan"])
    }

    func testInfinitiesNeverBest() {
        let cands = [c("neginf", step: 1, loss: -.infinity), c("posinf", step: 2, acc: .infinity),
                     c("ok", step: 3, loss: 0.4, acc: 0.2), c("tail", step: 4)]
        let dMin = RetentionPolicy(keepBest: .init(minLoss, count: 1)).decide(cands)
        XCTAssertEqual(dMin.reasons["ok"], [.best])
        XCTAssertEqual(dMin.delete, ["neginf", "posinf"])
        let dMax = RetentionPolicy(keepBest: .init(maxAcc, count: 1)).decide(cands)
        XCTAssertEqual(dMax.reasons["ok"], [.best])
        XCTAssertEqual(dMax.delete, ["neginf", "posinf"])
    }

    func testAllNaNKeepsOnlyNewest() {
        let cands = [c("a", step: 1, loss: .nan), c("b", step: 2, loss: .nan)]
        let d = RetentionPolicy(keepBest: .init(minLoss, count: 3)).decide(cands)
        XCTAssertEqual(d.keep, ["b"])
        XCTAssertEqual(d.delete, ["a"])
    }

    func testMissingMonitorMetricNeverBest() {
        let cands = [c("nometric1", step: 1), c("m", step: 2, loss: 2.0), c("nometric2", step: 3), c("nometric3", step: 4)]
        let d = RetentionPolicy(keepBest: .init(minLoss, count: 2)).decide(cands)
        XCTAssertEqual(d.reasons["m"], [.best])
        XCTAssertEqual(d.reasons["nometric3"], [.newestValid])
        XCTAssertEqual(d.delete, ["nometric1", "nometric2"])
    }

    func testKeepBestZeroCount() {
        let cands = [c("a", step: 1, loss: 0.1), c("b", step: 2, loss: 0.2)]
        let d = RetentionPolicy(keepBest: .init(minLoss, count: 0)).decide(cands)
        XCTAssertEqual(d.keep, ["b"])
        XCTAssertEqual(d.delete, ["a"])
    }

    func testCorruptNeverCountsAndIsLeftAlone() {
        // The two newest are corrupt: keep-last must reach past them to the newest valid ones.
        let cands = [c("v1", step: 1, loss: 0.1), c("v2", step: 2, loss: 0.9), c("v3", step: 3, loss: 0.8),
                     c("bad4", step: 4, loss: 0.01, valid: false), c("bad5", step: 5, valid: false)]
        let d = RetentionPolicy(keepLast: 2, keepBest: .init(minLoss, count: 1)).decide(cands)
        XCTAssertEqual(d.reasons["v3"], [.last, .newestValid])
        XCTAssertEqual(d.reasons["v2"], [.last])
        XCTAssertEqual(d.reasons["v1"], [.best])  // bad4's better loss does not count
        XCTAssertEqual(d.reasons["bad4"], [.corrupt])
        XCTAssertEqual(d.reasons["bad5"], [.corrupt])
        XCTAssertTrue(d.delete.isEmpty)
    }

    func testDeleteCorrupt() {
        let cands = [c("v1", step: 1), c("bad2", step: 2, valid: false), c("v3", step: 3), c("bad4", step: 4, valid: false)]
        let d = RetentionPolicy(keepLast: 5, deleteCorrupt: true).decide(cands)
        XCTAssertEqual(d.keep, ["v1", "v3"])
        XCTAssertEqual(d.delete, ["bad2", "bad4"])
        // deleteCorrupt alone deletes only corrupt ones.
        let d2 = RetentionPolicy(deleteCorrupt: true).decide(cands)
        XCTAssertEqual(d2.keep, ["v1", "v3"])
        XCTAssertEqual(d2.reasons["v1"], [.noRule])
        XCTAssertTrue(RetentionPolicy(deleteCorrupt: true).hasRule)
    }

    func testProtectedCorruptIsKeptEvenWhenDeletingCorrupt() {
        let cands = [c("bad", step: 1, valid: false), c("v", step: 2)]
        let d = RetentionPolicy(keepLast: 1, deleteCorrupt: true).decide(cands, protected: ["bad"])
        XCTAssertEqual(d.keep, ["bad", "v"])
        XCTAssertEqual(d.reasons["bad"], [.protected])
    }

    func testAllCorruptNothingDeletedByDefault() {
        let cands = [c("a", step: 1, valid: false), c("b", step: 2, valid: false)]
        let d = RetentionPolicy(keepLast: 0).decide(cands)
        XCTAssertEqual(d.keep, ["a", "b"])
        XCTAssertTrue(d.delete.isEmpty)
    }

    func testProtectedResumedFromIsNeverDeleted() {
        let cands = (1...6).map { c("s\($0)", step: $0 * 10, loss: Double($0)) }
        let d = RetentionPolicy(keepLast: 1, keepBest: .init(minLoss, count: 1)).decide(cands, protected: ["s3", "missing"])
        XCTAssertEqual(d.keep, ["s1", "s3", "s6"])
        XCTAssertEqual(d.reasons["s3"], [.protected])
        XCTAssertEqual(d.delete, ["s2", "s4", "s5"])
        XCTAssertNil(d.reasons["missing"])
    }

    func testKeepAndDeletePartitionInput() {
        var cands: [RetentionCandidate] = []
        for i in 0..<40 {
            let loss: Double? = i % 7 == 0 ? .nan : (i % 5 == 0 ? nil : Double((i * 37) % 11))
            cands.append(c("c\(i)", step: (i * 13) % 17, order: i, loss: loss, valid: i % 9 != 4))
        }
        let policy = RetentionPolicy(keepLast: 3, keepBest: .init(minLoss, count: 4))
        let d = policy.decide(cands, protected: ["c5"])
        XCTAssertEqual(Set(d.keep).union(d.delete), Set(cands.map(\.name)))
        XCTAssertTrue(Set(d.keep).isDisjoint(with: d.delete))
        XCTAssertEqual(d.keep.count, d.reasons.count)
        XCTAssertEqual(d.reasons.values.filter { $0.contains(.last) }.count, 3)
        XCTAssertEqual(d.reasons.values.filter { $0.contains(.best) }.count, 4)
        XCTAssertEqual(d.reasons.values.filter { $0.contains(.newestValid) }.count, 1)
        XCTAssertTrue(d.keep.contains("c5"))
        // Deterministic: same input in another order gives the same decision.
        XCTAssertEqual(policy.decide(cands.reversed(), protected: ["c5"]), d)
    }

    func testCodableRoundTrip() throws {
        let p = RetentionPolicy(keepLast: 3, keepBest: .init(maxAcc, count: 2), deleteCorrupt: true)
        let back = try JSONDecoder().decode(RetentionPolicy.self, from: JSONEncoder().encode(p))
        XCTAssertEqual(back, p)
    }
}
