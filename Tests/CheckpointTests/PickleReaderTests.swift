import Foundation
import XCTest
import TensorCore
@testable import Checkpoint

/// The weights-only pickle interpreter: allowlisted globals only, bounded resources, typed errors
/// naming the global or opcode and its byte offset — and nothing ever executed.
final class PickleReaderTests: XCTestCase {
    private func load(_ p: PickleBuilder, limits: TorchFile.Limits = .default, storages: [[UInt8]] = []) throws -> CheckpointValue {
        try TorchFile.deserialize(p.archive(storages: storages), source: "p.pt", limits: limits)
    }

    private func pickle(_ build: (inout PickleBuilder) -> Void) -> PickleBuilder {
        var p = PickleBuilder()
        build(&p)
        return p
    }

    private func assertInvalid(_ p: PickleBuilder, limits: TorchFile.Limits = .default, offset: Int? = nil, contains text: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        assertTorchFileError(try load(p, limits: limits), file: file, line: line) {
            guard case .invalidPickle("p.pt", "archive/data.pkl", let at, let reason) = $0 else { return false }
            return (offset == nil || at == offset) && reason.contains(text)
        }
    }

    // MARK: - Globals

    func testDisallowedGlobalsAreRejectedAtTheGlobalOpcode() {
        let hostile: [(String, String, String)] = [
            ("os", "system", "os.system"), ("posix", "system", "posix.system"), ("nt", "system", "nt.system"),
            ("builtins", "exec", "builtins.exec"), ("builtins", "eval", "builtins.eval"), ("__builtin__", "eval", "builtins.eval"),
            ("builtins", "getattr", "builtins.getattr"), ("builtins", "__import__", "builtins.__import__"),
            ("subprocess", "Popen", "subprocess.Popen"), ("sys", "exit", "sys.exit"),
            ("numpy.core.multiarray", "_reconstruct", "numpy.core.multiarray._reconstruct"), ("torch", "load", "torch.load"),
            ("__main__", "Evil", "__main__.Evil"), ("collections", "defaultdict", "collections.defaultdict"),
            ("torch.storage", "_load_from_bytes", "torch.storage._load_from_bytes"),
        ]
        for (module, name, full) in hostile {
            let p = pickle { p in
                p.op(0x7d); p.string("x")                 // offsets 2, 3 (6 bytes)
                p.global(module, name)                    // offset 9
                p.string("echo pwned"); p.op(0x85, 0x52, 0x73); p.stop()
            }
            let e = assertTorchFileError(try load(p)) { $0 == .disallowedGlobal(file: "p.pt", record: "archive/data.pkl", global: full, offset: 9) }
            XCTAssertTrue(e?.description.contains("'\(full)'") == true && e?.description.contains("byte 9") == true)
        }
    }

    func testGlobalsTorchAllowsButCairnCannotHoldAreNamed() {
        for (module, name) in [("builtins", "complex"), ("torch._utils", "_rebuild_sparse_tensor"), ("torch._utils", "_rebuild_qtensor")] {
            let p = pickle { $0.global(module, name); $0.stop() }
            assertTorchFileError(try load(p)) {
                if case .unsupportedGlobal("p.pt", _, "\(module).\(name)", _, 2) = $0 { return true }
                return false
            }
        }
    }

    func testReduceOnlyCallsAllowlistedConstructors() {
        // REDUCE of a string, of a storage type token, and of a dtype token.
        assertInvalid(pickle { $0.string("os.system"); $0.op(0x29, 0x52); $0.stop() }, offset: 17, contains: "not an allowlisted callable")
        assertInvalid(pickle { $0.global("torch", "FloatStorage"); $0.op(0x29, 0x52); $0.stop() }, contains: "type token")
        assertInvalid(pickle { $0.global("torch", "float32"); $0.op(0x29, 0x52); $0.stop() }, contains: "type token")
        // OrderedDict with arguments, and REDUCE with non-tuple arguments.
        assertInvalid(pickle { $0.global("collections", "OrderedDict"); $0.int(1); $0.op(0x85, 0x52); $0.stop() }, contains: "arguments")
        assertInvalid(pickle { $0.global("collections", "OrderedDict"); $0.op(0x5d, 0x52); $0.stop() }, contains: "not a tuple")
    }

