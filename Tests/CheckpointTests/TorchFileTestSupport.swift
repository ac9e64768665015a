import Foundation
import XCTest
import TensorCore
@testable import Checkpoint

/// The `.pt` fixtures of the format spec: `Tests/Fixtures/pth/` when copied there, else the shared specs folder.
func pthFixture(_ name: String) -> URL {
    let local = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pth").appendingPathComponent(name)
    if FileManager.default.fileExists(atPath: local.path) { return local }
    return URL(fileURLWithPath: "/work/shared/specs/fixtures/pth").appendingPathComponent(name)
}

/// The bytes of a fixture.
func pthFixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: pthFixture(name)))
}

/// A fresh empty temporary directory, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("cairn-pth-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

/// Row-major values of any tensor as doubles (ints and bools exactly).
func doubles(_ t: Tensor) -> [Double] {
    let c = t.contiguousCopy()
    return withExtendedLifetime(c) { (0..<c.count).map { DTypeCodec.readDouble(c.storage.base, $0, c.dtype) } }
}

/// Row-major values of an integer tensor.
func int64s(_ t: Tensor) -> [Int64] {
    let c = t.contiguousCopy()
    return withExtendedLifetime(c) { (0..<c.count).map { DTypeCodec.readInt(c.storage.base, $0, c.dtype) } }
}

/// A JSON-able description of a value that the interop script produces identically from Python
/// objects: tags keep int/float/tuple/list/dict/OrderedDict apart; tensors give dtype, shape,
/// exact values and (per `layout`) storage group, offset and strides.
struct ValueDescriber {
    /// How much of a tensor's placement to describe.
    enum Layout: String { case none, sharing, full }

    var layout: Layout
    private var groups: [ObjectIdentifier: Int] = [:]

    init(layout: Layout) { self.layout = layout }

    mutating func describe(_ v: CheckpointValue) -> Any {
        switch v {
        case .none: return ["none": true]
        case .bool(let b): return ["bool": b]
        case .int(let i): return ["int": String(i)]
        case .double(let d): return ["float": String(d.bitPattern, radix: 16)]
        case .string(let s): return ["str": s]
        case .bytes(let b): return ["bytes": b.map(Int.init)]
        case .tensor(let t):
            var d: [String: Any] = ["tensor": t.dtype.rawValue, "shape": t.shape]
            // Numbers travel as text (ints in decimal, floats as the hex bits of the double) so that no
            // JSON number formatting can blur them.
            if t.dtype.isFloatingPoint {
                d["values"] = doubles(t).map { String($0.bitPattern, radix: 16) }
            } else {
                d["values"] = int64s(t).map { String($0) }
            }
            if layout != .none {
                let id = ObjectIdentifier(t.storage)
                if groups[id] == nil { groups[id] = groups.count }
                d["sid"] = groups[id]!
            }
            if layout == .full {
                d["offset"] = t.layout.offset
                d["stride"] = t.layout.strides
            }
            return d
        case .list(let a): return ["list": a.map { describe($0) }]
        case .tuple(let a): return ["tuple": a.map { describe($0) }]
        case .dict(let e): return ["dict": e.map { [describe($0.key), describe($0.value)] }, "ordered": false]
        case .orderedDict(let e, _): return ["dict": e.map { [describe($0.key), describe($0.value)] }, "ordered": true]
        }
    }
}

