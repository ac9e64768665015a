import Foundation
import XCTest
@testable import Training

/// The spec's CRC and protobuf test vectors, the byte-exact handwritten fixture, file naming and flushing.
final class TensorBoardWriterTests: XCTestCase {
    // MARK: - Helpers

    /// `/work/shared/specs/fixtures/tensorboard/<relative>`, found from this file's path (repo root, then `../shared`).
    static func fixture(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let root = URL(fileURLWithPath: "\(#filePath)")
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            root.appendingPathComponent("shared/specs/fixtures/tensorboard"),
            root.deletingLastPathComponent().appendingPathComponent("shared/specs/fixtures/tensorboard"),
        ]
        for c in candidates where FileManager.default.fileExists(atPath: c.appendingPathComponent(relative).path) {
            return c.appendingPathComponent(relative)
        }
        XCTFail("tensorboard fixture \(relative) not found; looked in \(candidates.map(\.path))", file: file, line: line)
        throw XCTSkip("fixtures missing")
    }

    static let handwritten = "handwritten/events.out.tfevents.1700000000.fixturehost"
    static let official = "official/events.out.tfevents.1700000000.officialhost.1.0"

    private var directories: [URL] = []

    /// A fresh directory removed at teardown.
    func temporaryDirectory() throws -> URL {
        let url = try makeTemporaryDirectory("tb")
        directories.append(url)
        return url
    }

    override func tearDown() {
        for d in directories { try? FileManager.default.removeItem(at: d) }
        directories = []
        super.tearDown()
    }

    private func hex(_ s: String) -> [UInt8] {
        s.split(separator: " ").map { UInt8($0, radix: 16)! }
    }

    private func size(_ url: URL) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
    }

    // MARK: - CRC-32C (spec §2.1)

    func testCRC32CVectors() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32C.maskedChecksum([UInt8]()), 0xA282_EAD8)
        XCTAssertEqual(CRC32C.checksum(Array("abc".utf8)), 0x364B_3FB7)
        XCTAssertEqual(CRC32C.maskedChecksum(Array("abc".utf8)), 0x21F1_576E)
        XCTAssertEqual(CRC32C.maskedChecksum([3, 0, 0, 0, 0, 0, 0, 0] as [UInt8]), 0x0E49_99B0)
    }

    func testCRC32CTableMatchesTheBitwiseDefinition() {
        func bitwise(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0x82F6_3B78 : 0) }
            }
            return crc ^ 0xFFFF_FFFF
        }
        var state: UInt32 = 12345
        for n in [1, 7, 64, 1000] {
            let bytes = (0..<n).map { _ -> UInt8 in
                state = state &* 1_664_525 &+ 1_013_904_223
                return UInt8(truncatingIfNeeded: state >> 24)
            }
            XCTAssertEqual(CRC32C.checksum(bytes), bitwise(bytes), "\(n) bytes")
        }
    }

    func testUnmaskInvertsMask() {
        for c: UInt32 in [0, 1, 0xE306_9283, 0xFFFF_FFFF, 0x8000_0000, 0x5D5D_5D5D] {
            XCTAssertEqual(CRC32C.unmask(CRC32C.mask(c)), c)
        }
        XCTAssertEqual(CRC32C.unmask(0x21F1_576E), 0x364B_3FB7)
    }

    // MARK: - Encoding (spec §2, §3, §4.4)

    func testRecordFramingOfABC() {
        XCTAssertEqual([UInt8](TensorBoardWriter.record(Data("abc".utf8))),
                       hex("03 00 00 00 00 00 00 00 b0 99 49 0e 61 62 63 6e 57 f1 21"))
    }

    func testVarints() {
        func varint(_ v: UInt64) -> [UInt8] {
            var d = Data()
            TensorBoardWriter.appendVarint(v, to: &d)
            return [UInt8](d)
        }
        XCTAssertEqual(varint(0), [0x00])
        XCTAssertEqual(varint(1), [0x01])
        XCTAssertEqual(varint(127), [0x7F])
        XCTAssertEqual(varint(300), [0xAC, 0x02])
        XCTAssertEqual(varint(UInt64(bitPattern: -2)), hex("fe ff ff ff ff ff ff ff ff 01"))
        XCTAssertEqual(varint(UInt64.max).count, 10)
    }

    func testScalarEventBytes() {
        let event = TensorBoardWriter.event(wallTime: 1_700_000_002, step: 1, field: 5,
                                            payload: TensorBoardWriter.summary([("loss", 0.25)]))
        XCTAssertEqual([UInt8](event), hex("09 00 00 80 40 fc 54 d9 41 10 01 2a 0d 0a 0b 0a 04 6c 6f 73 73 15 00 00 80 3e"))
    }

    func testSessionLogStartEventBytes() throws {
        let dir = try temporaryDirectory()
        let w = try TensorBoardWriter(directory: dir, host: "h", wallTime: 1_700_000_000)
        try w.addSessionLog(.start, step: 16, wallTime: 1_700_000_001)
        try w.close()
        let bytes = [UInt8](try Data(contentsOf: w.url))
        let startEvent = hex("09 00 00 40 40 fc 54 d9 41 10 10 3a 02 08 01")
        XCTAssertEqual(Array(bytes.suffix(startEvent.count + 4).prefix(startEvent.count)), startEvent)
        let events = try TensorBoardReader.events(at: w.url)
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events[1].sessionStatus, 1)
        XCTAssertEqual(events[1].step, 16)
        XCTAssertTrue(events[1].scalars.isEmpty)
    }

    // MARK: - The handwritten fixture (spec §7)

    func testReproducesTheHandwrittenFixtureByteForByte() throws {
        let expected = try Data(contentsOf: Self.fixture(Self.handwritten))
        let dir = try temporaryDirectory()
        let w = try TensorBoardWriter(directory: dir, host: "fixturehost", wallTime: 1_700_000_000)
        try w.addScalar("loss", 0.5, step: 0, wallTime: 1_700_000_001)
        try w.addScalar("loss", 0.25, step: 1, wallTime: 1_700_000_002)
        try w.addScalar("train/acc", 0.75, step: 2, wallTime: 1_700_000_003)
        try w.addScalar("loss", -1.5, step: 3, wallTime: 1_700_000_004)
        try w.close()
        XCTAssertEqual(w.url.lastPathComponent, "events.out.tfevents.1700000000.fixturehost")
        let written = try Data(contentsOf: w.url)
        XCTAssertEqual(written.count, 211)
        XCTAssertEqual(written, expected)
    }

    // MARK: - File names (spec §1)

    func testFileNameIsZeroPadded() {
        XCTAssertEqual(TensorBoardWriter.fileName(seconds: 1_700_000_000, host: "box"), "events.out.tfevents.1700000000.box")
        XCTAssertEqual(TensorBoardWriter.fileName(seconds: 42, host: "box"), "events.out.tfevents.0000000042.box")
    }

    func testHostNamesAreSanitized() {
        XCTAssertEqual(TensorBoardWriter.sanitizedHost("node-1.example_org"), "node-1.example_org")
        XCTAssertEqual(TensorBoardWriter.sanitizedHost("a/b c\u{e9}"), "a_b_c_")
        XCTAssertEqual(TensorBoardWriter.sanitizedHost(""), "localhost")
        XCTAssertFalse(TensorBoardWriter.defaultHost().contains("/"))
    }

    func testUniqueFileNamesSortAfterExistingFiles() {
        let base = TensorBoardWriter.fileName(seconds: 100, host: "h")
        XCTAssertEqual(TensorBoardWriter.uniqueFileName(seconds: 100, host: "h", existing: []), base)
        XCTAssertEqual(TensorBoardWriter.uniqueFileName(seconds: 100, host: "h", existing: [base]), base + ".001")
        XCTAssertEqual(TensorBoardWriter.uniqueFileName(seconds: 100, host: "h", existing: [base, base + ".001"]),
                       base + ".002")
        // An older file of this host does not matter.
        XCTAssertEqual(TensorBoardWriter.uniqueFileName(
            seconds: 100, host: "h", existing: [TensorBoardWriter.fileName(seconds: 99, host: "h")]), base)
        // Another host's file from the same second with a later name: the next second sorts after it.
        let other = TensorBoardWriter.fileName(seconds: 100, host: "zz")
        let afterOther = TensorBoardWriter.uniqueFileName(seconds: 100, host: "h", existing: [other])
        XCTAssertEqual(afterOther, TensorBoardWriter.fileName(seconds: 101, host: "h"))
        // A file stamped later (clock set back) is followed, not preceded.
        let later = TensorBoardWriter.fileName(seconds: 500, host: "h")
        XCTAssertEqual(TensorBoardWriter.uniqueFileName(seconds: 100, host: "h", existing: [later]), later + ".001")
        // Files of other writers are not ordered against, only avoided.
        XCTAssertEqual(TensorBoardWriter.uniqueFileName(seconds: 100, host: "h", existing: ["zz.tfevents"]), base)
        for existing: Set<String> in [[base], [base, base + ".001"], [other], [later]] {
            let name = TensorBoardWriter.uniqueFileName(seconds: 100, host: "h", existing: existing)
            XCTAssertFalse(existing.contains(name))
            XCTAssertTrue(existing.allSatisfy { $0 < name }, "\(name) must sort after \(existing)")
        }
    }

    func testWritersInTheSameSecondGetDistinctOrderedFiles() throws {
        let dir = try temporaryDirectory()
        var urls: [URL] = []
        for i in 0..<3 {
            let w = try TensorBoardWriter(directory: dir, host: "h", wallTime: 1_700_000_000.5)
            try w.addScalar("x", Float(i), step: Int64(i), wallTime: 1_700_000_000.5)
            try w.close()
            urls.append(w.url)
        }
        XCTAssertEqual(Set(urls).count, 3)
        XCTAssertEqual(try TensorBoardReader.eventFiles(in: dir).map(\.lastPathComponent), urls.map(\.lastPathComponent))
        for (i, url) in urls.enumerated() {
            let events = try TensorBoardReader.events(at: url)
            XCTAssertEqual(events.first?.fileVersion, "brain.Event:2")
            XCTAssertEqual(events.first?.wallTime, 1_700_000_000.5)
            XCTAssertEqual(events.last?.scalars.first?.value, Double(i))
        }
    }

    // MARK: - Flushing and closing

    func testFlushEveryCollectsRecords() throws {
        let dir = try temporaryDirectory()
        let w = try TensorBoardWriter(directory: dir, host: "h", wallTime: 1, flushEvery: 3)
        let header = try size(w.url)
        XCTAssertEqual(header, 24 + 16, "the file_version record is written at once")
        try w.addScalar("a", 1, step: 1, wallTime: 2)
        try w.addScalar("a", 2, step: 2, wallTime: 3)
        XCTAssertEqual(try size(w.url), header)
        try w.addScalar("a", 3, step: 3, wallTime: 4)
        XCTAssertGreaterThan(try size(w.url), header)
        try w.addScalar("a", 4, step: 4, wallTime: 5)
        try w.flush()
        XCTAssertEqual(try TensorBoardReader.scalars(at: w.url).map(\.value), [1, 2, 3, 4])
        try w.addScalar("a", 5, step: 5, wallTime: 6)
        try w.close()
        XCTAssertEqual(try TensorBoardReader.scalars(at: w.url).map(\.value), [1, 2, 3, 4, 5])
        XCTAssertThrowsError(try w.addScalar("a", 6, step: 6)) { XCTAssertTrue("\($0)".contains(w.url.path)) }
    }

    func testEveryRecordReachesTheFileByDefault() throws {
        let dir = try temporaryDirectory()
        let w = try TensorBoardWriter(directory: dir, host: "h")
        for s in 1...5 {
            try w.addScalar("loss", Float(s), step: Int64(s))
            XCTAssertEqual(try TensorBoardReader.scalars(at: w.url).count, s)
        }
    }

    func testSpecialValuesStepsAndLongTagsRoundTrip() throws {
        let dir = try temporaryDirectory()
        let w = try TensorBoardWriter(directory: dir, host: "h", wallTime: 10)
        let longTag = "train/" + String(repeating: "x", count: 200)
        let values: [Float] = [0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        for (i, v) in values.enumerated() {
            try w.addScalars([(longTag, v), ("ü/ß", -v)], step: Int64(i) - 3, wallTime: 11 + Double(i))
        }
        try w.addScalar("big", 1, step: .max, wallTime: 20)
        try w.addScalar("small", 1, step: .min, wallTime: 21)
        try w.close()
        let scalars = try TensorBoardReader.scalars(at: w.url)
        XCTAssertEqual(scalars.count, values.count * 2 + 2)
        for (i, v) in values.enumerated() {
            let a = scalars[2 * i], b = scalars[2 * i + 1]
            XCTAssertEqual(a.tag, longTag)
            XCTAssertEqual(b.tag, "ü/ß")
            XCTAssertEqual(a.step, Int64(i) - 3)
            XCTAssertEqual(a.wallTime, 11 + Double(i))
            XCTAssertEqual(Float(a.value).bitPattern, v.bitPattern)
            XCTAssertEqual(Float(b.value).bitPattern, (-v).bitPattern)
        }
        XCTAssertEqual(scalars[values.count * 2].step, .max)
        XCTAssertEqual(scalars[values.count * 2 + 1].step, .min)
    }

    func testCreatesMissingDirectoriesAndReportsUnwritableOnes() throws {
        let dir = try temporaryDirectory().appendingPathComponent("a/b/tb")
        let w = try TensorBoardWriter(directory: dir, host: "h")
        XCTAssertTrue(FileManager.default.fileExists(atPath: w.url.path))
        let blocker = try temporaryDirectory().appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        XCTAssertThrowsError(try TensorBoardWriter(directory: blocker.appendingPathComponent("tb"), host: "h")) {
            XCTAssertTrue("\($0)".contains(blocker.path), "\($0)")
        }
    }
}
