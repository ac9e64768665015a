import Foundation
import XCTest
import TensorCore
@testable import Data

final class MixedBatchSamplerTests: XCTestCase {
    func testRatioSetsTheOldShareOfEachBatch() throws {
        let s = try MixedBatchSampler(newCount: 50, oldCount: 30, batchSize: 32, ratio: 0.3, seed: 1)
        XCTAssertEqual(s.oldPerBatch, 10)
        XCTAssertEqual(s.newPerBatch, 22)
        XCTAssertEqual(s.batchesPerEpoch, 3)
        let plan = s.plan(epoch: 0)
        let batches = (0..<plan.batchCount).map { plan.batch($0) }
        XCTAssertEqual(batches.map { $0.filter { $0.source == 0 }.count }, [22, 22, 6])
        // The partial batch keeps the proportion: round(6 · 10 / 22) = 3.
        XCTAssertEqual(batches.map { $0.filter { $0.source == 1 }.count }, [10, 10, 3])
        // New first, then old, in every batch.
        for b in batches { XCTAssertEqual(b.map(\.source), b.map(\.source).sorted()) }
        let new = plan.refs.filter { $0.source == 0 }.map(\.index)
        XCTAssertEqual(new.sorted(), Array(0..<50))
        let old = plan.refs.filter { $0.source == 1 }.map(\.index)
        XCTAssertEqual(old.count, 23)
        XCTAssertEqual(Set(old).count, 23, "the first pass over the old data has no repeats")
        XCTAssertTrue(old.allSatisfy { $0 < 30 })
    }

    func testRoundingIsHalfAwayFromZeroAndOldDataCycles() throws {
        let s = try MixedBatchSampler(newCount: 14, oldCount: 4, batchSize: 10, ratio: 0.25, dropLast: true, seed: 2)
        XCTAssertEqual(s.oldPerBatch, 3)  // 2.5 → 3
        XCTAssertEqual(s.batchesPerEpoch, 2)
        let old = s.plan(epoch: 0).refs.filter { $0.source == 1 }.map(\.index)
        XCTAssertEqual(old.count, 6)
        XCTAssertEqual(Set(old.prefix(4)), [0, 1, 2, 3], "old data is drawn as whole permutations")
        XCTAssertEqual(try MixedBatchSampler(newCount: 5, oldCount: 0, batchSize: 10, ratio: 0.04, seed: 0).oldPerBatch, 0)
    }

    func testBadRatiosThrow() {
        assertDataError("rehearsal ratio 1.0 must be in [0, 1)") {
            _ = try MixedBatchSampler(newCount: 5, oldCount: 5, batchSize: 4, ratio: 1, seed: 0)
        }
        assertDataError("leaves no new examples in a batch of 4") {
            _ = try MixedBatchSampler(newCount: 5, oldCount: 5, batchSize: 4, ratio: 0.9, seed: 0)
        }
        assertDataError("the old dataset is empty") {
            _ = try MixedBatchSampler(newCount: 5, oldCount: 0, batchSize: 4, ratio: 0.5, seed: 0)
        }
    }

    func testRehearsalLoaderIsDeterministicAndResumable() throws {
        let new = TensorDataset(inputs: Tensor((0..<20).map(Float.init), shape: [20, 1]), labels: [Int](repeating: 3, count: 20))
        let old = TensorDataset(inputs: Tensor((0..<7).map { Float(1000 + $0) }, shape: [7, 1]), labels: [0, 1, 2, 0, 1, 2, 0])
        let config = DataLoader.Config(batchSize: 8, seed: 21)
        func run(_ loader: DataLoader) throws -> [[Float]] {
            try loader.remainingBatches().map { $0.inputs.toArray() + $0.labelValues.map(Float.init) + $0.sources.map(Float.init) }
        }
        let a = try DataLoader(new: new, old: old, rehearsalRatio: 0.25, config: config)
        let a0 = try run(a), a1 = try run(a)
        let b = try DataLoader(new: new, old: old, rehearsalRatio: 0.25, config: config)
        XCTAssertEqual(try run(b), a0)
        XCTAssertNotEqual(a0, a1)

        let first = try DataLoader(new: new, old: old, rehearsalRatio: 0.25, config: config)
        let batch = try first.next()!
        XCTAssertEqual(batch.sources, [0, 0, 0, 0, 0, 0, 1, 1])
        XCTAssertEqual(batch.labelValues.prefix(6), [3, 3, 3, 3, 3, 3])
        XCTAssertTrue(batch.inputs.toArray().suffix(2).allSatisfy { $0 >= 1000 })
        let saved = try JSONDecoder().decode(LoaderPosition.self, from: try JSONEncoder().encode(first.position))
        XCTAssertEqual(saved.datasetSize, 27)
        let resumed = try DataLoader(new: new, old: old, rehearsalRatio: 0.25, config: config)
        try resumed.restore(saved)
        XCTAssertEqual(try run(resumed), Array(a0.dropFirst()))
        // A different ratio is a different sampler: mid-epoch restore refuses it.
        let other = try DataLoader(new: new, old: old, rehearsalRatio: 0.5, config: config)
        assertDataError("dataset fingerprint") { try other.restore(saved) }
    }
}
