import TensorCore

/// Encodes a `CheckpointValue` as the protocol-2 pickle `torch.save` writes (spec §4.3, §4.4, §5).
///
/// Only weights-only opcodes and globals are emitted (`collections.OrderedDict`,
/// `torch._utils._rebuild_tensor_v2`, `torch.<X>Storage`, `_codecs.encode` for bytes). The memo
/// follows the spec's canonical policy, which reproduces torch's bytes for state dicts, optimizer
/// state dicts and checkpoints built from them. Tensors that share one `Storage` object are written
/// as views of one storage record (whole storage, their own offsets and strides), like torch does
/// for views; a tensor alone on its storage is written as one dense storage of exactly its elements
/// (a copy when it is a strided or partial view).
struct PickleWriter {
    /// One storage record to write as `data/<index>`.
    struct StorageRecord {
        let storage: Storage
    }

    let file: String
    let maxDepth: Int
    /// The pickle so far.
    private(set) var out: [UInt8] = [0x80, 0x02]
    /// Storage records in key order.
    private(set) var storages: [StorageRecord] = []

    private var nextMemo = 0
    private var globals: [String: Int] = [:]
    private var pidStrings: [String: Int] = [:]
    private var strings: [String: Int] = [:]
    private var tuples: [[ScalarKey]: Int] = [:]
    private var storageKeys: [ObjectIdentifier: Int] = [:]
    private let shared: Set<ObjectIdentifier>

    /// A writer for `root`; tensors of `root` that share a storage object keep sharing it.
    init(root: CheckpointValue, file: String, maxDepth: Int = 1000) {
        self.file = file
        self.maxDepth = maxDepth
        var uses: [ObjectIdentifier: Int] = [:]
        var work: [CheckpointValue] = [root]
        while let v = work.popLast() {
            switch v {
            case .tensor(let t): uses[ObjectIdentifier(t.storage), default: 0] += 1
            case .list(let a), .tuple(let a): work.append(contentsOf: a)
            case .dict(let e): for p in e { work.append(p.key); work.append(p.value) }
            case .orderedDict(let e, let attrs):
                for p in e { work.append(p.key); work.append(p.value) }
                for p in attrs { work.append(p.key); work.append(p.value) }
            default: break
            }
        }
        shared = Set(uses.filter { $0.value > 1 }.keys)
    }

    /// Writes `root` and STOP; the result is in `out`, the storages in `storages`.
    mutating func finish(_ root: CheckpointValue) throws {
        try write(root, key: "", depth: 0)
        out.append(0x2e)
    }

    // MARK: - Primitives

    private mutating func put() {
        if nextMemo < 256 { out.append(0x71); out.append(UInt8(nextMemo)) } else { out.append(0x72); out.appendLittleEndian(UInt32(nextMemo)) }
        nextMemo += 1
    }

    private mutating func get(_ i: Int) {
        if i < 256 { out.append(0x68); out.append(UInt8(i)) } else { out.append(0x6a); out.appendLittleEndian(UInt32(i)) }
    }

    private mutating func global(_ module: String, _ name: String) {
        let k = module + "\n" + name
        if let i = globals[k] { get(i); return }
        out.append(0x63)
        out.append(contentsOf: Array(k.utf8))
        out.append(0x0a)
        globals[k] = nextMemo
        put()
    }

    private mutating func rawString(_ s: String) {
        let u = Array(s.utf8)
        out.append(0x58)
        out.appendLittleEndian(UInt32(u.count))
        out.append(contentsOf: u)
    }

    /// A string in the data pool (dict keys, values, list items).
    private mutating func string(_ s: String) {
        if let i = strings[s] { get(i); return }
        rawString(s)
        strings[s] = nextMemo
        put()
    }

    /// A string inside a persistent id (its own pool, as torch's are distinct objects).
    private mutating func pidString(_ s: String) {
        if let i = pidStrings[s] { get(i); return }
        rawString(s)
        pidStrings[s] = nextMemo
        put()
    }

    private mutating func int(_ v: Int64) {
        if v >= 0 && v <= 0xff {
            out.append(0x4b); out.append(UInt8(v))
        } else if v >= 0 && v <= 0xffff {
            out.append(0x4d); out.appendLittleEndian(UInt16(v))
        } else if v >= Int64(Int32.min) && v <= Int64(Int32.max) {
            out.append(0x4a); out.appendLittleEndian(Int32(v))
        } else {
            // Minimal two's-complement little-endian bytes, as Python's encode_long.
            var b: [UInt8] = []
            b.appendLittleEndian(v)
            while b.count > 1 {
                let last = b[b.count - 1], prev = b[b.count - 2]
                if (last == 0 && prev & 0x80 == 0) || (last == 0xff && prev & 0x80 != 0) { b.removeLast() } else { break }
            }
            out.append(0x8a); out.append(UInt8(b.count)); out.append(contentsOf: b)
        }
    }

    private mutating func double(_ d: Double) {
        out.append(0x47)
        withUnsafeBytes(of: d.bitPattern.bigEndian) { out.append(contentsOf: $0) }
    }

    /// A tuple of ints written fresh (tensor sizes and strides).
    private mutating func intTuple(_ xs: [Int]) {
        if xs.isEmpty { out.append(0x29); return }
        if xs.count > 3 { out.append(0x28) }
        for x in xs { int(Int64(x)) }
        out.append(xs.count > 3 ? 0x74 : 0x84 + UInt8(xs.count))
        put()
    }

    // MARK: - Values