/// Canonical JSON text (sorted keys) of a JSON-able object.
func canonicalJSON(_ object: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

/// Canonical JSON of a value's description.
func describeJSON(_ v: CheckpointValue, layout: ValueDescriber.Layout) throws -> String {
    var d = ValueDescriber(layout: layout)
    return try canonicalJSON(d.describe(v))
}

/// Runs `python3` with a script; returns exit status and combined output.
@discardableResult
func runPython(_ script: String, arguments: [String] = [], in dir: URL) throws -> (status: Int32, output: String) {
    let scriptURL = dir.appendingPathComponent("script-\(UUID().uuidString).py")
    try script.write(to: scriptURL, atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", scriptURL.path] + arguments
    p.currentDirectoryURL = dir
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Whether `python3 -c "import torch"` works (checked once).
let torchIsAvailable: Bool = {
    let dir = URL(fileURLWithPath: NSTemporaryDirectory())
    return (try? runPython("import torch\n", in: dir).status) == 0
}()

/// A hand-built zip archive for hostile-input tests: each entry's bytes, method and header fields
/// can be set independently of its real data.
struct RawZip {
    struct Entry {
        var name: String
        var data: [UInt8]
        var method: UInt16 = 0
        var flags: UInt16 = 0
        var crc: UInt32? = nil
        var compressedSize: UInt32? = nil
        var uncompressedSize: UInt32? = nil
        var localName: String? = nil
    }

    var entries: [Entry]

    /// Archive bytes: local headers and data, central directory, classic end record.
    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        var offsets: [Int] = []
        for e in entries {
            offsets.append(out.count)
            let name = Array((e.localName ?? e.name).utf8)
            out.appendLittleEndian(UInt32(0x0403_4b50))
            out.appendLittleEndian(UInt16(20)); out.appendLittleEndian(e.flags); out.appendLittleEndian(e.method)
            out.appendLittleEndian(UInt32(0))
            out.appendLittleEndian(e.crc ?? CRC32.checksum(e.data))
            out.appendLittleEndian(e.compressedSize ?? UInt32(e.data.count))
            out.appendLittleEndian(e.uncompressedSize ?? UInt32(e.data.count))
            out.appendLittleEndian(UInt16(name.count)); out.appendLittleEndian(UInt16(0))
            out += name
            out += e.data
        }
        let cd = out.count
        for (e, off) in zip(entries, offsets) {
            let name = Array(e.name.utf8)
            out.appendLittleEndian(UInt32(0x0201_4b50))
            out.appendLittleEndian(UInt16(20)); out.appendLittleEndian(UInt16(20))
            out.appendLittleEndian(e.flags); out.appendLittleEndian(e.method)
            out.appendLittleEndian(UInt32(0))
            out.appendLittleEndian(e.crc ?? CRC32.checksum(e.data))
            out.appendLittleEndian(e.compressedSize ?? UInt32(e.data.count))
            out.appendLittleEndian(e.uncompressedSize ?? UInt32(e.data.count))
            out.appendLittleEndian(UInt16(name.count)); out.appendLittleEndian(UInt16(0)); out.appendLittleEndian(UInt16(0))
            out.appendLittleEndian(UInt16(0)); out.appendLittleEndian(UInt16(0)); out.appendLittleEndian(UInt32(0))
            out.appendLittleEndian(UInt32(off))
            out += name
        }
        let cdSize = out.count - cd
        out.appendLittleEndian(UInt32(0x0605_4b50))
        out.appendLittleEndian(UInt16(0)); out.appendLittleEndian(UInt16(0))
        out.appendLittleEndian(UInt16(entries.count)); out.appendLittleEndian(UInt16(entries.count))
        out.appendLittleEndian(UInt32(cdSize)); out.appendLittleEndian(UInt32(cd)); out.appendLittleEndian(UInt16(0))
        return out
    }
}

/// Builds protocol-2 pickles by hand.
struct PickleBuilder {
    var bytes: [UInt8] = [0x80, 0x02]

    mutating func op(_ b: UInt8...) { bytes += b }
    mutating func global(_ module: String, _ name: String) { bytes.append(0x63); bytes += Array("\(module)\n\(name)\n".utf8) }
    mutating func string(_ s: String) {
        let u = Array(s.utf8)
        bytes.append(0x58); bytes.appendLittleEndian(UInt32(u.count)); bytes += u
    }
    mutating func int(_ v: UInt8) { bytes += [0x4b, v] }
    mutating func stop() { bytes.append(0x2e) }

    /// A minimal torch archive (`data.pkl`, `version`, storages) around `bytes`.
    func archive(storages: [[UInt8]] = [], name: String = "archive") throws -> [UInt8] {
        var z = ZipWriter(prefix: name, sink: MemorySink())
        try z.add("data.pkl", bytes)
        for (i, s) in storages.enumerated() { try z.add("data/\(i)", s) }
        try z.add("version", Array("3\n".utf8))
        try z.finish()
        return z.sink.bytes
    }
}

/// Asserts that `body` throws a `TorchFileError` and returns it.
@discardableResult
func assertTorchFileError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
                             _ check: (TorchFileError) -> Bool = { _ in true }) -> TorchFileError? {
    do {
        _ = try body()
        XCTFail("expected a TorchFileError, but it succeeded", file: file, line: line)
        return nil
    } catch let e as TorchFileError {
        XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
        return e
    } catch {
        XCTFail("expected a TorchFileError, got \(error)", file: file, line: line)
        return nil
    }
}

/// Asserts two strings are equal, reporting the text around the first difference instead of both in full.
func assertSameText(_ a: String, _ b: String, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard a != b else { return }
    let x = Array(a), y = Array(b)
    var i = 0
    while i < min(x.count, y.count), x[i] == y[i] { i += 1 }
    let lo = max(0, i - 150)
    XCTFail("\(message): differ at character \(i):\n  got      …\(String(x[lo..<min(x.count, i + 150)]))…\n  expected …\(String(y[lo..<min(y.count, i + 150)]))…",
            file: file, line: line)
}
