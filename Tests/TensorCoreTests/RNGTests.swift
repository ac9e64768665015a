import Foundation
import XCTest
@testable import TensorCore

final class RNGTests: XCTestCase {
    private func words(_ t: (UInt32, UInt32, UInt32, UInt32)) -> [UInt32] { [t.0, t.1, t.2, t.3] }

    private func draws(_ g: inout RandomGenerator, _ n: Int) -> [UInt32] {
        (0..<n).map { _ in g.nextUInt32() }
    }

    // MARK: - Philox

    func testPhiloxRandom123KnownAnswers() {
        XCTAssertEqual(words(Philox.block(counter: (0, 0, 0, 0), key: (0, 0))),
                       [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8])
        XCTAssertEqual(words(Philox.block(counter: (.max, .max, .max, .max), key: (.max, .max))),
                       [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD])
        XCTAssertEqual(words(Philox.block(counter: (0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344),
                                          key: (0xA409_3822, 0x299F_31D0))),
                       [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1])
    }

    func testGeneratorEmitsPhiloxBlocksInCounterOrder() {
        var g = RandomGenerator(seed: 123, stream: 9)
        let key = g.key
        let got = draws(&g, 12)
        var want: [UInt32] = []
        for c in 0..<3 as Range<UInt32> { want += words(Philox.block(counter: (c, 0, 0, 0), key: key)) }
        XCTAssertEqual(got, want)
        XCTAssertEqual(g.counter.hi, 0)
        XCTAssertEqual(g.counter.lo, 3)
    }

    /// Pins key derivation and stream hashing: changing either would silently break resuming old runs.
    func testGoldenSequences() {
        var g = RandomGenerator(seed: 42)
        XCTAssertEqual(draws(&g, 8), [0x2BD9_F2BF, 0x5637_B205, 0x6C34_B3CD, 0xFE6E_2A29,
                                      0x201E_355D, 0x16C1_E3F8, 0xE240_3199, 0xC630_457B])
        XCTAssertEqual(RNGStreams.streamID("dropout"), 0xA13B_29C6_0C02_B510)
        XCTAssertEqual(RNGStreams.streamID("init"), 0xF5D2_AFC5_7AB5_7213)
        var s = RNGStreams(seed: 7)
        XCTAssertEqual(s.withStream(RNGStreams.dropout) { draws(&$0, 4) },
                       [0x86DE_6B67, 0x87B4_A016, 0x8D17_D886, 0x7234_DAA4])
    }

    func testCounterCarriesIntoHighWordAndSeeks() {
        var g = RandomGenerator(seed: 5)
        g.counter = (hi: 0, lo: .max)
        let key = g.key
        XCTAssertEqual(draws(&g, 8),
                       words(Philox.block(counter: (.max, .max, 0, 0), key: key))
                       + words(Philox.block(counter: (0, 0, 1, 0), key: key)))
        XCTAssertEqual(g.counter.hi, 1)
        XCTAssertEqual(g.counter.lo, 1)

        // Seeking discards buffered outputs: the next draw is the first word of the target block.
        _ = g.nextUInt32()
        g.counter = (hi: 0x1_0000_0003, lo: 2)
        XCTAssertEqual(g.nextUInt32(), Philox.block(counter: (2, 0, 3, 1), key: key).0)
    }

    // MARK: - Save / restore

    func testRestoreAfterOddDrawsContinuesExactly() throws {
        for k in [0, 1, 2, 3, 4, 5, 7, 9] {
            var g = RandomGenerator(seed: 2024, stream: 3)
            _ = draws(&g, k)
            var r = try RandomGenerator(stateBytes: g.stateBytes)
            XCTAssertEqual(r, g, "after \(k) draws")
            XCTAssertEqual(draws(&r, 13), draws(&g, 13), "after \(k) draws")
        }
    }

