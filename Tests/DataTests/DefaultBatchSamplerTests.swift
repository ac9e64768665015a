import XCTest
import TensorCore
@testable import Data

final class DefaultBatchSamplerTests: XCTestCase {
    func testPermutationIsTheShuffleStreamSeekedToTheEpoch() {
        var g = RandomGenerator(seed: 5, stream: RNGStreams.streamID("shuffle"))
        g.counter = (hi: 3, lo: 0)
        let expected = g.permutation(17)
        XCTAssertEqual(DefaultBatchSampler.permutation(count: 17, seed: 5, epoch: 3), expected)
        let s = DefaultBatchSampler(count: 17, batchSize: 4, shuffle: true, dropLast: false, seed: 5)
        XCTAssertEqual(s.order(epoch: 3), expected)
        XCTAssertEqual(s.plan(epoch: 3).refs.map(\.index), expected)
        XCTAssertNotEqual(s.order(epoch: 4), expected)
    }

    func testPlanSlicesBatches() {
        let s = DefaultBatchSampler(count: 10, batchSize: 4, shuffle: false, dropLast: false, seed: 0)
        let p = s.plan(epoch: 0)
        XCTAssertEqual(p.batchStarts, [0, 4, 8, 10])
        XCTAssertEqual(p.batch(2).map(\.index), [8, 9])
        let d = DefaultBatchSampler(count: 10, batchSize: 4, shuffle: false, dropLast: true, seed: 0)
        XCTAssertEqual(d.plan(epoch: 0).batchStarts, [0, 4, 8])
        XCTAssertNotEqual(s.fingerprint, d.fingerprint)
        let empty = DefaultBatchSampler(count: 0, batchSize: 4, shuffle: true, dropLast: false, seed: 0)
        XCTAssertEqual(empty.batchesPerEpoch, 0)
        XCTAssertEqual(empty.plan(epoch: 0).batchCount, 0)
    }
}