    func testBuildOnlyOnOrderedDict() {
        assertInvalid(pickle { $0.op(0x5d, 0x7d, 0x62); $0.stop() }, contains: "BUILD on list")
        assertInvalid(pickle { $0.global("collections", "OrderedDict"); $0.op(0x29, 0x52, 0x5d, 0x62); $0.stop() }, contains: "not a dict")
    }

    // MARK: - Opcodes

    func testOpcodesOutsideTheTableAreRejected() {
        let cases: [(UInt8, String)] = [(0x8c, "SHORT_BINUNICODE"), (0x95, "FRAME"), (0x93, "STACK_GLOBAL"), (0x94, "MEMOIZE"),
                                        (0x42, "BINBYTES"), (0x49, "INT"), (0x69, "INST"), (0x6f, "OBJ"), (0x81, "NEWOBJ"),
                                        (0x32, "DUP"), (0x30, "POP"), (0x92, "NEWOBJ_EX"), (0x00, "unknown")]
        for (byte, name) in cases {
            let p = pickle { $0.op(0x4e, byte); $0.stop() }
            let e = assertTorchFileError(try load(p)) {
                if case .unsupportedOpcode("p.pt", "archive/data.pkl", byte, let n, 3) = $0 { return n.contains(name) }
                return false
            }
            XCTAssertTrue(e?.description.contains("byte 3") == true)
        }
        var proto4 = PickleBuilder(); proto4.bytes = [0x80, 0x04, 0x4e, 0x2e]
        assertInvalid(proto4, offset: 0, contains: "protocol 4")
    }

    func testTruncatedAndMalformedOperands() {
        assertInvalid(pickle { $0.op(0x58, 100, 0, 0, 0, 0x61, 0x62) }, offset: 2, contains: "truncated")
        assertInvalid(pickle { $0.op(0x58, 0xff, 0xff, 0xff, 0xff) }, offset: 2, contains: "truncated")
        assertInvalid(pickle { $0.op(0x4a, 1, 2) }, offset: 2, contains: "truncated")
        assertInvalid(pickle { $0.op(0x47, 1, 2, 3) }, offset: 2, contains: "truncated")
        assertInvalid(pickle { $0.op(0x8a, 9, 1) }, offset: 2, contains: "truncated")
        assertInvalid(pickle { $0.bytes += Array("ctorch\nFloatSto".utf8) }, offset: 2, contains: "no newline")
        assertInvalid(pickle { $0.op(0x58, 2, 0, 0, 0, 0xff, 0xfe); $0.stop() }, offset: 2, contains: "UTF-8")
        assertInvalid(pickle { $0.op(0x55, 2, 0xc3, 0x28); $0.stop() }, offset: 2, contains: "UTF-8")
        assertInvalid(pickle { $0.op(0x4e) }, offset: 3, contains: "without STOP")
        var notPickle = PickleBuilder(); notPickle.bytes = [0x4e, 0x2e]
        assertInvalid(notPickle, offset: 0, contains: "PROTO")
    }

    func testStackAndMarkErrors() {
        assertInvalid(pickle { $0.op(0x74); $0.stop() }, offset: 2, contains: "no MARK")
        assertInvalid(pickle { $0.op(0x61); $0.stop() }, offset: 2, contains: "underflow")
        assertInvalid(pickle { $0.op(0x4e, 0x73); $0.stop() }, offset: 3, contains: "underflow")
        assertInvalid(pickle { $0.op(0x86); $0.stop() }, offset: 2, contains: "underflow")
        assertInvalid(pickle { $0.stop() }, offset: 2, contains: "underflow")
        assertInvalid(pickle { $0.op(0x68, 7); $0.stop() }, offset: 2, contains: "never set")
        assertInvalid(pickle { $0.op(0x6a, 0xff, 0xff, 0xff, 0x7f); $0.stop() }, offset: 2, contains: "never set")
        assertInvalid(pickle { $0.op(0x4e, 0x4e, 0x61); $0.stop() }, contains: "not a list")
        assertInvalid(pickle { $0.op(0x5d, 0x4e, 0x4e, 0x73); $0.stop() }, contains: "not a dict")
        assertInvalid(pickle { $0.op(0x7d, 0x28, 0x4e, 0x75); $0.stop() }, contains: "odd number")
        assertInvalid(pickle { $0.op(0x7d, 0x5d, 0x4e, 0x73); $0.stop() }, contains: "unhashable")
    }

