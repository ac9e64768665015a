import Foundation
import XCTest
import TensorCore
@testable import Checkpoint

/// Reading the spec's fixtures, writing files torch would write, and round trips of every value kind.
final class TorchFileTests: XCTestCase {
    // MARK: - Good fixtures (spec §10)

    func testSmallFixtureLoadsAsOrderedDict() throws {
        let v = try TorchFile.read(contentsOf: pthFixture("small.pt"))
        guard case .orderedDict(let entries, let attrs) = v else { return XCTFail("expected an OrderedDict, got \(v.kindName)") }
        XCTAssertEqual(entries.map { $0.key.stringValue }, ["w", "b"])
        XCTAssertTrue(attrs.isEmpty)
        let w = try XCTUnwrap(v["w"]?.tensorValue), b = try XCTUnwrap(v["b"]?.tensorValue)
        XCTAssertEqual(w.dtype, .float32)
        XCTAssertEqual(w.shape, [2, 3])
        XCTAssertEqual(w.toArray(), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(b.shape, [2])
        XCTAssertEqual(b.toArray(), [1, 2])
        XCTAssertFalse(w.storage === b.storage)
    }

    func testModelBatchNormFixture() throws {
        let v = try TorchFile.read(contentsOf: pthFixture("model_bn.pt"))
        XCTAssertEqual(v.stringKeys, ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                      "1.num_batches_tracked"])
        XCTAssertEqual(v["0.weight"]?.tensorValue?.toArray(), [0, 0.1, 0.2, 0.3, 0.4, 0.5])
        XCTAssertEqual(v["0.weight"]?.tensorValue?.shape, [2, 3])
        XCTAssertEqual(v["0.bias"]?.tensorValue?.toArray(), [0.5, -0.5])
        XCTAssertEqual(v["1.weight"]?.tensorValue?.toArray(), [1, 1])
        XCTAssertEqual(v["1.bias"]?.tensorValue?.toArray(), [0, 0])
        XCTAssertEqual(v["1.running_mean"]?.tensorValue?.toArray(), [0.25, 0.75])
        XCTAssertEqual(v["1.running_var"]?.tensorValue?.toArray(), [1.5, 2.5])
        let n = try XCTUnwrap(v["1.num_batches_tracked"]?.tensorValue)
        XCTAssertEqual(n.dtype, .int64)
        XCTAssertEqual(n.shape, [])
        XCTAssertEqual(int64s(n), [7])
        // `_metadata` (set by BUILD) is kept as an attribute: '' → {'version': 1}, '0' → 1, '1' → 2.
        guard case .orderedDict(_, let attrs) = v, let meta = attrs.first(where: { $0.key.stringValue == "_metadata" })?.value else {
            return XCTFail("missing _metadata attribute")
        }
        XCTAssertEqual(meta.stringKeys, ["", "0", "1"])
        XCTAssertEqual(meta["1"]?["version"]?.intValue, 2)
        XCTAssertEqual(meta[""]?["version"]?.intValue, 1)
    }

    func testAdamFixture() throws {
        let v = try TorchFile.read(contentsOf: pthFixture("adam.pt"))
        guard case .dict = v else { return XCTFail("optimizer state dicts are plain dicts") }
        XCTAssertEqual(v.stringKeys, ["state", "param_groups"])
        let state = try XCTUnwrap(v["state"])
        XCTAssertEqual(state.dictValue?.map { $0.key.intValue }, [0, 1, 2, 3])
        for i in 0..<4 {
            let s = try XCTUnwrap(state[int: i])
            XCTAssertEqual(s.stringKeys, ["step", "exp_avg", "exp_avg_sq"])
            XCTAssertEqual(s["step"]?.tensorValue?.shape, [])
            XCTAssertEqual(s["step"]?.tensorValue?.toArray(), [1])
            XCTAssertEqual(s["exp_avg"]?.tensorValue?.shape, i == 0 ? [2, 3] : [2])
            XCTAssertTrue(s["exp_avg"]!.tensorValue!.toArray().allSatisfy { $0 == Float(0.1) })
            XCTAssertTrue(s["exp_avg_sq"]!.tensorValue!.toArray().allSatisfy { $0 == Float(0.001) })
        }
        let g = try XCTUnwrap(v["param_groups"]?[0])
        XCTAssertEqual(g.stringKeys, ["lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach", "capturable",
                                      "differentiable", "fused", "decoupled_weight_decay", "params"])
        XCTAssertEqual(g["lr"]?.doubleValue, 0.001)
        guard case .tuple(let betas)? = g["betas"] else { return XCTFail("betas is a tuple") }
        XCTAssertEqual(betas.map { $0.doubleValue }, [0.9, 0.999])
        guard case .int(0)? = g["weight_decay"] else { return XCTFail("weight_decay is the int 0") }
        XCTAssertEqual(g["amsgrad"]?.boolValue, false)
        XCTAssertEqual(g["foreach"]?.isNone, true)
        XCTAssertEqual(g["params"]?.listValue?.map { $0.intValue }, [0, 1, 2, 3])
    }

