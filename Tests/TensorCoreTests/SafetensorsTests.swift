import Foundation
import XCTest
@testable import TensorCore

/// Spec fixtures, test vectors, round trips and hostile input for the safetensors reader and writer.
final class SafetensorsTests: XCTestCase {
    // MARK: - Helpers

    /// `/work/shared/specs/fixtures/safetensors`, found from this file's path (repo root, then `../shared`).
    static func fixturesDirectory(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let root = URL(fileURLWithPath: "\(#filePath)")
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            root.appendingPathComponent("shared/specs/fixtures/safetensors"),
            root.deletingLastPathComponent().appendingPathComponent("shared/specs/fixtures/safetensors"),
        ]
        for c in candidates where FileManager.default.fileExists(atPath: c.appendingPathComponent("sample.safetensors").path) {
            return c
        }
        XCTFail("safetensors fixtures not found; looked in \(candidates.map(\.path)) (the shared specs folder is missing)",
                file: file, line: line)
        throw XCTSkip("fixtures missing")
    }

    static func fixture(_ name: String) throws -> URL {
        try fixturesDirectory().appendingPathComponent(name + ".safetensors")
    }

    /// A fresh directory for files a test writes, removed at teardown.
    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("cairn-st-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// A tensor of `dtype` holding exactly `bytes` (row-major).
    static func tensor(_ dtype: DType, _ shape: [Int], bytes: [UInt8]) -> Tensor {
        let s = bytes.withUnsafeBytes { Storage(dtype: dtype, bytes: $0) }
        return Tensor(storage: s, layout: Layout(shape: shape))
    }

    /// The row-major bytes of any tensor.
    static func bytes(of t: Tensor) -> [UInt8] {
        let c = t.contiguousCopy()
        return Array(UnsafeRawBufferPointer(start: c.storage.base, count: c.count * c.dtype.byteSize))
    }

    /// A little-endian image: `N`, the header text padded with `pad` spaces, then `data`.
    static func image(_ header: String, pad: Int = 0, data: [UInt8] = []) -> [UInt8] {
        let h = Array(header.utf8) + [UInt8](repeating: 0x20, count: pad)
        return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + data
    }

    /// An image whose header is padded to 8 like the writer's.
    static func padded(_ header: String, data: [UInt8] = []) -> [UInt8] {
        let n = header.utf8.count
        return image(header, pad: (8 - n % 8) % 8, data: data)
    }

    func assertThrows(_ body: @autoclosure () throws -> Any, file: StaticString = #filePath, line: UInt = #line,
                      _ check: (SafetensorsError) -> Bool) {
        do {
            _ = try body()
            XCTFail("expected a SafetensorsError", file: file, line: line)
        } catch let e as SafetensorsError {
            XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
        } catch {
            XCTFail("expected a SafetensorsError, got \(error)", file: file, line: line)
        }
    }

    static func hex(_ s: String) -> [UInt8] {
        let digits = Array(s.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    // MARK: - Fixtures (spec §8)

    func testBadFixturesAreRejectedWithTheirErrorAndFileName() throws {
        let expectations: [(String, (SafetensorsError) -> Bool)] = [
            ("bad_gap", { if case .invalidOffset(_, "b", 8, 12, 4, 8 + 112 + 8) = $0 { return true }; return false }),
            ("bad_overlap", { if case .invalidOffset(_, "b", 4, 8, 8, _) = $0 { return true }; return false }),
            ("bad_trailing_bytes", { if case .bufferNotCovered(_, 8, 9, 72) = $0 { return true }; return false }),
            ("bad_truncated_data", { if case .bufferNotCovered(_, 8, 4, _) = $0 { return true }; return false }),
            ("bad_size_mismatch", {
                if case .sizeMismatch(_, "a", "F32", [3], 12, 8, 64) = $0 { return true }; return false
            }),
            ("bad_header_len", { if case .invalidHeaderLength(_, 1000, 10) = $0 { return true }; return false }),
            ("bad_header_too_large", {
                if case .headerTooLarge(_, 100_000_001, 100_000_000) = $0 { return true }; return false
            }),
            ("bad_dtype", { if case .unknownDType(_, "a", "F31", _) = $0 { return true }; return false }),
            ("bad_metadata_value", { if case .invalidMetadata(_, "x", _, _) = $0 { return true }; return false }),
            ("bad_negative_dim", { if case .invalidTensorInfo(_, "a", _, _) = $0 { return true }; return false }),
            ("bad_not_utf8", { if case .invalidUTF8(_, 10) = $0 { return true }; return false }),
            ("bad_short_file", { if case .headerTooSmall(_, 3) = $0 { return true }; return false }),
            ("bad_duplicate_key", { if case .duplicateKey(_, "a", _) = $0 { return true }; return false }),
        ]
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixturesDirectory().path)
            .filter { $0.hasPrefix("bad_") }.map { String($0.dropLast(".safetensors".count)) }
        XCTAssertEqual(Set(names), Set(expectations.map(\.0)), "every bad_* fixture needs an expectation")
        for (name, check) in expectations {
            let url = try Self.fixture(name)
            for mmap in [true, false] {
                do {
                    _ = try SafetensorsFile(contentsOf: url, mmap: mmap)
                    XCTFail("\(name) was accepted")
                } catch let e as SafetensorsError {
                    XCTAssertTrue(check(e), "\(name): unexpected error \(e)")
                    XCTAssertTrue(e.description.contains(name + ".safetensors"), "\(name): message lacks the file: \(e)")
                }
            }
            let data = try [UInt8](Data(contentsOf: url))
            assertThrows(try SafetensorsFile(bytes: data, source: name + ".safetensors")) {
                check($0) && $0.description.contains(name)
            }
        }
    }

    func testMessagesNameOffsetsAndTensors() throws {
        let url = try Self.fixture("bad_gap")
        assertThrows(try SafetensorsFile(contentsOf: url)) { e in
            e.description.contains(url.path) && e.description.contains("\"b\"") && e.description.contains("offset 128")
        }
        assertThrows(try SafetensorsFile(contentsOf: Self.fixture("bad_dtype"))) {
            $0.description.contains("unknown dtype \"F31\" for tensor \"a\"")
        }
    }

    func testSampleFixtureMatchesWorkedExample() throws {
        let url = try Self.fixture("sample")
        for mmap in [true, false] {
            let f = try SafetensorsFile(contentsOf: url, mmap: mmap)
            XCTAssertEqual(f.metadata, ["format": "pt"])
            XCTAssertEqual(f.names, ["b", "a"])
            XCTAssertEqual(f.count, 2)
            XCTAssertEqual(f.dataOffset, 152)
            XCTAssertEqual(f.info("b"), .init(name: "b", dtype: .float32, shape: [2], byteRange: 0..<8))
            XCTAssertEqual(f.info("a"), .init(name: "a", dtype: .int16, shape: [1, 2], byteRange: 8..<12))
            XCTAssertNil(f.info("c"))
            let b = try f.tensor("b"), a = try f.tensor("a")
            XCTAssertEqual(b.dtype, .float32)
            XCTAssertEqual(b.toArray(), [1.0, -2.0])
            XCTAssertEqual(a.dtype, .int16)
            XCTAssertEqual(a.shape, [1, 2])
            XCTAssertEqual(a.toInt64Array(), [1, 2])
        }
        let written = try Safetensors.serialize([("b", Tensor([1, -2])), ("a", Tensor(indices: [1, 2], shape: [1, 2]).to(.int16))],
                                                metadata: ["format": "pt"])
        XCTAssertEqual(written, try [UInt8](Data(contentsOf: url)))
        XCTAssertEqual(written.count, 164)
    }

    func testDtypesFixtureValues() throws {
        let url = try Self.fixture("dtypes")
        let f = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(f.metadata, ["format": "pt"])
        XCTAssertEqual(Set(f.names), ["f64", "f32", "f16", "bf16", "i64", "i32", "i16", "i8", "u8", "bool",
                                      "scalar", "empty", "mat"])
        let expectDType: [String: DType] = ["f64": .float64, "f32": .float32, "f16": .float16, "bf16": .bfloat16,
                                            "i64": .int64, "i32": .int32, "i16": .int16, "i8": .int8, "u8": .uint8,
                                            "bool": .bool, "scalar": .float32, "empty": .float32, "mat": .float32]
        for (name, dtype) in expectDType { XCTAssertEqual(f.info(name)?.dtype, dtype, name) }
        for name in ["f64", "f32", "f16", "bf16"] {
            let t = try f.tensor(name)
            XCTAssertEqual(t.shape, [2], name)
            XCTAssertEqual(t.toArray(), [1.5, -2.25], name)
        }
        XCTAssertEqual(try f.tensor("f64").to(.float64).storage.base.load(as: Double.self), 1.5)
        XCTAssertEqual(try f.tensor("i64").toInt64Array(), [-1, 1 << 40])
        XCTAssertEqual(try f.tensor("i32").toInt64Array(), [-1, 1 << 30])
        XCTAssertEqual(try f.tensor("i16").toInt64Array(), [-1, 300])
        XCTAssertEqual(try f.tensor("i8").toInt64Array(), [-1, 100])
        XCTAssertEqual(try f.tensor("u8").toInt64Array(), [255, 7])
        XCTAssertEqual(Self.bytes(of: try f.tensor("bool")), [1, 0])
        let scalar = try f.tensor("scalar")
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.item, 3.0)
        let empty = try f.tensor("empty")
        XCTAssertEqual(empty.shape, [0, 3])
        XCTAssertEqual(empty.count, 0)
        let mat = try f.tensor("mat")
        XCTAssertEqual(mat.shape, [2, 3])
        XCTAssertEqual(mat.toArray(), [0, 1, 2, 3, 4, 5])
        // The names are in data-offset order, which for upstream's writer is the canonical order.
        let ranges = f.names.map { f.info($0)!.byteRange }
        XCTAssertEqual(ranges.map(\.lowerBound), ranges.map(\.lowerBound).sorted())
        // Re-serialising what was read reproduces upstream's file exactly.
        XCTAssertEqual(try Safetensors.serialize(f.tensors(), metadata: f.metadata), try [UInt8](Data(contentsOf: url)))
    }

    func testEmptyFixture() throws {
        let url = try Self.fixture("empty")
        let f = try SafetensorsFile(contentsOf: url)
        XCTAssertNil(f.metadata)
        XCTAssertEqual(f.names, [])
        XCTAssertEqual(f.count, 0)
        XCTAssertTrue(try f.tensors().isEmpty)
        XCTAssertEqual(try Safetensors.serialize([(name: String, tensor: Tensor)]()), try [UInt8](Data(contentsOf: url)))
    }

    // MARK: - Test vectors (spec §6, §7)

    func testSpecVectors() throws {
        XCTAssertEqual(try Safetensors.serialize([String: Tensor]()),
                       Self.hex("08 00 00 00 00 00 00 00 7b 7d 20 20 20 20 20 20"))

        let withMeta = try Safetensors.serialize([String: Tensor](), metadata: ["framework": "pt"])
        XCTAssertEqual(withMeta.count, 48)
        XCTAssertEqual(Array(withMeta[0..<8]), [40, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(withMeta[8...]), Array("{\"__metadata__\":{\"framework\":\"pt\"}}     ".utf8))

        let attn = try Safetensors.serialize([("attn.0", Tensor([0, 1, 2, 3, 4, 5], shape: [1, 2, 3]))])
        let header = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}"
        XCTAssertEqual(header.utf8.count, 64)
        XCTAssertEqual(attn, [64, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8)
                       + Self.hex("00000000 0000803f 00000040 00004040 00008040 0000a040"))

        XCTAssertEqual(try Safetensors.serialize([String: Tensor](), metadata: [:]),
                       Self.padded("{\"__metadata__\":{}}"))
    }

    func testCanonicalOrderAndJSONForm() throws {
        let all = DType.allCases.map { d in (name: "t_\(d.rawValue)", tensor: Tensor(zeros: [1], dtype: d)) }
        let bytes = try Safetensors.serialize(all.shuffled() + [("a", Tensor(scalar: 1)), ("z", Tensor(zeros: [0, 2]))],
                                              metadata: ["b": "2", "a": "1", "c": "3"])
        let f = try SafetensorsFile(bytes: bytes)
        XCTAssertEqual(f.names.filter { $0.hasPrefix("t_") }.map { f.info($0)!.dtype.safetensorsName },
                       ["I64", "F64", "F32", "I32", "BF16", "F16", "I16", "I8", "U8", "BOOL"])
        let n = Int(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let text = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"},\"t_int64\":"), text)
        // Within F32: "a" (scalar), "t_float32", "z" (empty, [k,k] at the current position).
        XCTAssertTrue(text.contains("\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]},"
                                    + "\"t_float32\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]},"
                                    + "\"z\":{\"dtype\":\"F32\",\"shape\":[0,2],\"data_offsets\":[24,24]}"), text)
        XCTAssertEqual(n % 8, 0)
        XCTAssertFalse(text.trimmingCharacters(in: CharacterSet(charactersIn: " ")).contains(" "))
    }

    func testStringEscaping() throws {
        var out: [UInt8] = []
        Safetensors.appendJSONString("a\"b\\c\n\u{8}\u{c}\r\t\u{1}\u{1f}/\u{7f}é😀", to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       "\"a\\\"b\\\\c\\n\\b\\f\\r\\t\\u0001\\u001f/\u{7f}é😀\"")
        let names = ["a\"b\\c\n", "\u{0}nul", "caf\u{e9}", "cafe\u{301}", "日本", "/slash"]
        let tensors = names.enumerated().map { (name: $0.element, tensor: Tensor([Float($0.offset)])) }
        let f = try SafetensorsFile(bytes: Safetensors.serialize(tensors, metadata: ["k\"\u{2}": "v\n"]))
        XCTAssertEqual(f.metadata, ["k\"\u{2}": "v\n"])
        // Precomposed and decomposed é are distinct safetensors keys though Swift's == calls them equal.
        XCTAssertEqual(f.count, names.count)
        for (i, name) in names.enumerated() {
            XCTAssertEqual(try f.tensor(name).toArray(), [Float(i)], name.debugDescription)
        }
        XCTAssertEqual(f.names.map { Array($0.utf8) }, names.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
    }

    // MARK: - Round trips

    func testWriteHandsTheExactFileBytesAlongside() throws {
        // What a checkpoint hashes on the second thread must be the file, byte for byte, in order;
        // a strided view and a bool tensor with non-0/1 bytes exercise the copied paths.
        let dir = try temporaryDirectory()
        let strided = Tensor((0..<24).map(Float.init), shape: [4, 6]).transposed()
        let flags = Tensor(storage: [UInt8]([0, 7, 1]).withUnsafeBytes { Storage(dtype: .bool, bytes: $0) },
                           layout: Layout(shape: [3]))
        let big = Tensor((0..<300_000).map { Float($0 % 97) }, shape: [300_000])
        let tensors: [(name: String, tensor: Tensor)] = [("a", strided), ("flags", flags), ("big", big)]
        let url = dir.appendingPathComponent("alongside.safetensors")
        for concurrently in [true, false] {
            var seen: [UInt8] = []
            try Safetensors.write(tensors, metadata: ["k": "v"], to: url, concurrently: concurrently) { seen.append(contentsOf: $0) }
            XCTAssertEqual(seen, try [UInt8](Data(contentsOf: url)), "concurrently: \(concurrently)")
            XCTAssertEqual(seen, try Safetensors.serialize(tensors, metadata: ["k": "v"]))
        }
    }

    func testRoundTripEveryDType() throws {
        let dir = try temporaryDirectory()
        var rng = SystemRandomNumberGenerator()
        var tensors: [(name: String, tensor: Tensor)] = []
        for d in DType.allCases {
            let shape = [3, 5]
            var raw = (0..<(15 * d.byteSize)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if d == .bool { raw = raw.map { $0 & 1 } }
            tensors.append((d.rawValue, Self.tensor(d, shape, bytes: raw)))
            tensors.append((d.rawValue + "_scalar", Self.tensor(d, [], bytes: Array(raw.prefix(d.byteSize)))))
            tensors.append((d.rawValue + "_empty", Tensor(zeros: [2, 0], dtype: d)))
        }
        let url = dir.appendingPathComponent("all.safetensors")
        try Safetensors.write(tensors, metadata: ["note": "round trip"], to: url)
        let image = try [UInt8](Data(contentsOf: url))
        XCTAssertEqual(image, try Safetensors.serialize(tensors, metadata: ["note": "round trip"]))
        for mmap in [true, false] {
            let f = try SafetensorsFile(contentsOf: url, mmap: mmap)
            XCTAssertEqual(f.metadata, ["note": "round trip"])
            XCTAssertEqual(f.count, tensors.count)
            for (name, t) in tensors {
                let r = try f.tensor(name)
                XCTAssertEqual(r.dtype, t.dtype, name)
                XCTAssertEqual(r.shape, t.shape, name)
                XCTAssertEqual(Self.bytes(of: r), Self.bytes(of: t), name)
                XCTAssertEqual(r.storage.isReadOnly, mmap && r.count > 0, name)
            }
        }
        let fromBytes = try SafetensorsFile(bytes: image)
        XCTAssertEqual(try fromBytes.tensors().map { Self.bytes(of: $0.tensor) },
                       try SafetensorsFile(contentsOf: url).tensors().map { Self.bytes(of: $0.tensor) })
    }

    func testNonContiguousTensorIsWrittenContiguously() throws {
        let base = Tensor([0, 1, 2, 3, 4, 5], shape: [2, 3])
        let t = base.transposed(0, 1)
        XCTAssertFalse(t.isContiguous)
        let strided = Tensor(storage: Self.tensor(.int16, [6], bytes: [1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0]).storage,
                             layout: Layout(shape: [2, 2], strides: [3, 1], offset: 1))
        XCTAssertFalse(strided.isContiguous)
        let f = try SafetensorsFile(bytes: Safetensors.serialize(["t": t, "s": strided, "x": base.slice(axis: 1, 1..<3)]))
        XCTAssertEqual(try f.tensor("t").shape, [3, 2])
        XCTAssertEqual(try f.tensor("t").toArray(), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(try f.tensor("s").toInt64Array(), [2, 3, 5, 6])
        XCTAssertEqual(try f.tensor("s").dtype, .int16)
        XCTAssertEqual(try f.tensor("x").toArray(), [1, 2, 4, 5])
    }

    func testBoolBytesAreNormalised() throws {
        let image = Self.padded("{\"b\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", data: [0, 2, 255])
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("bool.safetensors")
        try Data(image).write(to: url)
        XCTAssertEqual(Self.bytes(of: try SafetensorsFile(contentsOf: url).tensor("b")), [0, 1, 1])
        XCTAssertEqual(Self.bytes(of: try SafetensorsFile(bytes: image).tensor("b")), [0, 1, 1])
        let odd = Self.tensor(.bool, [3], bytes: [0, 7, 1])
        XCTAssertEqual(Array(try Safetensors.serialize(["b": odd]).suffix(3)), [0, 1, 1])
    }

    // MARK: - Memory mapping

    func testMappedTensorBorrowsTheFileAndCopiesOnWrite() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("m.safetensors")
        try Safetensors.write(["w": Tensor([1, 2, 3, 4], shape: [2, 2]), "i": Tensor(indices: [7, 8])], to: url, fsync: false)
        let before = try Data(contentsOf: url)
        let f = try SafetensorsFile(contentsOf: url)
        XCTAssertTrue(f.isMemoryMapped)
        let t = try f.tensor("w")
        XCTAssertTrue(t.storage.isReadOnly)
        let mapped = f.fileBytes
        let p = UnsafeRawPointer(t.storage.base)
        XCTAssertTrue(p >= mapped.baseAddress! && p + 16 <= mapped.baseAddress! + mapped.count, "tensor was copied")
        XCTAssertEqual(p, mapped.baseAddress! + f.dataOffset + f.info("w")!.byteRange.lowerBound)
        XCTAssertTrue(try f.tensor("i").storage.isReadOnly)

        var copy = t
        copy.withMutableFloats { $0[0] = 42 }
        XCTAssertEqual(copy.toArray(), [42, 2, 3, 4])
        XCTAssertEqual(t.toArray(), [1, 2, 3, 4])
        XCTAssertEqual(try f.tensor("w").toArray(), [1, 2, 3, 4])
        XCTAssertFalse(copy.storage.isReadOnly)
        XCTAssertNotEqual(UnsafeRawPointer(copy.storage.base), p)
        XCTAssertEqual(try Data(contentsOf: url), before)
    }

    func testMappedTensorsOutliveTheFileValue() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("life.safetensors")
        try Safetensors.write(["w": Tensor([5, 6, 7])], to: url)
        let t: Tensor = try { try SafetensorsFile(contentsOf: url).tensor("w") }()
        XCTAssertTrue(t.storage.isReadOnly)
        // Overwriting the path renames a new file into place; the old mapping stays readable.
        try Safetensors.write(["w": t + Tensor([1, 1, 1])], to: url)
        XCTAssertEqual(t.toArray(), [5, 6, 7])
        XCTAssertEqual(try SafetensorsFile(contentsOf: url).tensor("w").toArray(), [6, 7, 8])
        // Saving a checkpoint over the file its own tensors are mapped from.
        let g = try SafetensorsFile(contentsOf: url)
        try Safetensors.write(g.tensors(), metadata: ["step": "2"], to: url)
        XCTAssertEqual(try SafetensorsFile(contentsOf: url).tensor("w").toArray(), [6, 7, 8])
        XCTAssertEqual(try SafetensorsFile(contentsOf: url).metadata, ["step": "2"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertEqual(leftovers, ["life.safetensors"], "temporary files left behind")
    }

    func testReadWithoutMmapGivesPrivateWritableTensors() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("r.safetensors")
        try Safetensors.write(["w": Tensor([1, 2, 3, 4], shape: [2, 2]), "b": Self.tensor(.bool, [2], bytes: [0, 1])],
                              to: url, fsync: false)
        let f = try SafetensorsFile(contentsOf: url, mmap: false)
        XCTAssertFalse(f.isMemoryMapped)
        var a = try f.tensor("w")
        let b = try f.tensor("w")
        XCTAssertFalse(a.storage.isReadOnly)
        XCTAssertNotEqual(UnsafeRawPointer(a.storage.base), UnsafeRawPointer(b.storage.base), "two reads share storage")
        a.withMutableFloats { $0[0] = 42 }
        XCTAssertEqual(a.toArray(), [42, 2, 3, 4])
        XCTAssertEqual(b.toArray(), [1, 2, 3, 4])
        XCTAssertEqual(try f.tensor("w").toArray(), [1, 2, 3, 4])
        XCTAssertEqual(Self.bytes(of: try f.tensor("b")), [0, 1])
    }

    func testReadWithoutMmapReportsAFileTruncatedAfterOpening() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("t.safetensors")
        try Safetensors.write(["w": Tensor([Float](repeating: 1, count: 64))], to: url, fsync: false)
        let f = try SafetensorsFile(contentsOf: url, mmap: false)
        XCTAssertEqual(truncate(url.path, off_t(f.dataOffset + 16)), 0)
        XCTAssertThrowsError(try f.tensor("w")) { error in
            guard case let .io(file, _, _)? = error as? SafetensorsError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, url.path)
        }
    }

    func testUnalignedDataIsCopied() throws {
        // An unpadded header (other writers may omit padding) puts the F32 data at file offset 8+61.
        let header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
        let image = Self.image(header + String(repeating: " ", count: 61 - header.utf8.count),
                               data: Self.hex("0000803f 000000c0"))
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("unaligned.safetensors")
        try Data(image).write(to: url)
        let f = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(f.dataOffset, 69)
        let t = try f.tensor("x")
        XCTAssertFalse(t.storage.isReadOnly)
        XCTAssertEqual(t.toArray(), [1, -2])
    }

    // MARK: - Reader validation

    func testHostileHeaders() throws {
        let f32 = Self.hex("0000803f 00000040")
        func open(_ header: String, data: [UInt8] = Self.hex("0000803f 00000040")) throws -> SafetensorsFile {
            try SafetensorsFile(bytes: Self.padded(header, data: data), source: "hostile.safetensors")
        }
        let ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
        XCTAssertEqual(try open(ok).names, ["a"])
        // Leading/trailing JSON whitespace, unknown members, null metadata, escapes in keys.
        let lenient = try open(" \n{\"__metadata__\":null,\"\\u0061\":{\"extra\":[{\"x\":[1,2.5e3,true,null]}],"
                               + "\"data_offsets\":[0,8],\"shape\":[2],\"dtype\":\"F32\"}}\t\r\n")
        XCTAssertNil(lenient.metadata)
        XCTAssertEqual(try lenient.tensor("a").toArray(), [1, 2])

        func rejects(_ header: String, data: [UInt8]? = nil, _ check: (SafetensorsError) -> Bool,
                     line: UInt = #line) {
            assertThrows(try open(header, data: data ?? f32), line: line) { check($0) && $0.description.contains("hostile") }
        }
        func json(_ e: SafetensorsError) -> Bool { if case .invalidJSON = e { return true }; return false }
        func info(_ e: SafetensorsError) -> Bool { if case .invalidTensorInfo = e { return true }; return false }
        rejects("[]", json)
        rejects("\"x\"", json)
        rejects("{", json)
        rejects(ok + "x", json)
        rejects(ok + "{}", json)
        rejects("{\"a\" 1}", json)
        rejects("{\"a\":1,}", json)
        rejects("{'a':1}", json)
        rejects("{\"a\":01}", json)
        rejects("{\"a\":\"\\x\"}", json)
        rejects("{\"a\":\"\\ud800\"}", json)
        rejects("{\"a\":\"\\udc00x\"}", json)
        rejects("{\"a\":\"\u{1}\"}", json)
        rejects("{\"a\":tru}", json)
        rejects(String(repeating: "[", count: 200) + String(repeating: "]", count: 200), json)
        rejects("{\"a\":" + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "}", json)
        // Trailing NULs instead of spaces are garbage, not padding.
        let nul = Self.image(ok + "\0\0\0", data: f32)
        assertThrows(try SafetensorsFile(bytes: nul, source: "hostile")) { json($0) }

        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", info)
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}", info)
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", info)
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", info)
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", info)
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", info)
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,-8]}}", info)
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", info)
        rejects("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", info)
        rejects("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", info)
        rejects("{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", info)
        rejects("{\"a\":[1]}", info)
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551616],\"data_offsets\":[0,8]}}", info)
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775808,0],\"data_offsets\":[0,0]}}", data: [], info)
        rejects("{\"a\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}") {
            if case .unknownDType(_, "a", "f32", _) = $0 { return true }; return false
        }
        rejects("{\"__metadata__\":[],\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}") {
            if case .invalidMetadata = $0 { return true }; return false
        }
        rejects("{\"__metadata__\":{\"k\":{}},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}") {
            if case .invalidMetadata(_, "k", _, _) = $0 { return true }; return false
        }
        rejects("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}") {
            if case .duplicateKey(_, "k", _) = $0 { return true }; return false
        }
        rejects("{\"__metadata__\":null,\"__metadata__\":{},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}") {
            if case .duplicateKey(_, "__metadata__", _) = $0 { return true }; return false
        }
        // Ends before it begins; overflowing element counts; bits that are not whole bytes.
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", data: []) {
            if case .invalidOffset(_, "a", 8, 0, 0, _) = $0 { return true }; return false
        }
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[0,8]},\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}") {
            if case .invalidOffset(_, "c", 4, 8, 8, _) = $0 { return true }; return false
        }
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}") {
            if case .sizeMismatch(_, "a", "F32", _, nil, 8, _) = $0 { return true }; return false
        }
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}}") {
            if case .sizeMismatch(_, "a", "F32", _, nil, 8, _) = $0 { return true }; return false
        }
        rejects("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,8]}}") {
            if case .sizeMismatch(_, "a", "F4", [3], nil, 8, _) = $0 { return true }; return false
        }
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551615]}}") {
            if case .sizeMismatch(_, "a", _, _, 8, 18446744073709551615, _) = $0 { return true }; return false
        }
        // Valid upstream but not representable: U16, F8, F4 (whole bytes), C64.
        for (dtype, shape, bytes) in [("U16", "[4]", 8), ("F8_E4M3", "[8]", 8), ("F4", "[16]", 8), ("C64", "[1]", 8)] {
            rejects("{\"a\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[0,\(bytes)]}}") {
                if case .unsupportedDType(_, "a", dtype) = $0 {
                    return $0.description.contains("unsupported dtype \(dtype) for tensor \"a\"")
                }
                return false
            }
        }
        // Several empty tensors may share [k, k].
        let empties = try open("{\"e1\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]},\"a\":{\"dtype\":\"F32\","
                               + "\"shape\":[2],\"data_offsets\":[0,8]},\"e0\":{\"dtype\":\"I8\",\"shape\":[0,5],\"data_offsets\":[8,8]}}")
        XCTAssertEqual(empties.names, ["a", "e1", "e0"])
        XCTAssertEqual(try empties.tensor("e0").shape, [0, 5])
    }

    func testMissingTensorNamesKeyAndFile() throws {
        let f = try SafetensorsFile(contentsOf: Self.fixture("sample"))
        assertThrows(try f.tensor("nope")) {
            $0 == .missingTensor(file: f.source, name: "nope") && $0.description.contains("sample.safetensors")
                && $0.description.contains("\"nope\"")
        }
        assertThrows(try SafetensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors"))) {
            if case .io(_, "open", ENOENT) = $0 { return $0.description.contains("/nonexistent/x.safetensors") }
            return false
        }
    }

    func testWriterRejectsBadNames() throws {
        let t = Tensor([1])
        assertThrows(try Safetensors.serialize([("a", t), ("b", t), ("a", t)])) { $0 == .duplicateName(file: "<memory>", name: "a") }
        assertThrows(try Safetensors.serialize([("__metadata__", t)])) { $0 == .reservedName(file: "<memory>", name: "__metadata__") }
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("bad.safetensors")
        assertThrows(try Safetensors.write([("x", t), ("x", t)], to: url)) {
            $0 == .duplicateName(file: url.path, name: "x") && $0.description.contains("bad.safetensors")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
        assertThrows(try Safetensors.write(["x": t], to: dir.appendingPathComponent("missing/dir/y.safetensors"))) {
            if case .io(_, "create", ENOENT) = $0 { return true }; return false
        }
    }

    /// Every truncation and thousands of byte flips of a valid file either load or throw a typed error.
    func testCorruptedFilesNeverCrash() throws {
        let good = try Safetensors.serialize(["w": Tensor([1, 2, 3, 4], shape: [2, 2]), "i": Tensor(indices: [1, 2, 3]),
                                              "b": Tensor(zeros: [3], dtype: .bool)], metadata: ["m": "v"])
        for n in 0..<good.count {
            assertThrows(try SafetensorsFile(bytes: Array(good.prefix(n)))) { _ in true }
        }
        var rng = SplitMix64(seed: 42)
        var accepted = 0
        for _ in 0..<3000 {
            var bad = good
            for _ in 0..<Int(rng.next() % 3 + 1) {
                let i = Int(rng.next() % UInt64(bad.count))
                bad[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            do {
                let f = try SafetensorsFile(bytes: bad)
                for (_, t) in try f.tensors() { XCTAssertEqual(Self.bytes(of: t).count, t.count * t.dtype.byteSize) }
                accepted += 1
            } catch is SafetensorsError {
            }
        }
        XCTAssertGreaterThan(accepted, 0, "flips inside the data buffer should still load")
    }
}

/// Deterministic generator so the corruption test is reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