    // MARK: - Resource limits

    func testDeepMarkNestingIsBounded() {
        let p = pickle { $0.bytes += [UInt8](repeating: 0x28, count: 100_000); $0.stop() }
        assertTorchFileError(try load(p)) {
            if case .limitExceeded("p.pt", _, "nesting depth", 1000, 1002) = $0 { return true }
            return false
        }
    }

    func testDeepListNestingIsBounded() {
        let p = pickle { $0.bytes += [UInt8](repeating: 0x5d, count: 100_000) + [UInt8](repeating: 0x61, count: 99_999); $0.stop() }
        assertTorchFileError(try load(p)) {
            if case .limitExceeded("p.pt", _, "nesting depth", 1000, _) = $0 { return true }
            return false
        }
        let tuples = pickle { $0.op(0x4e); $0.bytes += [UInt8](repeating: 0x85, count: 100_000); $0.stop() }
        assertTorchFileError(try load(tuples)) {
            if case .limitExceeded(_, _, "nesting depth", 1000, _) = $0 { return true }
            return false
        }
    }

    func testNestingHiddenByLateMutationFailsInConversionNotOnTheStack() {
        // Lists L0…L4999 are filled from the top down, so each looks shallow when it is inserted;
        // the real depth only shows when the result is converted.
        let n = 5000
        let p = pickle { p in
            for i in 0..<n { p.op(0x5d, 0x72); p.bytes.appendLittleEndian(UInt32(i)) }
            for i in stride(from: n - 2, through: 0, by: -1) {
                p.op(0x6a); p.bytes.appendLittleEndian(UInt32(i + 1))
                p.op(0x6a); p.bytes.appendLittleEndian(UInt32(i))
                p.op(0x61)
            }
            p.op(0x6a); p.bytes.appendLittleEndian(UInt32(n - 1))
            p.stop()
        }
        assertTorchFileError(try load(p)) {
            if case .limitExceeded(_, _, "nesting depth", 1000, _) = $0 { return true }
            return false
        }
    }

    func testSelfContainingListIsRejected() {
        assertInvalid(pickle { $0.op(0x5d, 0x71, 0, 0x68, 0, 0x61); $0.stop() }, contains: "contains itself")
    }

    func testSharedStructureConvertsInLinearTime() throws {
        // t_i = (t_{i-1}, t_{i-1}): 2^60 leaves if unshared; the memo makes it 61 objects.
        let p = pickle { p in
            p.op(0x4e, 0x71, 0)
            for i in 1...60 { p.op(0x68, UInt8(i - 1), 0x68, UInt8(i - 1), 0x86, 0x71, UInt8(i)) }
            p.stop()
        }
        var v = try load(p)
        var depth = 0
        while case .tuple(let items) = v { XCTAssertEqual(items.count, 2); v = items[0]; depth += 1 }
        XCTAssertEqual(depth, 60)
        XCTAssertTrue(v.isNone)
    }

    func testObjectCountIsBounded() {
        let p = pickle { $0.op(0x5d, 0x28); $0.bytes += [UInt8](repeating: 0x4e, count: 2_000_000); $0.op(0x65); $0.stop() }
        assertTorchFileError(try load(p, limits: TorchFile.Limits(maxObjects: 100_000))) {
            if case .limitExceeded("p.pt", _, "object count", 100_000, _) = $0 { return true }
            return false
        }
    }

    func testManyTinyObjectsWithinTheLimitsLoad() throws {
        let p = pickle { $0.op(0x5d, 0x28); $0.bytes += [UInt8](repeating: 0x88, count: 50_000); $0.op(0x65); $0.stop() }
        XCTAssertEqual(try load(p).listValue?.count, 50_000)
    }

