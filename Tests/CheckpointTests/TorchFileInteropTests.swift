import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
import CairnTestSupport
@testable import Checkpoint

/// Interop with the real `torch.save` / `torch.load(weights_only=True)` (skipped without torch):
/// files torch writes load with identical values, views and dtypes; files Cairn writes load in torch
/// with identical values; and Cairn reproduces torch.save's bytes given the same serialization id.
final class TorchFileInteropTests: XCTestCase {
    /// Python twin of `ValueDescriber`: the same tags, values and storage groups.
    static let describePy = """
    import collections, struct, torch

    def bits(x):
        return format(struct.unpack('<Q', struct.pack('<d', x))[0], 'x')

    def dtype_name(t):
        widened = {torch.uint16: 'int32', torch.uint32: 'int64'}
        return widened.get(t.dtype, str(t.dtype).replace('torch.', ''))

    class D:
        def __init__(self, layout):
            self.layout = layout
            self.groups = {}

        def d(self, v):
            if v is None: return {'none': True}
            if isinstance(v, bool): return {'bool': v}
            if isinstance(v, int): return {'int': str(v)}
            if isinstance(v, float): return {'float': bits(v)}
            if isinstance(v, str): return {'str': v}
            if isinstance(v, bytes): return {'bytes': list(v)}
            if isinstance(v, torch.Tensor):
                t = v.detach()
                r = {'tensor': dtype_name(t), 'shape': list(t.shape)}
                if t.dtype.is_floating_point:
                    r['values'] = [bits(float(x)) for x in t.double().flatten().tolist()]
                else:
                    r['values'] = [str(int(x)) for x in t.to(torch.int64).flatten().tolist()]
                if self.layout != 'none':
                    key = t.untyped_storage()._cdata
                    self.groups.setdefault(key, len(self.groups))
                    r['sid'] = self.groups[key]
                if self.layout == 'full':
                    r['offset'] = t.storage_offset()
                    r['stride'] = list(t.stride())
                return r
            if isinstance(v, list): return {'list': [self.d(x) for x in v]}
            if isinstance(v, tuple): return {'tuple': [self.d(x) for x in v]}
            if isinstance(v, dict):
                return {'dict': [[self.d(k), self.d(x)] for k, x in v.items()],
                        'ordered': isinstance(v, collections.OrderedDict)}
            raise TypeError(type(v))
    """