    func testCheckpointFixtureScalars() throws {
        let v = try TorchFile.read(contentsOf: pthFixture("checkpoint.pt"))
        XCTAssertEqual(v.stringKeys, ["model", "optimizer", "epoch", "lr", "name", "ok", "none", "steps"])
        guard case .int(3)? = v["epoch"], case .double(0.001)? = v["lr"], case .string("run-1")? = v["name"],
              case .bool(true)? = v["ok"], case .none? = v["none"] else { return XCTFail("scalars differ: \(v)") }
        guard case .list(let steps)? = v["steps"] else { return XCTFail("steps is a list") }
        XCTAssertEqual(steps.map { $0.intValue }, [1, 2, 300, 70000, -5, 1 << 40])
        XCTAssertEqual(v["model"]?["1.running_var"]?.tensorValue?.toArray(), [1.5, 2.5])
        XCTAssertEqual(v["optimizer"]?["state"]?[int: 3]?["exp_avg"]?.tensorValue?.shape, [2])
    }

    func testViewsShareOneStorage() throws {
        let v = try TorchFile.read(contentsOf: pthFixture("views.pt"))
        let a = try XCTUnwrap(v["a"]?.tensorValue), tT = try XCTUnwrap(v["tT"]?.tensorValue)
        let row = try XCTUnwrap(v["row"]?.tensorValue), col = try XCTUnwrap(v["col"]?.tensorValue)
        XCTAssertTrue(a.storage === tT.storage && a.storage === row.storage && a.storage === col.storage)
        XCTAssertEqual(a.storage.count, 12)
        XCTAssertEqual(a.toArray(), (0..<12).map(Float.init))
        XCTAssertEqual(tT.shape, [4, 3])
        XCTAssertEqual(tT.layout.strides, [1, 4])
        XCTAssertEqual(tT.toArray(), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        XCTAssertEqual(row.layout.offset, 4)
        XCTAssertEqual(row.toArray(), [4, 5, 6, 7])
        XCTAssertEqual(col.layout.offset, 2)
        XCTAssertEqual(col.layout.strides, [4])
        XCTAssertEqual(col.toArray(), [2, 6, 10])
    }

    func testEveryDTypeExact() throws {
        let v = try TorchFile.read(contentsOf: pthFixture("dtypes.pt"))
        let expectFloat: [(String, DType)] = [("f64", .float64), ("f32", .float32), ("f16", .float16), ("bf16", .bfloat16)]
        for (k, d) in expectFloat {
            let t = try XCTUnwrap(v[k]?.tensorValue, k)
            XCTAssertEqual(t.dtype, d, k)
            XCTAssertEqual(doubles(t), [1.5, -2.25], k)
        }
        let expectInt: [(String, DType, [Int64])] = [
            ("i64", .int64, [-1, 1 << 40]), ("i32", .int32, [-1, 1 << 30]), ("i16", .int16, [-1, 300]),
            ("i8", .int8, [-1, 100]), ("u8", .uint8, [255, 7]), ("bool", .bool, [1, 0]),
            ("u16", .int32, [65535, 1]),   // uint16 (v3 form) widens losslessly to int32
        ]
        for (k, d, values) in expectInt {
            let t = try XCTUnwrap(v[k]?.tensorValue, k)
            XCTAssertEqual(t.dtype, d, k)
            XCTAssertEqual(int64s(t), values, k)
        }
        let scalar = try XCTUnwrap(v["scalar"]?.tensorValue)
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.toArray(), [3])
        let empty = try XCTUnwrap(v["empty"]?.tensorValue)
        XCTAssertEqual(empty.shape, [0, 3])
        XCTAssertEqual(empty.count, 0)
    }