    func testRestoreAfterMixedDrawsContinuesExactly() throws {
        var g = RandomGenerator(seed: 1, stream: 77)
        _ = g.nextNormal()
        var r = try RandomGenerator(stateBytes: g.stateBytes)
        XCTAssertEqual(r.nextNormal(), g.nextNormal())

        _ = g.nextUInt32()
        _ = g.nextNormal()            // now mid-block
        _ = g.nextInt(below: 1000)
        _ = g.nextDouble()
        _ = g.uniform([3, 3])
        _ = g.normal([5])
        r = try RandomGenerator(stateBytes: g.stateBytes)
        XCTAssertEqual(r, g)
        XCTAssertEqual(r.nextFloat(), g.nextFloat())
        XCTAssertEqual(r.nextNormal(), g.nextNormal())
        XCTAssertEqual(r.permutation(20), g.permutation(20))
        XCTAssertEqual(r.uniform([7]).toArray(), g.uniform([7]).toArray())
        XCTAssertEqual(draws(&r, 9), draws(&g, 9))
    }

    func testStateBytesLayoutIsFixedAndLittleEndian() {
        var g = RandomGenerator(seed: 0x0102_0304_0506_0708, stream: 0x1112_1314_1516_1718)
        _ = draws(&g, 6)
        let b = g.stateBytes
        XCTAssertEqual(b.count, RandomGenerator.stateByteCount)
        XCTAssertEqual(b.count, 44)
        XCTAssertEqual(Array(b[0..<4]), Array("CRNG".utf8))
        XCTAssertEqual(Array(b[4..<8]), [1, 0, 0, 0])
        XCTAssertEqual(Array(b[8..<16]), [8, 7, 6, 5, 4, 3, 2, 1])
        XCTAssertEqual(Array(b[16..<24]), [0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11])
        XCTAssertEqual(Array(b[24..<32]), [0, 0, 0, 0, 0, 0, 0, 0])   // counter hi
        XCTAssertEqual(Array(b[32..<40]), [2, 0, 0, 0, 0, 0, 0, 0])   // counter lo: two blocks generated
        XCTAssertEqual(Array(b[40..<44]), [2, 0, 0, 0])               // two outputs of block 1 used
    }

    func testCodableRoundTripsExactly() throws {
        var g = RandomGenerator(seed: 99, stream: 4)
        _ = draws(&g, 3)
        let json = try JSONEncoder().encode(g)
        var back = try JSONDecoder().decode(RandomGenerator.self, from: json)
        XCTAssertEqual(back, g)
        XCTAssertEqual(draws(&back, 10), draws(&g, 10))

        var s = RNGStreams(seed: 11)
        _ = s[RNGStreams.dropout].nextFloat()
        s.withStream("augment") { _ = $0.normal([3]) }
        let sJSON = try JSONEncoder().encode(["rng": s])
        var sBack = try JSONDecoder().decode([String: RNGStreams].self, from: sJSON)["rng"]!
        XCTAssertEqual(sBack, s)
        XCTAssertEqual(sBack[RNGStreams.dropout].nextUInt64(), s[RNGStreams.dropout].nextUInt64())
    }

    // MARK: - Skip

    func testSkipEqualsDrawingOneByOne() {
        for start in [0, 1, 3, 4, 6] {
            for k in [0, 1, 2, 3, 4, 5, 8, 11, 1000] as [UInt64] {
                var a = RandomGenerator(seed: 8, stream: 1)
                var b = a
                _ = draws(&a, start)
                _ = draws(&b, start)
                a.skip(draws: k)
                _ = draws(&b, Int(k))
                XCTAssertEqual(a, b, "start \(start), skip \(k)")
                XCTAssertEqual(draws(&a, 6), draws(&b, 6), "start \(start), skip \(k)")
            }
        }
    }

    func testSkipHugeIsConstantTimeAndCarries() {
        var g = RandomGenerator(seed: 3)
        g.counter = (hi: 0, lo: .max - 1)
        g.skip(draws: 4 * 3 + 1)   // blocks 2^64-2, 2^64-1, 2^64 consumed; one draw into 2^64+1
        let key = g.key
        XCTAssertEqual(g.nextUInt32(), Philox.block(counter: (1, 0, 1, 0), key: key).1)
        g.skip(draws: .max)
        XCTAssertGreaterThan(g.counter.lo, 1 << 61)   // moved by about 2^62 blocks in O(1)
    }

    // MARK: - Streams