    /// Saves a set of objects with torch.save and records their descriptions (layout: full).
    static let generatePy = """
    import sys, json, collections, torch, torch.nn as nn
    import torch.serialization
    from describe import D
    out = sys.argv[1]
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(3):
        opt.zero_grad()
        net(torch.randn(5, 3)).pow(2).mean().backward()
        opt.step()
    sgd = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(torch.randn(5, 3)).pow(2).mean().backward()
    sgd.step()
    sd = net.state_dict()
    base = torch.arange(24.).reshape(4, 6)
    objs = collections.OrderedDict()
    objs['bn_state'] = sd
    objs['adam'] = opt.state_dict()
    objs['sgd'] = sgd.state_dict()
    objs['views'] = {'base': base, 't': base.t(), 'row': base[2], 'col': base[:, 3], 'block': base[1:3, 2:5],
                     'bcast': base[0:1].expand(3, 6), 'alone': torch.arange(10.)[2:7]}
    objs['views_shared'] = {'base': base, 't': base.t(), 'row': base[2], 'col': base[:, 3], 'block': base[1:3, 2:5]}
    dt = {}
    for name, d in [('f64', torch.float64), ('f32', torch.float32), ('f16', torch.float16), ('bf16', torch.bfloat16)]:
        dt[name] = torch.randn(2, 3).to(d)
    dt['i64'] = torch.tensor([-1, 2**40, -2**62]); dt['i32'] = torch.tensor([-1, 2**30], dtype=torch.int32)
    dt['i16'] = torch.tensor([-1, 300], dtype=torch.int16); dt['i8'] = torch.tensor([-128, 127], dtype=torch.int8)
    dt['u8'] = torch.tensor([255, 7], dtype=torch.uint8); dt['bool'] = torch.tensor([True, False, True])
    dt['u16'] = torch.tensor([65535, 1], dtype=torch.uint16); dt['u32'] = torch.tensor([2**32 - 1, 5], dtype=torch.uint32)
    dt['scalar'] = torch.tensor(3.5); dt['empty'] = torch.zeros(0, 3); dt['noncontig'] = torch.arange(6).reshape(2, 3).t()
    objs['dtypes'] = dt
    objs['nested'] = {'epoch': 5, 'model_state_dict': sd, 'optimizer_state_dict': opt.state_dict(), 'loss': 0.25,
                      'loss_t': torch.tensor(0.5), 'notes': 'x', 'hist': [1.0, 2.5],
                      'cfg': {'lr': 1e-3, 'betas': (0.5, 0.75), 'layers': [3, 4, 2], 'none': None, 'big': 2**40, 'neg': -7}}
    objs['lightning'] = {'epoch': 2, 'global_step': 100, 'pytorch-lightning_version': '2.1.0',
                         'state_dict': collections.OrderedDict(('model.' + k, v) for k, v in sd.items()),
                         'loops': {'fit_loop': {'state_dict': {}, 'epoch_progress': {'total': {'ready': 3}}}},
                         'callbacks': {}, 'optimizer_states': [opt.state_dict()],
                         'lr_schedulers': [{'step_size': 10, 'gamma': 0.1, 'base_lrs': [0.001], 'last_epoch': 2,
                                            '_step_count': 3, '_get_lr_called_within_step': False, '_last_lr': [0.001]}],
                         'hparams_name': 'kwargs', 'hyper_parameters': {'lr': 0.001}}
    objs['dataparallel'] = nn.DataParallel(net).state_dict()
    expected = {}
    for name, obj in objs.items():
        torch.save(obj, f'{out}/{name}.pt')
        expected[name] = D('full').d(obj)
    # A storage tagged as saved from cuda:0 (torch reads it back with map_location='cpu').
    cuda_obj = {'w': torch.ones(3), 'i': torch.arange(4)}
    original = torch.serialization.location_tag
    torch.serialization.location_tag = lambda storage: 'cuda:0'
    try:
        torch.save(cuda_obj, f'{out}/cuda.pt')
    finally:
        torch.serialization.location_tag = original
    assert b'cuda:0' in open(f'{out}/cuda.pt', 'rb').read()
    expected['cuda'] = D('full').d(cuda_obj)
    json.dump(expected, open(f'{out}/expected.json', 'w'))
    """

    /// Loads every file named on the command line with weights_only=True and describes it (layout: sharing).
    static let loadPy = """
    import sys, json, torch
    from describe import D
    out = {}
    for path in sys.argv[1:]:
        out[path] = D('sharing').d(torch.load(path, weights_only=True))
    print(json.dumps(out))
    """

    /// Shared by the tests: torch is slow to import, so the files are generated once per class.
    nonisolated(unsafe) private static var shared: (dir: URL, expected: [String: Any])?
    nonisolated(unsafe) private static var setupFailure: String?