    func testParameterUnwrapsToTensor() throws {
        let v = try TorchFile.read(contentsOf: pthFixture("parameter.pt"))
        let p = try XCTUnwrap(v["p"]?.tensorValue)
        XCTAssertEqual(p.toArray(), [1, 2])
        XCTAssertFalse(p.requiresGrad)
    }

    // MARK: - Rejected fixtures

    func testOsSystemFixtureIsRejectedAtTheGlobalAndRunsNothing() throws {
        let fm = FileManager.default
        let cwd = fm.currentDirectoryPath
        let before = Set(try fm.contentsOfDirectory(atPath: cwd))
        let url = pthFixture("reject_os_system.pt")
        let e = assertTorchFileError(try TorchFile.read(contentsOf: url)) {
            if case .disallowedGlobal(let file, _, let global, let offset) = $0 {
                return file == url.path && global == "posix.system" && offset == 13
            }
            return false
        }
        let message = try XCTUnwrap(e).description
        XCTAssertTrue(message.contains(url.path) && message.contains("posix.system") && message.contains("byte 13"), message)
        // The pickle would run `echo pwned`; nothing may appear in the working directory.
        XCTAssertEqual(Set(try fm.contentsOfDirectory(atPath: cwd)), before)
        XCTAssertFalse(fm.fileExists(atPath: cwd + "/pwned"))
    }

    func testLegacyFixtureAsksToResave() throws {
        let url = pthFixture("reject_legacy.pt")
        let e = assertTorchFileError(try TorchFile.read(contentsOf: url)) { $0 == .legacyFormat(file: url.path) }
        XCTAssertTrue(e?.description.contains("torch >= 1.6") == true)
        XCTAssertTrue(e?.description.contains(url.path) == true)
    }

    func testTorchScriptArchiveRejected() throws {
        var z = ZipWriter(prefix: "scripted", sink: MemorySink())
        try z.add("data/0", [UInt8](repeating: 0, count: 8))
        try z.add("constants.pkl", PickleBuilder().bytes + [0x2e])
        try z.add("data.pkl", [0x80, 0x02, 0x4e, 0x2e])
        try z.add("code/__torch__.py", Array("x".utf8))
        try z.finish()
        let e = assertTorchFileError(try TorchFile.deserialize(z.sink.bytes, source: "m.pt")) {
            if case .torchScriptArchive("m.pt", _) = $0 { return true }
            return false
        }
        XCTAssertTrue(e?.description.contains("TorchScript") == true)
    }

    func testPreviewAndEmptyFilesRejected() {
        assertTorchFileError(try TorchFile.deserialize(Array("PYTORCH1xxxx".utf8), source: "p.pt")) { $0 == .previewFormat(file: "p.pt") }
        assertTorchFileError(try TorchFile.deserialize([], source: "e.pt")) {
            if case .notAZipArchive("e.pt", _) = $0 { return true }
            return false
        }
        assertTorchFileError(try TorchFile.deserialize(Array("hello world, not a zip".utf8), source: "t.pt")) {
            if case .notAZipArchive("t.pt", _) = $0 { return true }
            return false
        }
    }

    func testMissingFileIsAnIOError() {
        assertTorchFileError(try TorchFile.read(contentsOf: URL(fileURLWithPath: "/nonexistent/x.pt"))) {
            if case .io("/nonexistent/x.pt", "open", _) = $0 { return true }
            return false
        }
    }

    // MARK: - Writing: byte identity with torch.save (spec §9)

    func testWorkedExampleIsReproducedByteForByte() throws {
        let sd: CheckpointValue = .orderedDict([
            (key: "w", value: .tensor(Tensor([0, 1, 2, 3, 4, 5], shape: [2, 3]))),
            (key: "b", value: .tensor(Tensor([1, 2]))),
        ])
        let bytes = try TorchFile.serialize(sd, archiveName: "small", serializationID: "0561108523619670529406910244592177894872")
        XCTAssertEqual(bytes, try pthFixtureBytes("small.pt"))
        XCTAssertEqual(bytes.count, 1813)
    }

    /// Re-serializing what was read gives torch's exact bytes for every fixture Cairn can hold unchanged.
    func testFixturesRoundTripByteForByte() throws {
        for name in ["small", "model_bn", "adam", "checkpoint", "views"] {
            let original = try pthFixtureBytes(name + ".pt")
            let v = try TorchFile.deserialize(original, source: name)
            let id = try serializationID(of: original)
            let again = try TorchFile.serialize(v, archiveName: name, serializationID: id)
            XCTAssertEqual(again.count, original.count, name)
            XCTAssertTrue(again == original, "\(name).pt differs from torch.save's bytes")
        }
    }