    func testStreamsAreIndependentAndReproducible() {
        var a = RNGStreams(seed: 5)
        var b = RNGStreams(seed: 5)
        let names = [RNGStreams.initStream, RNGStreams.dropout, RNGStreams.shuffle, RNGStreams.augment, "my-aug"]
        var firsts: [[UInt32]] = []
        for name in names {
            let x = a.withStream(name) { draws(&$0, 8) }
            let y = b.withStream(name) { draws(&$0, 8) }
            XCTAssertEqual(x, y, "same seed and name must agree for \(name)")
            firsts.append(x)
        }
        XCTAssertEqual(Set(firsts.map { $0.description }).count, names.count, "streams must differ")
        XCTAssertEqual(a.names, names.sorted())

        // Drawing heavily from one stream leaves the others untouched.
        var c = RNGStreams(seed: 5)
        _ = c[RNGStreams.dropout].uniform([1000])
        XCTAssertEqual(c.withStream(RNGStreams.shuffle) { draws(&$0, 8) }, firsts[2])
        XCTAssertEqual(c[RNGStreams.initStream].nextUInt32(), firsts[0][0])

        var other = RNGStreams(seed: 6)
        XCTAssertNotEqual(other.withStream(RNGStreams.dropout) { draws(&$0, 8) }, firsts[1])
    }

    func testSubscriptStoresMutationsAndReadsDoNotCreate() {
        var s = RNGStreams(seed: 1)
        _ = s["never-mutated"]
        XCTAssertEqual(s.names, [])
        let first = s["x"].nextUInt32()
        let second = s["x"].nextUInt32()
        var fresh = RandomGenerator(seed: 1, stream: RNGStreams.streamID("x"))
        XCTAssertEqual([first, second], draws(&fresh, 2))
        XCTAssertEqual(s.names, ["x"])
    }

    func testCanonicallyEquivalentNamesShareAStream() {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        XCTAssertEqual(RNGStreams.streamID(composed), RNGStreams.streamID(decomposed))
        var s = RNGStreams(seed: 2)
        _ = s[decomposed].nextUInt32()
        XCTAssertEqual(Array(s.names[0].utf8), Array(composed.utf8))
    }

    func testStreamsSaveRestoreIsExactAndDeterministic() throws {
        var a = RNGStreams(seed: 77)
        var b = RNGStreams(seed: 77)
        // Same draws, different creation order: the bytes must not depend on it.
        _ = a["zeta"].nextUInt32(); _ = a["alpha"].nextNormal(); a.withStream("mid") { _ = $0.nextFloat() }
        b.withStream("mid") { _ = $0.nextFloat() }; _ = b["alpha"].nextNormal(); _ = b["zeta"].nextUInt32()
        XCTAssertEqual(a.stateBytes, b.stateBytes)

        var r = try RNGStreams(stateBytes: a.stateBytes)
        XCTAssertEqual(r, a)
        XCTAssertEqual(r.seed, 77)
        XCTAssertEqual(r.names, ["alpha", "mid", "zeta"])
        for name in r.names {
            XCTAssertEqual(r.withStream(name) { draws(&$0, 7) }, a.withStream(name) { draws(&$0, 7) }, name)
        }
        XCTAssertEqual(try RNGStreams(stateBytes: RNGStreams(seed: 3).stateBytes), RNGStreams(seed: 3))
    }

    // MARK: - Distributions

    func testScalarUnitDrawsAreInRange() {
        var g = RandomGenerator(seed: 17)
        for _ in 0..<10_000 {
            let f = g.nextFloat(), d = g.nextDouble()
            XCTAssert(f >= 0 && f < 1)
            XCTAssert(d >= 0 && d < 1)
        }
    }