    override class func setUp() {
        super.setUp()
        guard torchIsAvailable else { return }
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("cairn-pth-interop-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try describePy.write(to: dir.appendingPathComponent("describe.py"), atomically: true, encoding: .utf8)
            let r = try runPython(generatePy, arguments: [dir.path], in: dir)
            guard r.status == 0 else { setupFailure = "generating torch files failed:\n\(r.output)"; return }
            let data = try Data(contentsOf: dir.appendingPathComponent("expected.json"))
            shared = (dir, try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:])
        } catch {
            setupFailure = "\(error)"
        }
    }

    override class func tearDown() {
        if let dir = shared?.dir { try? FileManager.default.removeItem(at: dir) }
        shared = nil
        super.tearDown()
    }

    private var dir: URL!

    override func setUpWithError() throws {
        guard torchIsAvailable else { throw XCTSkip("python3 with torch is not available") }
        if let f = Self.setupFailure { XCTFail(f) }
        dir = try XCTUnwrap(Self.shared?.dir)
    }

    private func python(_ script: String, _ arguments: [String]) throws -> String {
        let r = try runPython(script, arguments: arguments, in: dir)
        guard r.status == 0 else {
            XCTFail("python failed (\(r.status)):\n\(r.output)")
            throw XCTSkip("python failed")
        }
        return r.output
    }

    private func generate() throws -> [String: Any] {
        try XCTUnwrap(Self.shared?.expected)
    }

    // MARK: - torch → Cairn

    func testFilesTorchWritesLoadWithIdenticalValuesViewsAndDTypes() throws {
        let expected = try generate()
        XCTAssertEqual(expected.count, 10)
        for (name, desc) in expected {
            let v = try TorchFile.read(contentsOf: dir.appendingPathComponent("\(name).pt"))
            assertSameText(try describeJSON(v, layout: .full), try canonicalJSON(desc), name)
        }
    }

    func testTorchLayoutsConvertToCairnTypes() throws {
        _ = try generate()
        let nested = try SingleFileCheckpoint.read(contentsOf: dir.appendingPathComponent("nested.pt"))
        XCTAssertEqual(nested.layout, .tutorial)
        XCTAssertEqual(nested.epoch, 5)
        XCTAssertEqual(nested.loss, 0.25)
        XCTAssertEqual(nested.model.keys, ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                           "1.num_batches_tracked", "3.weight", "3.bias"])
        XCTAssertEqual(nested.optimizer?.state[0]?["step"]?.toArray(), [3])
        let lightning = try SingleFileCheckpoint.read(contentsOf: dir.appendingPathComponent("lightning.pt"))
        XCTAssertEqual(lightning.layout, .lightning)
        XCTAssertEqual(lightning.strippedPrefix, "model.")
        XCTAssertEqual(lightning.model.keys, nested.model.keys)
        XCTAssertEqual(lightning.globalStep, 100)
        XCTAssertNotNil(lightning.optimizer)
        let dp = try SingleFileCheckpoint.read(contentsOf: dir.appendingPathComponent("dataparallel.pt"))
        XCTAssertEqual(dp.strippedPrefix, "module.")
        XCTAssertEqual(dp.model.keys, nested.model.keys)
        let sgd = try TorchCheckpointLayout.optimizerStateDict(from: TorchFile.read(contentsOf: dir.appendingPathComponent("sgd.pt")))
        XCTAssertEqual(sgd.state[0]?.keys, ["momentum_buffer"])
        XCTAssertEqual(sgd.paramGroups[0]["momentum"], .double(0.9))
    }

    /// Re-serializing what torch wrote gives torch's bytes (same serialization id).
    ///
    /// torch memoizes by object identity, Cairn by value (spec §4.4): a user tuple equal to Adam's
    /// `betas` but built separately would be shared by Cairn and written twice by torch, so the
    /// generated checkpoint's own `cfg` uses different values.
    func testByteIdenticalToTorchSave() throws {
        _ = try generate()
        for name in ["bn_state", "adam", "sgd", "views_shared", "nested", "lightning", "dataparallel"] {
            let url = dir.appendingPathComponent("\(name).pt")
            let original = [UInt8](try Data(contentsOf: url))
            let id = try original.withUnsafeBytes { raw -> String in
                let z = try ZipReader(bytes: raw, file: name)
                return String(decoding: try z.contents(of: z.entry(named: "\(name)/.data/serialization_id")!), as: UTF8.self)
            }
            let again = try TorchFile.serialize(TorchFile.read(contentsOf: url), archiveName: name, serializationID: id)
            XCTAssertTrue(again == original, "\(name).pt: Cairn's bytes differ from torch.save's (\(again.count) vs \(original.count) bytes)")
        }
    }

    // MARK: - Cairn → torch

    func testFilesCairnWritesLoadInTorchWeightsOnly() throws {
        let expected = try generate()
        var written: [String: CheckpointValue] = [:]
        for name in expected.keys {
            let v = try TorchFile.read(contentsOf: dir.appendingPathComponent("\(name).pt"))
            written["cairn_\(name).pt"] = v
        }
        let ints: [CheckpointValue] = [0, 255, 256, 65535, 65536, -1, .int(1 << 31), .int(-(1 << 31) - 1), .int(Int64.max), .int(Int64.min)]
        let floats: [CheckpointValue] = [0.001, -0.0, 1e300, .double(.infinity), .double(-.infinity)]
        let tuples: [CheckpointValue] = [.tuple([]), .tuple([1]), .tuple([1, 2]), .tuple([1, 2, 3]), .tuple([1, 2, 3, 4])]
        var values: CheckpointValue.Entries = []
        values.append((key: "ints", value: .list(ints)))
        values.append((key: "floats", value: .list(floats)))
        values.append((key: "text", value: "héllo ✓"))
        values.append((key: "bytes", value: .bytes([0, 1, 128, 255])))
        values.append((key: "empty bytes", value: .bytes([])))
        values.append((key: "tuples", value: .list(tuples)))
        values.append((key: 7, value: "int key"))
        values.append((key: .tuple([1, "a"]), value: "tuple key"))
        values.append((key: .none, value: true))
        values.append((key: "list", value: .list((0..<2100).map { .int(Int64($0)) })))
        values.append((key: "od", value: .orderedDict([(key: "a", value: 1)])))
        written["cairn_values.pt"] = .dict(values)
        var tensors: CheckpointValue.Entries = []
        for d in DType.allCases {
            tensors.append((key: .string(d.rawValue), value: .tensor(Tensor([1, 0, -2, 3.5, 100, 0.25], shape: [2, 3]).to(d))))
        }
        let base = Tensor((0..<12).map(Float.init), shape: [3, 4])
        tensors += [(key: "base", value: .tensor(base)), (key: "t", value: .tensor(base.T.detach())),
                    (key: "col", value: .tensor(base.slice(axis: 1, 2..<3).detach())),
                    (key: "lone view", value: .tensor(Tensor((0..<10).map(Float.init)).slice(axis: 0, 2..<7).detach())),
                    (key: "empty", value: .tensor(Tensor(zeros: [2, 0, 3]))), (key: "scalar", value: .tensor(Tensor(scalar: 2)))]
        written["cairn_tensors.pt"] = .dict(tensors)

        var paths: [String] = []
        for (name, v) in written {
            let url = dir.appendingPathComponent(name)
            try TorchFile.write(v, to: url, fsync: false)
            paths.append(url.path)
        }
        let output = try python(Self.loadPy, paths)
        let loaded = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        for (name, v) in written {
            let url = dir.appendingPathComponent(name)
            let desc = try XCTUnwrap(loaded[url.path], name)
            assertSameText(try canonicalJSON(desc), try describeJSON(v, layout: .sharing), name)
        }
    }

    func testCairnCheckpointLoadsIntoTorchModelAndOptimizer() throws {
        var rng = RandomGenerator(seed: 11)
        let model = Sequential(Linear(4, 3, rng: &rng), BatchNorm1d(3), ReLU(), Linear(3, 2, rng: &rng))
        let opt = Adam(model.namedParameters(), lr: 1e-2, weightDecay: 0.01)
        for s in 0..<3 {
            opt.zeroGrad()
            MSELoss()(model(testTensor([5, 4], seed: UInt64(s))), testTensor([5, 2], seed: UInt64(50 + s))).backward()
            opt.step()
        }
        let ckpt = SingleFileCheckpoint(model: model.stateDict(), optimizer: opt.stateDict(), epoch: 3, loss: 0.5,
                                        extra: [(key: "note", value: "from cairn")])
        let url = dir.appendingPathComponent("cairn_ckpt.pth")
        try ckpt.write(to: url, fsync: false)
        let script = """
        import sys, json, torch, torch.nn as nn
        from describe import D
        ck = torch.load(sys.argv[1], weights_only=True)
        net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
        net.load_state_dict(ck['model_state_dict'])
        opt = torch.optim.Adam(net.parameters(), lr=0.5)
        opt.load_state_dict(ck['optimizer_state_dict'])
        net(torch.randn(5, 4)).pow(2).mean().backward()
        after = {'model': D('none').d(ck['model_state_dict']), 'optimizer': D('none').d(ck['optimizer_state_dict']),
                 'epoch': ck['epoch'], 'loss': ck['loss'], 'note': ck['note'], 'lr': opt.param_groups[0]['lr']}
        opt.step()
        print(json.dumps(after))
        """
        let out = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try python(script, [url.path]).utf8)) as? [String: Any])
        XCTAssertEqual(out["epoch"] as? Int, 3)
        XCTAssertEqual(out["loss"] as? Double, 0.5)
        XCTAssertEqual(out["note"] as? String, "from cairn")
        XCTAssertEqual(out["lr"] as? Double, 0.01)   // the saved hyper-parameters replaced the new optimizer's
        assertSameText(try canonicalJSON(XCTUnwrap(out["model"])),
                       try describeJSON(TorchCheckpointLayout.value(from: model.stateDict()), layout: .none), "model")
        assertSameText(try canonicalJSON(XCTUnwrap(out["optimizer"])),
                       try describeJSON(TorchCheckpointLayout.value(from: opt.stateDict()), layout: .none), "optimizer")
    }
}