    func testWriteUsesFileStemAsArchiveFolder() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("model.v2.pth")
        try TorchFile.write(["x": .tensor(Tensor([1, 2, 3]))], to: url, fsync: false)
        let bytes = [UInt8](try Data(contentsOf: url))
        let zip = try bytes.withUnsafeBytes { try ZipReader(bytes: $0, file: url.path).entries.map(\.name) }
        XCTAssertEqual(zip, ["model.v2/data.pkl", "model.v2/.format_version", "model.v2/.storage_alignment",
                             "model.v2/byteorder", "model.v2/data/0", "model.v2/version", "model.v2/.data/serialization_id"])
        XCTAssertEqual(TorchFile.archiveName(for: URL(fileURLWithPath: "/a/b/ckpt")), "ckpt")
        XCTAssertEqual(TorchFile.archiveName(for: URL(fileURLWithPath: "/a/b/.pt")), "archive")
        XCTAssertEqual(TorchFile.archiveName(for: URL(fileURLWithPath: "/a/b/...pt")), "archive")
        let odd = try TorchFile.serialize(["x": 1], archiveName: "..")
        XCTAssertEqual(try TorchFile.deserialize(odd)["x"]?.intValue, 1)
        XCTAssertEqual(try TorchFile.read(contentsOf: url)["x"]?.tensorValue?.toArray(), [1, 2, 3])
        // No temporary files are left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["model.v2.pth"])
    }

    func testRecordDataIs64ByteAligned() throws {
        let v: CheckpointValue = ["a": .tensor(Tensor([1, 2, 3])), "longer name": .tensor(Tensor(zeros: [5], dtype: .int8))]
        let bytes = try TorchFile.serialize(v)
        try bytes.withUnsafeBytes { raw in
            for e in try ZipReader(bytes: raw, file: "m").entries { XCTAssertEqual(e.dataOffset % 64, 0, e.name) }
        }
    }

    func testDefaultSerializationIDIsDeterministic() throws {
        let v: CheckpointValue = ["a": .tensor(Tensor([1, 2]))]
        let a = try TorchFile.serialize(v), b = try TorchFile.serialize(v)
        XCTAssertEqual(a, b)
        let id = try serializationID(of: a)
        XCTAssertEqual(id.count, 40)
        XCTAssertTrue(id.allSatisfy(\.isNumber))
        assertTorchFileError(try TorchFile.serialize(v, serializationID: "12")) {
            if case .unsupportedValue(_, ".data/serialization_id", _) = $0 { return true }
            return false
        }
    }

    // MARK: - Round trips

    func testRoundTripOfEveryValueKind() throws {
        let v: CheckpointValue = .dict([
            (key: "none", value: .none), (key: "t", value: true), (key: "f", value: false),
            (key: "ints", value: [0, 255, 256, 65535, 65536, -1, -129, .int(Int64(Int32.max)), .int(Int64(Int32.min)),
                                  .int(1 << 31), .int(-(1 << 31) - 1), .int(1 << 40), .int(Int64.max), .int(Int64.min)]),
            (key: "floats", value: [0.001, -0.0, 1e300, .double(.infinity), 3]),
            (key: "text", value: "héllo ✓"),
            (key: "bytes", value: .bytes([0, 1, 127, 128, 200, 255])),
            (key: "empty bytes", value: .bytes([])),
            (key: "tuple", value: .tuple([1, "a", .tuple([]), .tuple([2.5])])),
            (key: "long tuple", value: .tuple([1, 2, 3, 4, 5])),
            (key: 7, value: "int key"),
            (key: .tuple([1, 2]), value: "tuple key"),
            (key: "list", value: .list((0..<2500).map { .int(Int64($0)) })),
            (key: "od", value: .orderedDict([(key: "x", value: .tensor(Tensor([1])))],
                                            attributes: [(key: "_metadata", value: .orderedDict([(key: "", value: ["version": 1])]))])),
            (key: "big dict", value: .dict((0..<1500).map { (key: .string("k\($0)"), value: .int(Int64($0))) })),
        ])
        let back = try TorchFile.deserialize(try TorchFile.serialize(v))
        XCTAssertEqual(try describeJSON(back, layout: .full), try describeJSON(v, layout: .full))
        guard case .orderedDict(_, let attrs)? = back["od"] else { return XCTFail("od is an OrderedDict") }
        XCTAssertEqual(attrs.first?.key.stringValue, "_metadata")
        XCTAssertEqual(back[int: 7]?.stringValue, "int key")
    }

    func testEveryDTypeRoundTrips() throws {
        var entries: CheckpointValue.Entries = []
        for d in DType.allCases {
            let t = Tensor([1, 0, -2, 3.5, 100, 0.25], shape: [2, 3]).to(d)
            entries.append((key: .string(d.rawValue), value: .tensor(t)))
        }
        entries.append((key: "empty", value: .tensor(Tensor(zeros: [2, 0, 4]))))
        entries.append((key: "scalar", value: .tensor(Tensor(int64: [42], shape: []))))
        let v = CheckpointValue.dict(entries)
        let back = try TorchFile.deserialize(try TorchFile.serialize(v))
        XCTAssertEqual(try describeJSON(back, layout: .none), try describeJSON(v, layout: .none))
        // torch's contiguous strides treat size-0 dimensions as 1 (spec §5.4).
        XCTAssertEqual(back["empty"]?.tensorValue?.layout.strides, [4, 4, 1])
    }

    func testSharedStoragesStaySharedOnWriteAndRead() throws {
        let base = Tensor((0..<12).map(Float.init), shape: [3, 4])
        let v: CheckpointValue = ["a": .tensor(base), "tT": .tensor(base.T.detach()), "row": .tensor(base[1].detach()),
                                  "col": .tensor(base.slice(axis: 1, 2..<3).squeezed(1).detach()),
                                  "other": .tensor(Tensor([9, 9]))]
        let bytes = try TorchFile.serialize(v)
        let back = try TorchFile.deserialize(bytes)
        let a = back["a"]!.tensorValue!, tT = back["tT"]!.tensorValue!, row = back["row"]!.tensorValue!, col = back["col"]!.tensorValue!
        XCTAssertTrue(a.storage === tT.storage && a.storage === row.storage && a.storage === col.storage)
        XCTAssertFalse(a.storage === back["other"]!.tensorValue!.storage)
        XCTAssertEqual(tT.layout.strides, [1, 4])
        XCTAssertEqual(row.layout.offset, 4)
        XCTAssertEqual(col.layout, Layout(shape: [3], strides: [4], offset: 2))
        XCTAssertEqual(col.toArray(), [2, 6, 10])
        // Two storages: the shared one (12 floats) and `other`.
        let names = try bytes.withUnsafeBytes { try ZipReader(bytes: $0, file: "m").entries.map(\.name) }
        XCTAssertEqual(names.filter { $0.contains("/data/") }.count, 2)
    }

    func testLoneViewIsWrittenCompactly() throws {
        let base = Tensor((0..<12).map(Float.init), shape: [3, 4])
        let v: CheckpointValue = ["col": .tensor(base.slice(axis: 1, 1..<2).detach())]
        let back = try TorchFile.deserialize(try TorchFile.serialize(v))
        let col = try XCTUnwrap(back["col"]?.tensorValue)
        XCTAssertEqual(col.shape, [3, 1])
        XCTAssertEqual(col.toArray(), [1, 5, 9])
        XCTAssertEqual(col.storage.count, 3)
        XCTAssertEqual(col.layout.offset, 0)
    }

    func testBigEndianArchiveIsSwapped() throws {
        var p = PickleBuilder()
        p.op(0x7d); p.string("x"); p.global("torch._utils", "_rebuild_tensor_v2"); p.op(0x28, 0x28)
        p.string("storage"); p.global("torch", "IntStorage"); p.string("0"); p.string("cpu"); p.int(2); p.op(0x74, 0x51)
        p.int(0); p.int(2); p.op(0x85); p.int(1); p.op(0x85); p.op(0x89)
        p.global("collections", "OrderedDict"); p.op(0x29, 0x52, 0x74, 0x52, 0x73); p.stop()
        var z = ZipWriter(prefix: "be", sink: MemorySink())
        try z.add("data.pkl", p.bytes)
        try z.add("byteorder", Array("big".utf8))
        try z.add("data/0", [0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe])
        try z.add("version", Array("3\n".utf8))
        try z.finish()
        let t = try XCTUnwrap(TorchFile.deserialize(z.sink.bytes)["x"]?.tensorValue)
        XCTAssertEqual(int64s(t), [258, -2])
    }

    func testDeviceLocationsLoadOnCPU() throws {
        var p = PickleBuilder()
        p.global("torch._utils", "_rebuild_tensor_v2"); p.op(0x28, 0x28)
        p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cuda:0"); p.int(1); p.op(0x74, 0x51)
        p.int(0); p.op(0x29, 0x29, 0x89); p.global("collections", "OrderedDict"); p.op(0x29, 0x52, 0x74, 0x52); p.stop()
        let file = try p.archive(storages: [[0, 0, 0x80, 0x3f]])
        let t = try XCTUnwrap(TorchFile.deserialize(file, device: .cpu).tensorValue)
        XCTAssertEqual(t.toArray(), [1])
    }

    func testBadVersionAndByteorderRecords() throws {
        for (version, ok) in [("3\n", true), ("3", true), ("10\n", true), ("0\n", false), ("11\n", false), ("x\n", false)] {
            var z = ZipWriter(prefix: "v", sink: MemorySink())
            try z.add("data.pkl", [0x80, 0x02, 0x4e, 0x2e])
            try z.add("version", Array(version.utf8))
            try z.finish()
            if ok {
                XCTAssertTrue(try TorchFile.deserialize(z.sink.bytes).isNone, version)
            } else {
                assertTorchFileError(try TorchFile.deserialize(z.sink.bytes, source: "v.pt")) {
                    if case .invalidRecord("v.pt", "v/version", _) = $0 { return true }
                    return false
                }
            }
        }
        var z = ZipWriter(prefix: "v", sink: MemorySink())
        try z.add("data.pkl", [0x80, 0x02, 0x4e, 0x2e])
        try z.add("byteorder", Array("middle".utf8))
        try z.add("version", Array("3\n".utf8))
        try z.finish()
        assertTorchFileError(try TorchFile.deserialize(z.sink.bytes, source: "v.pt")) {
            if case .invalidRecord("v.pt", "v/byteorder", _) = $0 { return true }
            return false
        }
        var noVersion = ZipWriter(prefix: "v", sink: MemorySink())
        try noVersion.add("data.pkl", [0x80, 0x02, 0x4e, 0x2e])
        try noVersion.finish()
        assertTorchFileError(try TorchFile.deserialize(noVersion.sink.bytes, source: "v.pt")) { $0 == .missingRecord(file: "v.pt", record: "v/version") }
    }

    func testStorageRecordChecks() throws {
        func tensorPickle(numel: UInt8, size: UInt8, offset: UInt8 = 0) -> PickleBuilder {
            var p = PickleBuilder()
            p.global("torch._utils", "_rebuild_tensor_v2"); p.op(0x28, 0x28)
            p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(numel); p.op(0x74, 0x51)
            p.int(offset); p.int(size); p.op(0x85); p.int(1); p.op(0x85); p.op(0x89)
            p.global("collections", "OrderedDict"); p.op(0x29, 0x52, 0x74, 0x52); p.stop()
            return p
        }
        // Record shorter than numel × 4.
        assertTorchFileError(try TorchFile.deserialize(try tensorPickle(numel: 4, size: 4).archive(storages: [[0, 0, 0, 0]]), source: "s.pt")) {
            if case .storageSizeMismatch("s.pt", "archive/data/0", 16, 4, _) = $0 { return true }
            return false
        }
        // Missing storage record.
        assertTorchFileError(try TorchFile.deserialize(try tensorPickle(numel: 1, size: 1).archive(), source: "s.pt")) {
            $0 == .missingRecord(file: "s.pt", record: "archive/data/0")
        }
        // View past the end of its storage.
        assertTorchFileError(try TorchFile.deserialize(try tensorPickle(numel: 2, size: 2, offset: 1).archive(storages: [[UInt8](repeating: 0, count: 8)]), source: "s.pt")) {
            if case .viewOutOfBounds("s.pt", _, _, _) = $0 { return true }
            return false
        }
    }

    // MARK: - Helpers

    private func serializationID(of archive: [UInt8]) throws -> String {
        try archive.withUnsafeBytes { raw in
            let zip = try ZipReader(bytes: raw, file: "m")
            let e = try XCTUnwrap(zip.entries.first { $0.name.hasSuffix("/.data/serialization_id") })
            return String(decoding: try zip.contents(of: e), as: UTF8.self)
        }
    }
}
