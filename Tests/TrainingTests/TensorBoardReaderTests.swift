import Foundation
import XCTest
import TensorCore
@testable import Training

/// The spec's fixtures, round trips, tensor-style scalars, and corrupt or hostile input.
final class TensorBoardReaderTests: XCTestCase {
    private var directories: [URL] = []

    override func tearDown() {
        for d in directories { try? FileManager.default.removeItem(at: d) }
        directories = []
        super.tearDown()
    }

    func temporaryDirectory() throws -> URL {
        let url = try makeTemporaryDirectory("tbr")
        directories.append(url)
        return url
    }

    private func fixtureBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TensorBoardWriterTests.fixture(name)))
    }

    /// The byte offsets at which the records of a well-formed file start, and its length.
    private func recordOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = [], o = 0
        while o + 8 <= bytes.count {
            offsets.append(o)
            let length = (0..<8).reduce(0) { $0 | Int(bytes[o + $1]) << (8 * $1) }
            o += length + 16
        }
        return offsets
    }

    /// A record around `payload` with correct CRCs.
    private func record(_ payload: [UInt8]) -> [UInt8] {
        [UInt8](TensorBoardWriter.record(Data(payload)))
    }

    private func read(_ bytes: [UInt8], tail: Bool = false) throws -> [TensorBoardReader.Event] {
        try TensorBoardReader.events(in: Data(bytes), path: "mem.tfevents", allowTruncatedTail: tail)
    }

    // MARK: - Fixtures

    func testReadsTheHandwrittenFixture() throws {
        let url = try TensorBoardWriterTests.fixture(TensorBoardWriterTests.handwritten)
        let events = try TensorBoardReader.events(at: url)
        XCTAssertEqual(events.count, 5)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        XCTAssertEqual(events[0].wallTime, 1_700_000_000)
        XCTAssertEqual(events.map(\.offset), [0, 40, 80, 122, 169])
        XCTAssertEqual(try TensorBoardReader.scalars(at: url), [
            .init(tag: "loss", step: 0, wallTime: 1_700_000_001, value: 0.5),
            .init(tag: "loss", step: 1, wallTime: 1_700_000_002, value: 0.25),
            .init(tag: "train/acc", step: 2, wallTime: 1_700_000_003, value: 0.75),
            .init(tag: "loss", step: 3, wallTime: 1_700_000_004, value: -1.5),
        ])
    }

    func testReadsTheOfficialFixture() throws {
        let url = try TensorBoardWriterTests.fixture(TensorBoardWriterTests.official)
        let events = try TensorBoardReader.events(at: url)
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2", "file_version next to source_metadata")
        XCTAssertTrue(events[0].scalars.isEmpty)
        XCTAssertEqual(try TensorBoardReader.scalars(at: url), [
            .init(tag: "loss", step: 1, wallTime: 1_700_000_001, value: 0.5),
            .init(tag: "train/acc", step: 2, wallTime: 1_700_000_002, value: 0.25),
        ])
    }

    func testVisibleScalarsOfAFixtureDirectory() throws {
        let dir = try TensorBoardWriterTests.fixture(TensorBoardWriterTests.handwritten).deletingLastPathComponent()
        XCTAssertEqual(try TensorBoardReader.visibleScalars(inDirectory: dir).map(\.value), [0.5, 0.25, 0.75, -1.5])
    }

    // MARK: - Round trip

    func testRoundTripOfManyScalars() throws {
        let dir = try temporaryDirectory()
        var rng = RandomGenerator(seed: 3)
        let tags = ["train/loss", "train/lr", "val/val_accuracy", "a", String(repeating: "t", count: 130)]
        var expected: [TensorBoardReader.Scalar] = []
        let w = try TensorBoardWriter(directory: dir, host: "h", wallTime: 1_700_000_000, flushEvery: 64)
        for i in 0..<3000 {
            let step = Int64(i) - 100
            let wall = 1_700_000_000 + Double(i) * 0.25
            let n = 1 + rng.nextInt(below: tags.count)
            var values: [(tag: String, value: Float)] = []
            for t in tags.prefix(n) {
                let v = Float(bitPattern: rng.nextUInt32())
                values.append((t, v))
                expected.append(.init(tag: t, step: step, wallTime: wall, value: Double(v)))
            }
            try w.addScalars(values, step: step, wallTime: wall)
        }
        try w.close()
        let got = try TensorBoardReader.scalars(at: w.url)
        XCTAssertEqual(got.count, expected.count)
        for (g, e) in zip(got, expected) {
            XCTAssertEqual(g.tag, e.tag)
            XCTAssertEqual(g.step, e.step)
            XCTAssertEqual(g.wallTime, e.wallTime)
            XCTAssertEqual(Float(g.value).bitPattern, Float(e.value).bitPattern)
        }
    }

    // MARK: - Corruption

    /// Flipping any byte of a length, length CRC, data or data CRC gives the matching typed error at the record's offset.
    func testEveryFlippedByteIsACRCErrorAtItsRecord() throws {
        let bytes = try fixtureBytes(TensorBoardWriterTests.handwritten)
        let offsets = recordOffsets(bytes)
        XCTAssertEqual(offsets, [0, 40, 80, 122, 169])
        for (r, start) in offsets.enumerated() {
            let end = r + 1 < offsets.count ? offsets[r + 1] : bytes.count
            for i in start..<end {
                var corrupt = bytes
                corrupt[i] ^= 0xFF
                XCTAssertThrowsError(try read(corrupt), "byte \(i)") { error in
                    guard let e = error as? TensorBoardReader.ReadError else { return XCTFail("untyped \(error)") }
                    XCTAssertEqual(e.offset, start, "byte \(i): \(e)")
                    XCTAssertEqual(e.path, "mem.tfevents")
                    switch (i - start, e) {
                    case (0..<12, .lengthChecksumMismatch): break
                    case (12..., .dataChecksumMismatch): break
                    default: XCTFail("byte \(i) (record byte \(i - start)): unexpected \(e)")
                    }
                    XCTAssertTrue(e.description.contains("mem.tfevents: record at byte \(start)"), e.description)
                }
            }
        }
    }

    /// Cutting the file at every offset: clean ends at record boundaries, else a truncation error.
    func testTruncationAtEveryOffset() throws {
        let bytes = try fixtureBytes(TensorBoardWriterTests.handwritten)
        let offsets = recordOffsets(bytes)
        for n in 0..<bytes.count {
            let cut = Array(bytes.prefix(n))
            let complete = (offsets.dropFirst() + [bytes.count]).filter { $0 <= n }.count
            if offsets.contains(n) {
                XCTAssertEqual(try read(cut).count, offsets.firstIndex(of: n)!, "cut at \(n)")
            } else {
                let recordStart = offsets.last { $0 < n }!
                XCTAssertThrowsError(try read(cut), "cut at \(n)") { error in
                    guard case let .truncated(path, offset, needed, available) = error as? TensorBoardReader.ReadError else {
                        return XCTFail("cut at \(n): \(error)")
                    }
                    XCTAssertEqual(path, "mem.tfevents")
                    XCTAssertEqual(offset, recordStart)
                    XCTAssertEqual(available, n - recordStart)
                    XCTAssertGreaterThan(needed, available)
                }
            }
            XCTAssertEqual(try read(cut, tail: true).count, complete, "cut at \(n) with a truncated tail allowed")
        }
    }

    /// A record's length and its correct masked CRC.
    private func lengthField(_ length: UInt64) -> [UInt8] {
        var d = Data()
        TensorBoardWriter.appendLE(length, to: &d)
        TensorBoardWriter.appendLE(CRC32C.maskedChecksum(d), to: &d)
        return [UInt8](d)
    }

    func testHugeLengthIsRejectedBeforeAllocating() throws {
        var bytes = lengthField(1 << 40)
        bytes += [1, 2, 3, 4]
        XCTAssertThrowsError(try read(bytes)) {
            XCTAssertEqual($0 as? TensorBoardReader.ReadError,
                           .recordTooLarge(path: "mem.tfevents", offset: 0, length: 1 << 40))
        }
        // A plausible length beyond the end is a record still being written.
        var short = lengthField(1000)
        short += [9, 9]
        XCTAssertThrowsError(try read(short)) {
            XCTAssertEqual($0 as? TensorBoardReader.ReadError,
                           .truncated(path: "mem.tfevents", offset: 0, needed: 1016, available: 14))
        }
        XCTAssertEqual(try read(short, tail: true).count, 0)
    }

    func testMalformedProtobufNamesTheAbsoluteOffset() throws {
        let good = try fixtureBytes(TensorBoardWriterTests.handwritten)
        let cases: [([UInt8], Int, String)] = [
            ([0x0B], 0, "wire type 3"),                                // a group start
            ([0x09, 1, 2, 3], 1, "8-byte"),                            // wall_time cut short
            ([0x2A, 0x05, 0x0A], 1, "length 5"),                       // summary longer than the event
            ([0x10] + [UInt8](repeating: 0xFF, count: 11), 1, "10 bytes"),
            ([0x2A, 0x03, 0x0A, 0x01, 0x0C], 4, "wire type 4"),        // inside Summary.Value
            ([0x3A, 0x02, 0x08, 0x80], 3, "varint"),                   // SessionLog status cut short
        ]
        for (payload, at, reason) in cases {
            let bytes = good + record(payload)
            XCTAssertThrowsError(try read(bytes), "\(payload)") { error in
                guard case let .malformedEvent(path, offset, why) = error as? TensorBoardReader.ReadError else {
                    return XCTFail("\(payload): \(error)")
                }
                XCTAssertEqual(path, "mem.tfevents")
                XCTAssertEqual(offset, good.count + 12 + at, "\(payload): \(why)")
                XCTAssertTrue(why.contains(reason), "\(payload): \(why)")
            }
        }
    }

    /// Random bytes, and random payloads in valid frames, give events or typed errors, never a crash.
    func testGarbageNeverCrashes() throws {
        var rng = RandomGenerator(seed: 99)
        let fixture = try fixtureBytes(TensorBoardWriterTests.handwritten)
        var decoded = 0, rejected = 0
        for i in 0..<3000 {
            var bytes: [UInt8]
            switch i % 3 {
            case 0: bytes = (0..<rng.nextInt(below: 64)).map { _ in UInt8(truncatingIfNeeded: rng.nextUInt32()) }
            case 1:
                // A real event with random bytes changed, framed with fresh CRCs so the protobuf decoder sees it.
                let offsets = recordOffsets(fixture)
                let r = offsets[rng.nextInt(below: offsets.count)]
                let length = Int(fixture[r])
                var payload = Array(fixture[(r + 12)..<(r + 12 + length)])
                for _ in 0..<(1 + rng.nextInt(below: 3)) {
                    payload[rng.nextInt(below: payload.count)] = UInt8(truncatingIfNeeded: rng.nextUInt32())
                }
                bytes = record(payload)
            default:
                bytes = record((0..<rng.nextInt(below: 40)).map { _ in UInt8(truncatingIfNeeded: rng.nextUInt32()) })
            }
            do {
                _ = try read(bytes)
                decoded += 1
            } catch let e as TensorBoardReader.ReadError {
                rejected += 1
                XCTAssertNotNil(e.offset)
                XCTAssertLessThanOrEqual(e.offset ?? 0, bytes.count)
            }
        }
        XCTAssertGreaterThan(decoded, 0)
        XCTAssertGreaterThan(rejected, 0)
    }

    func testMissingFileIsAnIOError() {
        let url = URL(fileURLWithPath: "/nonexistent/events.out.tfevents.1.h")
        XCTAssertThrowsError(try TensorBoardReader.events(at: url)) { error in
            guard case .io(let path, _)? = error as? TensorBoardReader.ReadError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
        }
    }

    // MARK: - Tensor-style scalars (spec §6) and unknown fields

    private func event(step: UInt8, summary: [UInt8]) -> [UInt8] {
        var e: [UInt8] = [0x09] + [UInt8](repeating: 0, count: 6) + [0xF0, 0x3F]  // wall_time 1.0
        e += [0x10, step, 0x2A, UInt8(summary.count)] + summary
        return record(e)
    }

    func testReadsTensorStyleScalars() throws {
        let pytorchFloat: [UInt8] = [0x0a, 0x1d, 0x0a, 0x04, 0x6c, 0x6f, 0x73, 0x73, 0x42, 0x08, 0x08, 0x01, 0x2a, 0x04,
                                     0x00, 0x00, 0x00, 0x3f, 0x4a, 0x0b, 0x0a, 0x09, 0x0a, 0x07] + Array("scalars".utf8)
        var doubleValue = Data([0x0a, 0x01, 0x64, 0x42, 0x0e, 0x08, 0x02, 0x12, 0x00, 0x32, 0x08])
        TensorBoardWriter.appendLE((0.1 as Double).bitPattern, to: &doubleValue)
        let double = [0x0a, UInt8(doubleValue.count)] + [UInt8](doubleValue)
        // tensor_content instead of float_val, no plugin but rank 0.
        let content: [UInt8] = [0x0a, 0x0d, 0x0a, 0x01, 0x63, 0x42, 0x08, 0x08, 0x01, 0x22, 0x04, 0x00, 0x00, 0xc0, 0x3f]
        // Rank 1 without the scalars plugin: not a scalar.
        let vector: [UInt8] = [0x0a, 0x13, 0x0a, 0x01, 0x76, 0x42, 0x0e, 0x08, 0x01, 0x12, 0x04, 0x12, 0x02, 0x08, 0x01,
                               0x2a, 0x04, 0x00, 0x00, 0x80, 0x3f]
        // An image value and an unknown field (node_name, fixed64 field 15) are skipped.
        let other: [UInt8] = [0x0a, 0x07, 0x0a, 0x01, 0x69, 0x22, 0x02, 0x08, 0x01, 0x79] + [UInt8](repeating: 7, count: 8)
        let bytes = event(step: 1, summary: pytorchFloat) + event(step: 2, summary: double) + event(step: 3, summary: content)
            + event(step: 4, summary: vector) + event(step: 5, summary: other)
        XCTAssertEqual(try read(bytes).flatMap(\.scalars), [
            .init(tag: "loss", step: 1, wallTime: 1, value: 0.5),
            .init(tag: "d", step: 2, wallTime: 1, value: 0.1),
            .init(tag: "c", step: 3, wallTime: 1, value: 1.5),
        ])
    }

    func testSkipsUnknownEventFieldsAndLaterFieldsOverride() throws {
        let payload: [UInt8] = [0x10, 0x05]                  // step 5
            + [0xA0, 0x01, 0x2A]                             // unknown field 20, varint 42
            + [0x10, 0x07]                                   // step 7 overrides step 5
            + [0xAD, 0x01, 1, 2, 3, 4]                       // unknown field 21, fixed32
            + [0x2A, 0x0A, 0x0A, 0x08, 0x0A, 0x01, 0x78, 0x15, 0x00, 0x00, 0x80, 0x3F]  // summary x = 1
        XCTAssertEqual(try read(record(payload)).flatMap(\.scalars), [.init(tag: "x", step: 7, wallTime: 0, value: 1)])
    }

    // MARK: - TensorBoard itself

    /// Reads a toolkit file with TensorBoard's own EventAccumulator when python3 has `tensorboard`.
    func testTensorBoardReadsOurFile() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import tensorboard.backend.event_processing.event_accumulator"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        do { try check.run() } catch { throw XCTSkip("python3 not runnable") }
        check.waitUntilExit()
        guard check.terminationStatus == 0 else { throw XCTSkip("python3 has no tensorboard package") }

        let dir = try temporaryDirectory()
        let w = try TensorBoardWriter(directory: dir, host: "h", wallTime: 1_700_000_000)
        try w.addSessionLog(.start, step: 0, wallTime: 1_700_000_000)
        try w.addScalars([("train/loss", 0.5), ("train/lr", 0.125)], step: 1, wallTime: 1_700_000_001)
        try w.addScalar("train/loss", 0.25, step: 2, wallTime: 1_700_000_002)
        try w.close()
        let script = """
            import sys
            from tensorboard.backend.event_processing import event_accumulator as ea
            acc = ea.EventAccumulator(sys.argv[1]); acc.Reload()
            for tag in sorted(acc.Tags()["scalars"]):
                for e in acc.Scalars(tag): print(tag, e.step, e.wall_time, e.value)
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, dir.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertEqual(out.split(separator: "\n"), [
            "train/loss 1 1700000001.0 0.5", "train/loss 2 1700000002.0 0.25", "train/lr 1 1700000001.0 0.125",
        ])
    }
}