    func testMemoAndStackAreBounded() {
        let memo = pickle { p in
            p.op(0x4e)
            for i in 0..<2000 { p.op(0x72); p.bytes.appendLittleEndian(UInt32(i * 7919)) }
            p.stop()
        }
        assertTorchFileError(try load(memo, limits: TorchFile.Limits(maxMemoEntries: 1000))) {
            if case .limitExceeded(_, _, "memo size", 1000, _) = $0 { return true }
            return false
        }
        let stack = pickle { $0.bytes += [UInt8](repeating: 0x4e, count: 5000); $0.stop() }
        assertTorchFileError(try load(stack, limits: TorchFile.Limits(maxStackDepth: 1000))) {
            if case .limitExceeded(_, _, "stack size", 1000, 1002) = $0 { return true }
            return false
        }
    }

    func testPickleSizeIsBoundedBeforeItIsRead() {
        let p = pickle { $0.bytes += [UInt8](repeating: 0x4e, count: 100); $0.stop() }
        assertTorchFileError(try load(p, limits: TorchFile.Limits(maxStackDepth: 1000, maxPickleBytes: 64))) {
            if case .implausibleSize("p.pt", let record, _, let reason) = $0 { return record.hasSuffix("data.pkl") && reason.contains("64") }
            return false
        }
    }

    // MARK: - Values

