import XCTest
import TensorCore
@testable import Data

final class AugmentationTests: XCTestCase {
    /// One [1, 3, 4] example with values 1…12.
    let example = Tensor((1...12).map(Float.init), shape: [1, 3, 4])

    func testCropWithPaddingTakesTheDrawnWindow() {
        let seed: UInt64 = 9
        var g = Augmentation.generator(seed: seed, epoch: 2, index: 5)
        var probe = g
        let top = probe.nextInt(below: 3 + 2 - 2 + 1), left = probe.nextInt(below: 4 + 2 - 2 + 1)
        let out = Augmentation.apply([.randomCrop(size: 2, padding: 1)], to: example, generator: &g)
        XCTAssertEqual(out.shape, [1, 2, 2])
        var expected: [Float] = []
        for y in 0..<2 {
            for x in 0..<2 {
                let sy = top + y - 1, sx = left + x - 1
                expected.append(sy >= 0 && sy < 3 && sx >= 0 && sx < 4 ? Float(sy * 4 + sx + 1) : 0)
            }
        }
        XCTAssertEqual(out.toArray(), expected)
        XCTAssertEqual(g, probe, "the crop draws exactly top then left")
    }

    func testPaddedCornerIsZero() {
        // With padding 2 and a 1x1 crop, over many examples some crops land in the zero border.
        var zeros = 0
        for i in 0..<64 {
            var g = Augmentation.generator(seed: 1, epoch: 0, index: i)
            let out = Augmentation.apply([.randomCrop(size: 1, padding: 2)], to: example, generator: &g)
            if out.item == 0 { zeros += 1 }
        }
        XCTAssertGreaterThan(zeros, 0)
        XCTAssertLessThan(zeros, 64)
    }

    func testFlipMirrorsRowsAndProbabilityExtremes() {
        var g = Augmentation.generator(seed: 0, epoch: 0, index: 0)
        let always = Augmentation.apply([.horizontalFlip(probability: 1)], to: example, generator: &g)
        XCTAssertEqual(always.toArray(), [4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9])
        let never = Augmentation.apply([.horizontalFlip(probability: 0)], to: example, generator: &g)
        XCTAssertEqual(never.toArray(), example.toArray())
    }

    func testSameSeedEpochIndexGivesTheSameResultAndOthersDiffer() {
        let augs: [Augmentation] = [.randomCrop(size: 3, padding: 2), .horizontalFlip(probability: 0.5)]
        func run(_ seed: UInt64, _ epoch: Int, _ index: Int, source: Int = 0) -> [Float] {
            var g = Augmentation.generator(seed: seed, epoch: epoch, source: source, index: index)
            return Augmentation.apply(augs, to: example, generator: &g).toArray()
        }
        XCTAssertEqual(run(3, 1, 7), run(3, 1, 7))
        let variants = Set((0..<20).map { run(3, 1, $0) })
        XCTAssertGreaterThan(variants.count, 5)
        XCTAssertTrue((0..<20).contains { run(3, 1, $0) != run(3, 2, $0) })
        XCTAssertTrue((0..<20).contains { run(3, 1, $0) != run(3, 1, $0, source: 1) })
    }

    func testGeneratorPositionIsTheDocumentedCounter() {
        let g = Augmentation.generator(seed: 4, epoch: 3, source: 1, index: 6)
        XCTAssertEqual(g.counter.hi, 3)
        XCTAssertEqual(g.counter.lo, 1 << 60 | 6 << 16)
        XCTAssertEqual(g.stream, RNGStreams.streamID("augment"))
    }

    func testAugmentationsAreCodable() throws {
        let augs: [Augmentation] = [.randomCrop(size: 28, padding: 4), .horizontalFlip(probability: 0.5)]
        let data = try JSONEncoder().encode(augs)
        XCTAssertEqual(try JSONDecoder().decode([Augmentation].self, from: data), augs)
    }
}
