import Foundation
import XCTest
import CZlib
import TensorCore
@testable import Checkpoint

/// The zip layer against truncated, malformed and hostile archives: every case must end in a typed
/// error naming the file, never a crash or an allocation sized by an untrusted field.
final class ZipReaderTests: XCTestCase {
    private func parse(_ bytes: [UInt8], file: String = "z.pt") throws -> [ZipReader.Entry] {
        try bytes.withUnsafeBytes { try ZipReader(bytes: $0, file: file).entries }
    }

    private func contents(_ bytes: [UInt8], _ name: String) throws -> [UInt8] {
        try bytes.withUnsafeBytes { raw in
            let z = try ZipReader(bytes: raw, file: "z.pt")
            return try z.contents(of: XCTUnwrap(z.entry(named: name)))
        }
    }

    /// Raw deflate (no zlib header), as zip method 8 stores it.
    private func deflate(_ input: [UInt8]) -> [UInt8] {
        var strm = z_stream()
        XCTAssertEqual(deflateInit2_(&strm, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)), Z_OK)
        defer { deflateEnd(&strm) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&strm, uLong(input.count))) + 64)
        var input = input
        let produced: Int = input.withUnsafeMutableBytes { ib in
            out.withUnsafeMutableBytes { ob in
                strm.next_in = ib.baseAddress?.assumingMemoryBound(to: UInt8.self)
                strm.avail_in = uInt(ib.count)
                strm.next_out = ob.baseAddress!.assumingMemoryBound(to: UInt8.self)
                strm.avail_out = uInt(ob.count)
                XCTAssertEqual(CZlib.deflate(&strm, Z_FINISH), Z_STREAM_END)
                return Int(strm.total_out)
            }
        }
        return Array(out[..<produced])
    }

    // MARK: - Well-formed archives

    func testReadsTheWorkedExampleLayout() throws {
        let entries = try parse(try pthFixtureBytes("small.pt"))
        XCTAssertEqual(entries.map(\.name), ["small/data.pkl", "small/.format_version", "small/.storage_alignment", "small/byteorder",
                                             "small/data/0", "small/data/1", "small/version", "small/.data/serialization_id"])
        XCTAssertEqual(entries.map(\.headerOffset), [0, 307, 401, 530, 662, 808, 920, 1042])
        XCTAssertEqual(entries.map(\.dataOffset), [64, 384, 512, 640, 768, 896, 1024, 1152])
        XCTAssertEqual(entries.map(\.uncompressedSize), [227, 1, 2, 6, 24, 8, 2, 40])
        XCTAssertEqual(entries.map(\.crc), [0xf472293e, 0x83dcefb7, 0xe971773f, 0x19e33d85, 0x91e79017, 0x2e3fa576, 0x55679ed1, 0xd8721a01])
    }

    func testCRC32MatchesTheStandardCheckValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF43926)
        XCTAssertEqual(CRC32.checksum([]), 0)
    }

    func testDeflatedRecordsInflateAndLoad() throws {
        // A torch archive whose pickle and storage are deflated (torch loads these too).
        let plain = try TorchFile.serialize(["w": .tensor(Tensor([Float](repeating: 0.5, count: 1000)))], archiveName: "d")
        let (pickle, storage) = try plain.withUnsafeBytes { raw -> ([UInt8], [UInt8]) in
            let z = try ZipReader(bytes: raw, file: "p")
            return (try z.contents(of: z.entry(named: "d/data.pkl")!), try z.contents(of: z.entry(named: "d/data/0")!))
        }
        let zip = RawZip(entries: [
            .init(name: "d/data.pkl", data: deflate(pickle), method: 8, crc: CRC32.checksum(pickle), uncompressedSize: UInt32(pickle.count)),
            .init(name: "d/data/0", data: deflate(storage), method: 8, crc: CRC32.checksum(storage), uncompressedSize: UInt32(storage.count)),
            .init(name: "d/version", data: Array("3\n".utf8)),
        ]).bytes()
        let t = try XCTUnwrap(TorchFile.deserialize(zip)["w"]?.tensorValue)
        XCTAssertEqual(t.toArray(), [Float](repeating: 0.5, count: 1000))
    }

    func testZip64OffsetsAreWrittenAsTorchDoes() throws {
        // Pretend 4 GiB were already written: the record then needs the zip64 offset block (spec §9).
        var z = ZipWriter(prefix: "a", sink: MemorySink())
        try z.add("x", [1, 2, 3])
        // Name "a/x" (3 bytes); the extra field is the FB block alone: 4 + 27 bytes puts data at 64.
        XCTAssertEqual(Array(z.sink.bytes[26..<30]), [3, 0, 31, 0])
        var big = ZipWriterProbe.writer(startingAt: 0x1_0000_0010)
        try big.add("x", [1, 2, 3])
        let b = big.sink.bytes
        let extraLength = Int(b[28]) | Int(b[29]) << 8
        XCTAssertEqual(Array(b[33..<37]), [0x01, 0x00, 0x08, 0x00])
        XCTAssertEqual(b[37..<45].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }, 0x1_0000_0010)
        XCTAssertEqual(Array(b[45..<47]), [0x46, 0x42])
        let dataStart = 30 + 3 + extraLength
        XCTAssertEqual((0x1_0000_0010 + dataStart) % 64, 0)
        XCTAssertEqual(b.count, dataStart + 3 + 24)                     // zip64 data descriptor
        XCTAssertEqual(Array(b[(dataStart + 3)..<(dataStart + 7)]), [0x50, 0x4b, 0x07, 0x08])
        try big.finish()
        let cd = Array(big.sink.bytes[(dataStart + 3 + 24)...])
        XCTAssertEqual(Array(cd.prefix(4)), [0x50, 0x4b, 0x01, 0x02])
        XCTAssertEqual(Array(cd[30..<32]), [12, 0])                     // central extra: zip64 offset only
        XCTAssertEqual(Array(cd[42..<46]), [0xff, 0xff, 0xff, 0xff])    // saturated offset …
        XCTAssertEqual(Array(cd[49..<53]), [0x01, 0x00, 0x08, 0x00])    // … given in the zip64 extra
    }

    // MARK: - Truncation

    func testTruncationAtEveryByteIsATypedError() throws {
        let full = try pthFixtureBytes("small.pt")
        for n in 0..<full.count {
            do {
                _ = try TorchFile.deserialize(Array(full[..<n]), source: "cut.pt")
                XCTFail("a file cut at \(n) bytes loaded")
            } catch let e as TorchFileError {
                XCTAssertTrue(e.description.hasPrefix("cut.pt: "), "\(n): \(e)")
            }
        }
    }

    func testTruncationAtStructuralBoundaries() throws {
        let full = try pthFixtureBytes("small.pt")
        // Inside the end record: the signature is there but the record is cut.
        assertTorchFileError(try parse(Array(full[..<1800]))) {
            if case .truncated("z.pt", "end-of-central-directory record", 1791, 22, 1800) = $0 { return true }
            return false
        }
        // Record starts, central directory, zip64 end record and locator: no end record at all.
        for n in [64, 307, 768, 1208, 1715, 1771, 1791] {
            assertTorchFileError(try parse(Array(full[..<n]))) {
                if case .notAZipArchive("z.pt", _) = $0 { return true }
                return false
            }
        }
    }

    // MARK: - Hostile archives

    func testPathTraversalNamesAreRejected() {
        for name in ["a/../../etc/passwd", "/abs/data.pkl", "../x", "a/..", "a\\b", "a/\u{0}b"] {
            let z = RawZip(entries: [.init(name: name, data: [1])]).bytes()
            assertTorchFileError(try parse(z)) {
                if case .unsafeRecordName("z.pt", name, _) = $0 { return true }
                return false
            }
        }
    }

    func testDuplicateNamesAreRejected() {
        let z = RawZip(entries: [.init(name: "a/data.pkl", data: [1]), .init(name: "a/data.pkl", data: [2])]).bytes()
        let e = assertTorchFileError(try parse(z)) {
            if case .duplicateRecord("z.pt", "a/data.pkl", _) = $0 { return true }
            return false
        }
        XCTAssertTrue(e?.description.contains("a/data.pkl") == true)
    }

    func testSizesPastTheEndAreRejected() {
        let z = RawZip(entries: [.init(name: "a/x", data: [1, 2, 3], compressedSize: 0x7fff_0000, uncompressedSize: 0x7fff_0000)]).bytes()
        assertTorchFileError(try parse(z)) {
            if case .recordOutOfBounds("z.pt", "a/x", 33, 0x7fff_0000, _) = $0 { return true }
            return false
        }
    }

    func testHugeDeclaredSizesAreNeverAllocated() throws {
        // 3 deflated bytes cannot become 4 GB: refused before any buffer is made.
        let tiny = deflate([0])
        let z = RawZip(entries: [.init(name: "a/x", data: tiny, method: 8, uncompressedSize: 0xffff_fff0)]).bytes()
        assertTorchFileError(try parse(z)) {
            if case .implausibleSize("z.pt", "a/x", 0xffff_fff0, _) = $0 { return true }
            return false
        }
        // A stored record whose two sizes disagree.
        let s = RawZip(entries: [.init(name: "a/x", data: [1, 2], uncompressedSize: 0x4000_0000)]).bytes()
        assertTorchFileError(try parse(s)) {
            if case .invalidZip("z.pt", _, _) = $0 { return true }
            return false
        }
        // An end record claiming 65 534 entries in a tiny directory.
        var e = RawZip(entries: [.init(name: "a/x", data: [1])]).bytes()
        e[e.count - 12] = 0xfe; e[e.count - 11] = 0xff; e[e.count - 14] = 0xfe; e[e.count - 13] = 0xff
        assertTorchFileError(try parse(e)) {
            if case .invalidZip("z.pt", _, _) = $0 { return true }
            return false
        }
        // A zip64 end record claiming 2^60 entries.
        var z64 = try PickleBuilder().archive()
        let z64Offset = z64.count - 22 - 20 - 56
        z64.replaceSubrange((z64Offset + 24)..<(z64Offset + 32), with: withUnsafeBytes(of: UInt64(1 << 60).littleEndian, Array.init))
        assertTorchFileError(try parse(z64)) {
            if case .invalidZip("z.pt", z64Offset, _) = $0 { return true }
            return false
        }
    }

    func testEndRecordMustAgreeWithTheZip64EndRecord() throws {
        // A flipped bit in the narrow end record's central directory offset, which the zip64 record overrides.
        var z = try PickleBuilder().archive()
        let eocd = z.count - 22
        XCTAssertNoThrow(try parse(z))
        z[eocd + 19] ^= 0x40
        assertTorchFileError(try parse(z)) {
            if case let .invalidZip("z.pt", offset, reason) = $0 { return offset == eocd && reason.contains("disagrees") }
            return false
        }
    }

    func testDeflateBombIsBoundedByTheDeclaredSize() throws {
        let zeros = [UInt8](repeating: 0, count: 4 << 20)
        let bomb = deflate(zeros)
        XCTAssertLessThan(bomb.count, 8 << 10)
        // Declared 1000 bytes: inflating stops there and reports the overflow.
        let lying = RawZip(entries: [.init(name: "a/x", data: bomb, method: 8, crc: CRC32.checksum(Array(zeros[..<1000])),
                                           uncompressedSize: 1000)]).bytes()
        assertTorchFileError(try contents(lying, "a/x")) {
            if case .inflateFailed("z.pt", "a/x", let reason) = $0 { return reason.contains("more than the declared 1000") }
            return false
        }
        // Declared honestly, it inflates (4 MiB is within deflate's maximum ratio).
        let honest = RawZip(entries: [.init(name: "a/x", data: bomb, method: 8, crc: CRC32.checksum(zeros),
                                            uncompressedSize: UInt32(zeros.count))]).bytes()
        XCTAssertEqual(try contents(honest, "a/x").count, zeros.count)
        // A stream cut short, and one that is not deflate at all.
        let cut = RawZip(entries: [.init(name: "a/x", data: Array(bomb.prefix(bomb.count / 2)), method: 8,
                                         uncompressedSize: UInt32(1 << 20))]).bytes()
        assertTorchFileError(try contents(cut, "a/x")) {
            if case .inflateFailed("z.pt", "a/x", _) = $0 { return true }
            return false
        }
        let junk = RawZip(entries: [.init(name: "a/x", data: [0xff, 0xff, 0xff, 0xff], method: 8, uncompressedSize: 10)]).bytes()
        assertTorchFileError(try contents(junk, "a/x")) {
            if case .inflateFailed("z.pt", "a/x", _) = $0 { return true }
            return false
        }
    }

    func testCRCMismatchIsReported() throws {
        var z = try pthFixtureBytes("small.pt")
        z[768 + 5] ^= 0x01   // a byte of data/0
        assertTorchFileError(try TorchFile.deserialize(z, source: "c.pt")) {
            if case .crcMismatch("c.pt", "small/data/0", 0x91e79017, _) = $0 { return true }
            return false
        }
    }

    func testCRC32OfPiecesMatchesZlibOnLargeInput() {
        // Longer than a copy chunk, odd length: the fast path, seeding and combining must agree with zlib.
        let data = (0..<(3 * ZipReader.chunk + 12_345)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let reference = data.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        XCTAssertEqual(CRC32.checksum(data), reference)
        data.withUnsafeBytes { raw in
            let cut = 100_001
            let a = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[..<cut]))
            let b = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[cut...]))
            XCTAssertEqual(CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[cut...]), seed: a), reference)
            XCTAssertEqual(CRC32.combine(a, b, lengthOfSecond: raw.count - cut), reference)
        }
        XCTAssertTrue(["zlib", "libdeflate"].contains(CRC32.implementation))
    }

    func testCopyContentsChecksLargeStoredRecords() throws {
        // Large enough for the two-thread split; flips before, at and after the split point.
        let data = (0..<(ZipReader.parallelThreshold + 3 * ZipReader.chunk + 77)).map { UInt8(truncatingIfNeeded: $0 * 31) }
        let dir = try temporaryDirectory(self)
        for flip in [nil, 5, data.count / 2 - 1, data.count / 2, data.count - 1] {
            var stored = data
            if let flip { stored[flip] ^= 0x40 }
            let zip = RawZip(entries: [.init(name: "a/x", data: stored, crc: CRC32.checksum(data))]).bytes()
            let path = dir.appendingPathComponent("big.pt").path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(zip)))
            let mapped = try MappedFile(path: path)
            // From memory (memcpy) and from the open file (pread).
            for descriptor in [nil, mapped.descriptor] {
                defer { withExtendedLifetime(mapped) {} }
                let z = try ZipReader(bytes: mapped.bytes, file: "big.pt", descriptor: descriptor)
                let entry = try XCTUnwrap(z.entry(named: "a/x"))
                var out = [UInt8](repeating: 0, count: data.count)
                let copy = { try out.withUnsafeMutableBytes { try z.copyContents(of: entry, to: $0.baseAddress!) } }
                if flip == nil {
                    try copy()
                    XCTAssertEqual(out, data)
                } else {
                    assertTorchFileError(try copy()) {
                        if case .crcMismatch("big.pt", "a/x", CRC32.checksum(data), _) = $0 { return true }
                        return false
                    }
                }
            }
        }
    }

    func testEncryptedAndUnknownMethodsAreRejected() {
        assertTorchFileError(try parse(RawZip(entries: [.init(name: "a/x", data: [1], flags: 1)]).bytes())) {
            $0 == .encryptedRecord(file: "z.pt", record: "a/x")
        }
        assertTorchFileError(try parse(RawZip(entries: [.init(name: "a/x", data: [1], method: 12)]).bytes())) {
            $0 == .unsupportedCompression(file: "z.pt", record: "a/x", method: 12)
        }
    }

    func testLocalHeaderMustMatchTheDirectory() {
        assertTorchFileError(try parse(RawZip(entries: [.init(name: "a/x", data: [1], localName: "a/y")]).bytes())) {
            if case .invalidZip("z.pt", 0, _) = $0 { return true }
            return false
        }
    }

    func testCentralDirectoryPastTheEnd() {
        var z = RawZip(entries: [.init(name: "a/x", data: [1])]).bytes()
        z.replaceSubrange((z.count - 6)..<(z.count - 2), with: [0xff, 0xff, 0xff, 0x00])
        assertTorchFileError(try parse(z)) {
            if case .truncated("z.pt", "central directory", _, _, _) = $0 { return true }
            return false
        }
    }

    func testLocalHeaderOffsetPastTheEnd() {
        var z = RawZip(entries: [.init(name: "a/x", data: [1])]).bytes()
        let cd = z.count - 22 - (46 + 3)
        z.replaceSubrange((cd + 42)..<(cd + 46), with: [0x00, 0x00, 0x00, 0x10])
        assertTorchFileError(try parse(z)) {
            if case .truncated("z.pt", _, 0x1000_0000, 30, _) = $0 { return true }
            return false
        }
    }

    func testRecordsOutsideTheArchiveFolder() {
        let z = RawZip(entries: [.init(name: "a/data.pkl", data: [0x80, 0x02, 0x4e, 0x2e]), .init(name: "b/version", data: [0x33])]).bytes()
        assertTorchFileError(try TorchFile.deserialize(z, source: "o.pt")) { $0 == .recordOutsidePrefix(file: "o.pt", record: "b/version", prefix: "a") }
        let flat = RawZip(entries: [.init(name: "data.pkl", data: [0x80, 0x02, 0x4e, 0x2e])]).bytes()
        assertTorchFileError(try TorchFile.deserialize(flat, source: "o.pt")) {
            if case .invalidZip("o.pt", _, _) = $0 { return true }
            return false
        }
    }
}

/// Starts a `ZipWriter` as if `offset` bytes had already been written (exercises zip64 offsets cheaply).
enum ZipWriterProbe {
    static func writer(startingAt offset: UInt64) -> ZipWriter<MemorySink> {
        ZipWriter(prefix: "a", sink: MemorySink(), startOffset: offset)
    }
}