    private mutating func write(_ v: CheckpointValue, key: String, depth: Int) throws {
        guard depth <= maxDepth else {
            throw TorchFileError.unsupportedValue(file: file, key: key, reason: "nesting deeper than \(maxDepth) levels")
        }
        switch v {
        case .none: out.append(0x4e)
        case .bool(let b): out.append(b ? 0x88 : 0x89)
        case .int(let i): int(i)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .bytes(let b):
            global("_codecs", "encode")
            // The decoded text is a fresh object in Python, so it is never shared through the memo.
            rawString(String(String.UnicodeScalarView(b.map { Unicode.Scalar($0) })))
            put()
            string("latin1")
            out.append(0x86)
            put()
            out.append(0x52)
            put()
        case .tensor(let t): try tensor(t, key: key)
        case .tuple(let items):
            if items.isEmpty { out.append(0x29); return }
            let scalarKey = items.allSatisfy { ScalarKey($0) != nil } ? items.map { ScalarKey($0)! } : nil
            if let k = scalarKey, let i = tuples[k] { get(i); return }
            if items.count > 3 { out.append(0x28) }
            for x in items { try write(x, key: key, depth: depth + 1) }
            out.append(items.count > 3 ? 0x74 : 0x84 + UInt8(items.count))
            if let k = scalarKey { tuples[k] = nextMemo }
            put()
        case .list(let items):
            out.append(0x5d)
            put()
            var start = 0
            while start < items.count {
                let end = min(start + 1000, items.count)
                if end - start > 1 { out.append(0x28) }
                for i in start..<end { try write(items[i], key: key, depth: depth + 1) }
                out.append(end - start > 1 ? 0x65 : 0x61)
                start = end
            }
        case .dict(let entries):
            out.append(0x7d)
            put()
            try items(entries, key: key, depth: depth)
        case .orderedDict(let entries, let attributes):
            global("collections", "OrderedDict")
            out.append(0x29)
            out.append(0x52)
            put()
            try items(entries, key: key, depth: depth)
            if !attributes.isEmpty {
                out.append(0x7d)
                put()
                try items(attributes, key: key, depth: depth)
                out.append(0x62)
            }
        }
    }

    private mutating func items(_ entries: CheckpointValue.Entries, key: String, depth: Int) throws {
        var start = 0
        while start < entries.count {
            let end = min(start + 1000, entries.count)
            if end - start > 1 { out.append(0x28) }
            for i in start..<end {
                let (k, v) = entries[i]
                let path = key.isEmpty ? PickleWriter.describe(k) : key + "." + PickleWriter.describe(k)
                guard PickleWriter.isHashable(k) else {
                    throw TorchFileError.unsupportedValue(file: file, key: path, reason: "a \(k.kindName) cannot be a dict key")
                }
                try write(k, key: path, depth: depth + 1)
                try write(v, key: path, depth: depth + 1)
            }
            out.append(end - start > 1 ? 0x75 : 0x73)
            start = end
        }
    }

    private static func describe(_ k: CheckpointValue) -> String {
        switch k {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: return "<\(k.kindName)>"
        }
    }

    private static func isHashable(_ k: CheckpointValue) -> Bool {
        switch k {
        case .none, .bool, .int, .double, .string, .bytes: return true
        case .tuple(let items): return items.allSatisfy(isHashable)
        default: return false
        }
    }

    private mutating func tensor(_ t: Tensor, key: String) throws {
        let id = ObjectIdentifier(t.storage)
        let storage: Storage
        let layout: Layout
        if shared.contains(id) {
            storage = t.storage
            layout = t.layout
            guard layout.strides.allSatisfy({ $0 >= 0 }) else {
                throw TorchFileError.unsupportedValue(file: file, key: key, reason: "negative strides \(layout.strides)")
            }
        } else {
            let exact = t.isContiguous && t.layout.offset == 0 && t.count == t.storage.count
            storage = exact ? t.storage : t.contiguousCopy().storage
            layout = Layout(shape: t.shape, strides: PickleWriter.torchContiguousStrides(t.shape), offset: 0)
        }
        let index: Int
        if let i = storageKeys[ObjectIdentifier(storage)] {
            index = i
        } else {
            index = storages.count
            storageKeys[ObjectIdentifier(storage)] = index
            storages.append(StorageRecord(storage: storage))
        }
        global("torch._utils", "_rebuild_tensor_v2")
        out.append(0x28)
        out.append(0x28)
        pidString("storage")
        global("torch", TorchDType(storage.dtype).storageClassName!)
        pidString(String(index))
        pidString("cpu")
        int(Int64(storage.count))
        out.append(0x74)
        put()
        out.append(0x51)
        int(Int64(layout.offset))
        intTuple(layout.shape)
        intTuple(layout.strides)
        out.append(0x89)
        global("collections", "OrderedDict")
        out.append(0x29)
        out.append(0x52)
        put()
        out.append(0x74)
        put()
        out.append(0x52)
        put()
    }

    /// Torch's contiguous strides: Π of the later sizes, each counted as at least 1.
    static func torchContiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc *= max(shape[i], 1)
        }
        return strides
    }
}

/// A tuple element that makes a data tuple shareable by value (type and bits distinguished).
private enum ScalarKey: Hashable {
    case none, bool(Bool), int(Int64), double(UInt64), string(String)

    init?(_ v: CheckpointValue) {
        switch v {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d.bitPattern)
        case .string(let s): self = .string(s)
        default: return nil
        }
    }
}
