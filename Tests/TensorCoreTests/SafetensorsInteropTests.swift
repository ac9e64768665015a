import Foundation
import XCTest
@testable import TensorCore

/// Byte-for-byte agreement with the reference `safetensors` 0.8 + PyTorch writer and reader (skipped without them).
final class SafetensorsInteropTests: XCTestCase {
    /// Loads each Cairn file with `load_file`, re-saves it with `save_file` (same metadata), and
    /// dumps every tensor's dtype, shape and raw bytes so Swift can compare them.
    static let script = #"""
    import json, sys
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file
    args = sys.argv[1:]
    for src, out, dump in zip(args[0::3], args[1::3], args[2::3]):
        tensors = load_file(src)
        with safe_open(src, "pt") as f:
            md = f.metadata()
        save_file(tensors, out, metadata=md)
        rows = []
        for k, t in tensors.items():
            rows.append({
                "name": k.encode("utf-8").hex(),
                "dtype": str(t.dtype).replace("torch.", ""),
                "shape": list(t.shape),
                "data": t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes().hex(),
            })
        with open(dump, "w") as fh:
            json.dump({"metadata": md, "tensors": rows}, fh)
    """#

    /// Runs `python3 args...`, returning the exit status and combined output.
    static func python(_ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func hexBytes(_ s: String) -> [UInt8] {
        let c = Array(s.utf8)
        func v(_ b: UInt8) -> UInt8 { b <= UInt8(ascii: "9") ? b - UInt8(ascii: "0") : b - UInt8(ascii: "a") + 10 }
        return stride(from: 0, to: c.count, by: 2).map { v(c[$0]) << 4 | v(c[$0 + 1]) }
    }

    /// Random tensors of every dtype (all bit patterns, NaN payloads included), plus scalars, empty
    /// and strided tensors, under names that need JSON escaping or are non-ASCII.
    static func randomTensors(seed: UInt64) -> [(name: String, tensor: Tensor)] {
        var rng = SplitMix64(seed: seed)
        var out: [(name: String, tensor: Tensor)] = []
        let names = ["a\"b\\c\n", "caf\u{e9}", "cafe\u{301}", "日本語", "ctl\u{1}\u{1f}\t", "slash/\u{7f}", "😀"]
        for (i, d) in DType.allCases.enumerated() {
            let shape = [Int(rng.next() % 4 + 1), Int(rng.next() % 5 + 1)]
            let n = shape.reduce(1, *) * d.byteSize
            var raw = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if d == .bool { raw = raw.map { $0 & 1 } }
            out.append((d.rawValue + "." + names[i % names.count], SafetensorsTests.tensor(d, shape, bytes: raw)))
            out.append((d.rawValue + ".scalar", SafetensorsTests.tensor(d, [], bytes: Array(raw.prefix(d.byteSize)))))
            out.append((d.rawValue + ".empty", Tensor(zeros: [0, 3], dtype: d)))
            out.append((d.rawValue + ".T", SafetensorsTests.tensor(d, shape, bytes: raw).transposed(0, 1)))
        }
        out += names.enumerated().map { (name: $0.element, tensor: Tensor([Float($0.offset)])) }
        return out
    }

    func testMatchesReferenceWriterAndReader() throws {
        let probe = try Self.python(["-c", "import safetensors, torch"])
        guard probe.status == 0 else { throw XCTSkip("python3 with safetensors and torch is not available: \(probe.output)") }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-st-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let cases: [(tensors: [(name: String, tensor: Tensor)], metadata: [String: String]?)] = [
            (Self.randomTensors(seed: 1), ["framework\u{1}\"é": "pt\n"]),
            (Self.randomTensors(seed: 2), nil),
            ([], ["format": "pt"]),
        ]
        var args = ["-c", Self.script]
        for (i, c) in cases.enumerated() {
            let url = dir.appendingPathComponent("cairn\(i).safetensors")
            try Safetensors.write(c.tensors, metadata: c.metadata, to: url, fsync: false)
            args += [url.path, dir.appendingPathComponent("torch\(i).safetensors").path,
                     dir.appendingPathComponent("dump\(i).json").path]
        }
        let run = try Self.python(args)
        XCTAssertEqual(run.status, 0, run.output)
        guard run.status == 0 else { return }

        for (i, c) in cases.enumerated() {
            let ours = try Data(contentsOf: dir.appendingPathComponent("cairn\(i).safetensors"))
            let theirs = try Data(contentsOf: dir.appendingPathComponent("torch\(i).safetensors"))
            XCTAssertEqual(ours.count, theirs.count, "case \(i)")
            if let diff = zip(ours, theirs).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
                XCTFail("case \(i): first differing byte at offset \(diff.offset)")
            }
            XCTAssertEqual(ours, theirs, "case \(i): Cairn and safetensors.torch.save_file differ")

            let dump = try JSONSerialization.jsonObject(
                with: Data(contentsOf: dir.appendingPathComponent("dump\(i).json"))) as! [String: Any]
            XCTAssertEqual(dump["metadata"] as? [String: String], c.metadata, "case \(i)")
            let rows = dump["tensors"] as! [[String: Any]]
            XCTAssertEqual(rows.count, c.tensors.count, "case \(i)")
            let expected = Dictionary(uniqueKeysWithValues: c.tensors.map { (Array($0.name.utf8), $0.tensor) })
            for row in rows {
                let key = Self.hexBytes(row["name"] as! String)
                let label = String(decoding: key, as: UTF8.self).debugDescription
                guard let t = expected[key] else { XCTFail("python read an unexpected tensor \(label)"); continue }
                XCTAssertEqual(row["dtype"] as? String, t.dtype.torchName, label)
                XCTAssertEqual(row["shape"] as? [Int], t.shape, label)
                XCTAssertEqual(Self.hexBytes(row["data"] as! String), SafetensorsTests.bytes(of: t), label)
            }

            // And Cairn reads the reference file back to the same tensors.
            let f = try SafetensorsFile(contentsOf: dir.appendingPathComponent("torch\(i).safetensors"))
            XCTAssertEqual(f.metadata, c.metadata)
            for (name, t) in c.tensors {
                XCTAssertEqual(SafetensorsTests.bytes(of: try f.tensor(name)), SafetensorsTests.bytes(of: t), name.debugDescription)
            }
        }
    }
}