    func testUniformRangeMeanAndVariance() {
        var g = RandomGenerator(seed: 31, stream: 2)
        let v = g.uniform([200, 500], low: -2, high: 3).toArray()
        XCTAssertEqual(v.count, 100_000)
        XCTAssert(v.allSatisfy { $0 >= -2 && $0 < 3 })
        let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)
        XCTAssertEqual(mean, 0.5, accuracy: 0.03)             // sd of mean ≈ 0.0046
        XCTAssertEqual(variance, 25.0 / 12.0, accuracy: 0.05)
        XCTAssertEqual(g.uniform([4], low: 2, high: 2).toArray(), [2, 2, 2, 2])
        XCTAssertEqual(g.uniform([0, 3]).shape, [0, 3])
    }

    func testTensorFillsMatchScalarDrawsFromAnyPosition() {
        for start in 0..<4 {
            var a = RandomGenerator(seed: 4, stream: 4)
            _ = draws(&a, start)
            var b = a
            XCTAssertEqual(a.uniform([2, 5]).toArray(), (0..<10).map { _ in b.nextFloat() }, "start \(start)")
            XCTAssertEqual(a.bernoulliMask([9], keepProbability: 0.3).toArray(),
                           (0..<9).map { _ in b.nextFloat() < 0.3 ? Float(1) : 0 }, "start \(start)")
            XCTAssertEqual(a, b)
            // A normal fill of one element is nextNormal(); of n elements, n/2 rounded up Box–Muller pairs.
            XCTAssertEqual(a.normal([1]).toArray(), [b.nextNormal()], "start \(start)")
            _ = a.normal([5])
            b.skip(draws: 12)
            XCTAssertEqual(a, b, "start \(start)")
        }
    }

    func testNormalMeanVarianceAndScaling() {
        var g = RandomGenerator(seed: 8080)
        let v = g.normal([100_001]).toArray()
        XCTAssert(v.allSatisfy { $0.isFinite })
        let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.03)
        let within1 = Double(v.filter { abs($0) < 1 }.count) / Double(v.count)
        XCTAssertEqual(within1, 0.6827, accuracy: 0.01)

        var a = RandomGenerator(seed: 1), b = RandomGenerator(seed: 1)
        let scaled = a.normal([6], mean: 3, std: 0.5).toArray()
        let unit = b.normal([6]).toArray()
        for (s, u) in zip(scaled, unit) { XCTAssertEqual(s, 3 + 0.5 * u, accuracy: 1e-5) }
    }

    func testBernoulliMaskValuesAndRate() {
        var g = RandomGenerator(seed: 12)
        let m = g.bernoulliMask([50_000], keepProbability: 0.8).toArray()
        XCTAssert(m.allSatisfy { $0 == 0 || $0 == 1 })
        XCTAssertEqual(Double(m.reduce(0, +)) / 50_000, 0.8, accuracy: 0.01)
        XCTAssert(g.bernoulliMask([100], keepProbability: 1).toArray().allSatisfy { $0 == 1 })
        XCTAssert(g.bernoulliMask([100], keepProbability: 0).toArray().allSatisfy { $0 == 0 })
    }

    func testPermutationIsAPermutation() {
        var g = RandomGenerator(seed: 6)
        for n in [0, 1, 2, 10, 1000] {
            let p = g.permutation(n)
            XCTAssertEqual(p.sorted(), Array(0..<n))
        }
        let p = g.permutation(1000)
        XCTAssertNotEqual(p, Array(0..<1000))
        XCTAssertNotEqual(p, g.permutation(1000))
        var a = RandomGenerator(seed: 6, stream: 1), b = RandomGenerator(seed: 6, stream: 1)
        XCTAssertEqual(a.permutation(50), b.permutation(50))
    }

    func testPermutationPositionsAreUniform() {
        // Each of the 6 permutations of 3 items should appear about 1/6 of the time.
        var g = RandomGenerator(seed: 21)
        var counts: [[Int]: Int] = [:]
        let trials = 60_000
        for _ in 0..<trials { counts[g.permutation(3), default: 0] += 1 }
        XCTAssertEqual(counts.count, 6)
        for (p, c) in counts { XCTAssertEqual(Double(c) / Double(trials), 1.0 / 6, accuracy: 0.01, "\(p)") }
    }

    func testNextIntBelowIsInRangeAndUnbiased() {
        var g = RandomGenerator(seed: 44)
        // A bound just above 2^31 makes `x % n` visibly biased (the low half would be twice as likely).
        let n = (1 << 31) + (1 << 30)
        var low = 0
        let trials = 40_000
        for _ in 0..<trials {
            let x = g.nextInt(below: n)
            XCTAssert(x >= 0 && x < n)
            if x < n / 2 { low += 1 }
        }
        XCTAssertEqual(Double(low) / Double(trials), 0.5, accuracy: 0.015)

        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[g.nextInt(below: 7)] += 1 }
        let chi2 = counts.reduce(0.0) { $0 + pow(Double($1) - 10_000, 2) / 10_000 }
        XCTAssertLessThan(chi2, 22.5)   // p ≈ 0.001 for 6 degrees of freedom

        XCTAssertEqual(g.nextInt(below: 1), 0)
        let big = Int.max
        for _ in 0..<100 { let x = g.nextInt(below: big); XCTAssert(x >= 0 && x < big) }
        var sawHigh = false
        for _ in 0..<100 where g.nextInt(below: 1 << 40) >= 1 << 39 { sawHigh = true }
        XCTAssert(sawHigh, "bounds above 2^32 must use 64-bit draws")
    }

    // MARK: - Bad input

    private func assertThrows(_ bytes: [UInt8], mentioning parts: [String],
                              file: StaticString = #filePath, line: UInt = #line,
                              _ make: ([UInt8]) throws -> Void) {
        XCTAssertThrowsError(try make(bytes), file: file, line: line) { error in
            guard let e = error as? RNGError else { return XCTFail("not an RNGError: \(error)", file: file, line: line) }
            for p in parts {
                XCTAssert(e.description.contains(p), "\"\(e.description)\" lacks \"\(p)\"", file: file, line: line)
            }
        }
    }

    func testBadGeneratorStateThrowsWithMessage() {
        var g = RandomGenerator(seed: 1)
        _ = g.nextUInt32()
        let good = g.stateBytes
        let make: ([UInt8]) throws -> Void = { _ = try RandomGenerator(stateBytes: $0) }
        assertThrows(Array(good.dropLast()), mentioning: ["wrong length", "44", "43"], make)
        assertThrows([], mentioning: ["wrong length"], make)
        var bad = good; bad[0] = UInt8(ascii: "X")
        assertThrows(bad, mentioning: ["bad magic", "CRNG", "XRNG"], make)
        bad = good; bad[4] = 2
        assertThrows(bad, mentioning: ["bad version", "2"], make)
        bad = good; bad[40] = 5
        assertThrows(bad, mentioning: ["lane", "offset 40", "5"], make)
    }

    func testBadStreamsStateThrowsWithMessage() {
        var s = RNGStreams(seed: 9)
        _ = s["a"].nextUInt32()
        _ = s["b"].nextUInt32()
        let good = s.stateBytes
        let make: ([UInt8]) throws -> Void = { _ = try RNGStreams(stateBytes: $0) }
        XCTAssertNoThrow(try make(good))
        assertThrows(Array(good.dropLast(1)), mentioning: ["truncated", "need 44"], make)
        assertThrows(Array(good.dropLast(3)), mentioning: ["stream count", "2 streams"], make)
        var long = good; long[20] = 0xFF   // first name claims 255 bytes
        assertThrows(long, mentioning: ["truncated at offset 24", "need 255"], make)
        assertThrows(good + [0], mentioning: ["trailing", "1"], make)
        assertThrows(Array(good.prefix(2)), mentioning: ["truncated", "offset 0"], make)
        var bad = good; bad[3] = 0
        assertThrows(bad, mentioning: ["bad magic"], make)
        bad = good; bad[4] = 9
        assertThrows(bad, mentioning: ["bad version", "9"], make)
        bad = good; bad[16] = 200
        assertThrows(bad, mentioning: ["stream count", "200"], make)
        // Swap the names "a" and "b": out of order, and the generators no longer match their names.
        let nameB = 20 + 4 + 1 + 44 + 4
        bad = good; bad[24] = UInt8(ascii: "c")
        assertThrows(bad, mentioning: ["stream \"c\"", "expected seed 9"], make)
        bad = good; bad[nameB] = UInt8(ascii: "a")
        assertThrows(bad, mentioning: ["out of order", "\"a\""], make)
        bad = good; bad[24] = 0xFF
        assertThrows(bad, mentioning: ["UTF-8", "offset 24"], make)
        bad = good; bad[25 + 4] = 7   // version inside the first generator record
        assertThrows(bad, mentioning: ["stream \"a\"", "bad version"], make)
    }

    func testBadJSONThrowsDecodingError() {
        for text in ["\"not base64!\"", "\"AAAA\"", "42"] {
            let data = Data("[\(text)]".utf8)
            XCTAssertThrowsError(try JSONDecoder().decode([RandomGenerator].self, from: data)) { error in
                XCTAssert(error is DecodingError, "\(error)")
                if case let DecodingError.dataCorrupted(ctx) = error {
                    XCTAssert(ctx.debugDescription.contains("RandomGenerator"), ctx.debugDescription)
                }
            }
            XCTAssertThrowsError(try JSONDecoder().decode([RNGStreams].self, from: data))
        }
    }
}