    func testIntegerEncodings() throws {
        let p = pickle { p in
            p.op(0x5d, 0x28)
            p.op(0x4b, 0xff); p.op(0x4d, 0x34, 0x12); p.op(0x4a, 0xfb, 0xff, 0xff, 0xff)
            p.op(0x8a, 0x05, 0, 0, 0, 0x80, 0); p.op(0x8a, 0x06, 0, 0, 0, 0, 0, 1); p.op(0x8a, 0x05, 0xff, 0xff, 0xff, 0x7f, 0xff)
            p.op(0x8a, 0x00); p.op(0x8a, 0x09, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
            p.op(0x8a, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x80)
            p.op(0x47, 0x3f, 0x50, 0x62, 0x4d, 0xd2, 0xf1, 0xa9, 0xfc)
            p.op(0x65); p.stop()
        }
        let items = try XCTUnwrap(load(p).listValue)
        XCTAssertEqual(items.prefix(9).map { $0.intValue }, [255, 0x1234, -5, 1 << 31, 1 << 40, -(1 << 31) - 1, 0, -1, Int.min])
        XCTAssertEqual(items[9].doubleValue, 0.001)
        assertInvalid(pickle { $0.op(0x8a, 0x09, 0, 0, 0, 0, 0, 0, 0, 0x80, 0); $0.stop() }, contains: "64 bits")
    }

    func testDictsKeepOrderAndReplaceRepeatedKeys() throws {
        let p = pickle { p in
            p.op(0x7d, 0x28); p.string("b"); p.int(1); p.string("a"); p.int(2); p.string("b"); p.int(3)
            p.int(1); p.string("int key"); p.op(0x88); p.string("true key")
            p.op(0x75); p.stop()
        }
        let v = try load(p)
        // `True == 1` in Python, so the last key replaces the value of `1`, keeping its place.
        XCTAssertEqual(v.dictValue?.map { $0.key.kindName }, ["str", "str", "int"])
        XCTAssertEqual(v["b"]?.intValue, 3)
        XCTAssertEqual(v[int: 1]?.stringValue, "true key")
    }

    func testAllowlistedConstructors() throws {
        let p = pickle { p in
            p.op(0x7d, 0x28)
            p.string("counter"); p.global("collections", "Counter"); p.op(0x7d); p.int(5); p.int(2); p.op(0x73, 0x85, 0x52)
            p.string("set"); p.global("__builtin__", "set"); p.op(0x5d); p.int(1); p.op(0x61, 0x85, 0x52)
            p.string("empty set"); p.op(0x8f)
            p.string("bytes"); p.global("_codecs", "encode"); p.string("\u{0}\u{ff}A"); p.string("latin1"); p.op(0x86, 0x52)
            p.string("size"); p.global("torch", "Size"); p.int(2); p.int(3); p.op(0x86, 0x85, 0x52)
            p.string("device"); p.global("torch", "device"); p.string("cuda"); p.int(1); p.op(0x86, 0x52)
            p.string("dtype"); p.global("torch", "bfloat16")
            p.string("short"); p.op(0x55, 2, 0x68, 0x69)
            p.op(0x75); p.stop()
        }
        let v = try load(p)
        XCTAssertEqual(v["counter"]?[int: 5]?.intValue, 2)
        XCTAssertEqual(v["set"]?.listValue?.map { $0.intValue }, [1])
        XCTAssertEqual(v["empty set"]?.listValue?.count, 0)
        guard case .bytes(let b)? = v["bytes"] else { return XCTFail("bytes") }
        XCTAssertEqual(b, [0, 255, 65])
        guard case .tuple(let size)? = v["size"] else { return XCTFail("torch.Size is a tuple") }
        XCTAssertEqual(size.map { $0.intValue }, [2, 3])
        XCTAssertEqual(v["device"]?.stringValue, "cuda:1")
        XCTAssertEqual(v["dtype"]?.stringValue, "torch.bfloat16")
        XCTAssertEqual(v["short"]?.stringValue, "hi")
    }

    func testOrderedDictAttributesFromBuild() throws {
        let p = pickle { p in
            p.global("collections", "OrderedDict"); p.op(0x29, 0x52); p.string("k"); p.int(1); p.op(0x73)
            p.op(0x7d); p.string("_metadata"); p.op(0x7d); p.op(0x73, 0x62); p.stop()
        }
        guard case .orderedDict(let entries, let attrs) = try load(p) else { return XCTFail("OrderedDict") }
        XCTAssertEqual(entries.count, 1)
        XCTAssertEqual(attrs.first?.key.stringValue, "_metadata")
    }

    // MARK: - Tensors

    /// `_rebuild_tensor_v2(storage ref, offset, size, stride, False, OrderedDict())` for a FloatStorage of `numel`.
    private func tensor(_ p: inout PickleBuilder, storage: String = "FloatStorage", numel: UInt8, offset: UInt8 = 0,
                        size: [UInt8], stride: [UInt8]) {
        p.global("torch._utils", "_rebuild_tensor_v2"); p.op(0x28, 0x28)
        p.string("storage"); p.global("torch", storage); p.string("0"); p.string("cpu"); p.int(numel); p.op(0x74, 0x51)
        p.int(offset)
        p.op(0x28); for s in size { p.int(s) }; p.op(0x74)
        p.op(0x28); for s in stride { p.int(s) }; p.op(0x74)
        p.op(0x89); p.global("collections", "OrderedDict"); p.op(0x29, 0x52, 0x74, 0x52)
    }

    func testTensorViewsShareTheirStorage() throws {
        let p = pickle { p in
            p.op(0x5d, 0x28)
            tensor(&p, numel: 6, size: [2, 3], stride: [3, 1])
            tensor(&p, numel: 6, offset: 1, size: [2], stride: [3])
            p.op(0x65); p.stop()
        }
        let floats: [Float] = [0, 1, 2, 3, 4, 5]
        let v = try load(p, storages: [floats.withUnsafeBytes(Array.init)])
        let a = try XCTUnwrap(v[0]?.tensorValue), b = try XCTUnwrap(v[1]?.tensorValue)
        XCTAssertTrue(a.storage === b.storage)
        XCTAssertEqual(b.toArray(), [1, 4])
    }

    func testOutOfBoundsViewsAreRejected() {
        let zeros = [UInt8](repeating: 0, count: 24)
        for (offset, size, stride) in [(UInt8(0), [UInt8(3), 3], [UInt8(3), 1]), (5, [2], [1]), (7, [0], [1]), (0, [2, 2], [3])] {
            let p = pickle { tensor(&$0, numel: 6, offset: offset, size: size, stride: stride); $0.stop() }
            assertTorchFileError(try load(p, storages: [zeros])) {
                if case .viewOutOfBounds("p.pt", "archive/data.pkl", let at, _) = $0 { return at == p.bytes.count - 2 }
                return false
            }
        }
        // Sizes whose product overflows, with one zero dimension.
        let huge = pickle { p in
            p.global("torch._utils", "_rebuild_tensor_v2"); p.op(0x28, 0x28)
            p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(6); p.op(0x74, 0x51)
            p.int(0)
            p.op(0x28, 0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x4b, 0, 0x74)
            p.op(0x28, 0x4b, 1, 0x4b, 1, 0x4b, 1, 0x74)
            p.op(0x89); p.global("collections", "OrderedDict"); p.op(0x29, 0x52, 0x74, 0x52); p.stop()
        }
        assertTorchFileError(try load(huge, storages: [zeros])) {
            if case .viewOutOfBounds(_, _, _, let reason) = $0 { return reason.contains("overflows") }
            return false
        }
    }

    func testPersistentIDsMustBeStorageTuples() {
        assertInvalid(pickle { $0.string("x"); $0.op(0x51); $0.stop() }, contains: "persistent id")
        assertInvalid(pickle { p in
            p.op(0x28); p.string("module"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(1); p.op(0x74, 0x51); p.stop()
        }, contains: "persistent id")
        assertInvalid(pickle { p in
            p.op(0x28); p.string("storage"); p.string("FloatStorage"); p.string("0"); p.string("cpu"); p.int(1); p.op(0x74, 0x51); p.stop()
        }, contains: "storage type")
        assertInvalid(pickle { p in
            p.op(0x28); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(1); p.op(0x74, 0x51); p.stop()
        }, contains: "storage reference appears outside a tensor")
    }

    func testRebuildTensorV3DTypes() throws {
        func v3(_ dtype: String, numel: UInt8) -> PickleBuilder {
            pickle { p in
                p.global("torch._utils", "_rebuild_tensor_v3"); p.op(0x28, 0x28)
                p.string("storage"); p.global("torch.storage", "UntypedStorage"); p.string("0"); p.string("cpu"); p.int(numel); p.op(0x74, 0x51)
                p.int(0); p.int(2); p.op(0x85); p.int(1); p.op(0x85); p.op(0x89)
                p.global("collections", "OrderedDict"); p.op(0x29, 0x52); p.global("torch", dtype); p.op(0x74, 0x52); p.stop()
            }
        }
        let u32 = try XCTUnwrap(load(v3("uint32", numel: 8), storages: [[0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0]]).tensorValue)
        XCTAssertEqual(u32.dtype, .int64)
        XCTAssertEqual(int64s(u32), [4_294_967_295, 1])
        for d in ["float8_e4m3fn", "complex64", "uint64"] {
            let p = v3(d, numel: 16)
            assertTorchFileError(try load(p, storages: [[UInt8](repeating: 0, count: 16)])) {
                $0 == .unsupportedDType(file: "p.pt", record: "archive/data.pkl", dtype: d, offset: p.bytes.count - 2)
            }
        }
    }

    func testConjugateMetadataIsRejectedAndEmptyMetadataIgnored() throws {
        func withMetadata(_ flag: UInt8) -> PickleBuilder {
            pickle { p in
                p.global("torch._utils", "_rebuild_tensor_v2"); p.op(0x28, 0x28)
                p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(1); p.op(0x74, 0x51)
                p.int(0); p.op(0x29, 0x29, 0x89); p.global("collections", "OrderedDict"); p.op(0x29, 0x52)
                p.op(0x7d); p.string("conj"); p.op(flag, 0x73, 0x74, 0x52); p.stop()
            }
        }
        XCTAssertEqual(try load(withMetadata(0x89), storages: [[0, 0, 0x80, 0x3f]]).tensorValue?.toArray(), [1])
        assertInvalid(withMetadata(0x88), contains: "conj")
    }

    func testRebuildFromTypeV2AndParameters() throws {
        let p = pickle { p in
            p.global("torch._tensor", "_rebuild_from_type_v2"); p.op(0x28)
            p.global("torch._utils", "_rebuild_tensor_v2"); p.global("torch", "Tensor")
            p.op(0x28, 0x28); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(1); p.op(0x74, 0x51)
            p.int(0); p.op(0x29, 0x29, 0x89); p.global("collections", "OrderedDict"); p.op(0x29, 0x52, 0x74)
            p.op(0x7d, 0x74, 0x52); p.stop()
        }
        XCTAssertEqual(try load(p, storages: [[0, 0, 0x40, 0x40]]).tensorValue?.toArray(), [3])
        assertInvalid(pickle { p in
            p.global("torch._utils", "_rebuild_parameter"); p.int(1); p.op(0x88, 0x7d, 0x87, 0x52); p.stop()
        }, contains: "not a tensor")
    }
}
