import TensorCore

/// Interprets a protocol-2 `data.pkl` under the weights-only rules (spec §4, §8): a fixed opcode
/// table (`PickleOpcode`) and a fixed global allowlist (`PickleGlobal.allowlist`).
///
/// Nothing is ever imported or executed. GLOBAL only resolves names from the allowlist (anything
/// else is an error at that opcode, naming the global and byte offset), and REDUCE applies the
/// allowlisted constructors itself: `OrderedDict()`, tensor rebuilds (views into shared storages),
/// parameter unwrapping, `torch.Size`, `torch.device`, `_codecs.encode`. Stack size, memo size,
/// object count and nesting depth are bounded (`TorchFile.Limits`), the final conversion is
/// iterative (deep nesting cannot overflow the call stack) and rejects self-containing objects.
struct PickleReader {
    /// Loads the storage a tensor views: called with the reference, the element dtype and the
    /// pickle offset, it returns a Cairn storage of exactly the record's elements (shared per key).
    typealias StorageProvider = (StorageReference, TorchDType, Int) throws -> Storage

    let bytes: UnsafeRawBufferPointer
    let file: String
    let record: String
    let limits: TorchFile.Limits
    let storageProvider: StorageProvider

    private var pos = 0
    private var opStart = 0
    private var stack: [PickleObject] = []
    private var metastack: [[PickleObject]] = []
    private var memo: [UInt32: PickleObject] = [:]
    private var objects = 0
    /// Every container pushed, so `read` can break reference cycles (a list appended to itself
    /// through the memo) that would otherwise leak once the reader is gone.
    private var boxes: [PickleBox] = []

    init(bytes: UnsafeRawBufferPointer, file: String, record: String, limits: TorchFile.Limits,
         storageProvider: @escaping StorageProvider) {
        self.bytes = bytes
        self.file = file
        self.record = record
        self.limits = limits
        self.storageProvider = storageProvider
    }

    // MARK: - Errors

    private func invalid(_ reason: String) -> TorchFileError {
        .invalidPickle(file: file, record: record, offset: opStart, reason: reason)
    }

    private func limit(_ name: String, _ value: Int) -> TorchFileError {
        .limitExceeded(file: file, record: record, limit: name, value: value, offset: opStart)
    }

    // MARK: - Operands

    private mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= bytes.count - pos else {
            throw invalid("truncated: operand needs \(n) bytes but only \(bytes.count - pos) remain")
        }
        defer { pos += n }
        return UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)])
    }

    private mutating func u8() throws -> UInt8 { try take(1)[0] }

    private mutating func le<T: FixedWidthInteger>(_: T.Type) throws -> T {
        T(littleEndian: try take(MemoryLayout<T>.size).loadUnaligned(as: T.self))
    }

    private mutating func line() throws -> String {
        let start = pos
        var end = pos
        while end < bytes.count, bytes[end] != 0x0a {
            end += 1
            if end - start > 1024 { throw invalid("GLOBAL name longer than 1024 bytes") }
        }
        guard end < bytes.count else { throw invalid("truncated GLOBAL operand (no newline)") }
        pos = end + 1
        guard let s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<end]).bindMemory(to: UInt8.self),
                             as: UTF8.self) else { throw invalid("GLOBAL name is not valid UTF-8") }
        return s
    }

    private mutating func utf8String(_ n: Int) throws -> String {
        let raw = try take(n)
        guard let s = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw invalid("string is not valid UTF-8")
        }
        return s
    }

    // MARK: - Stack

    private mutating func push(_ o: PickleObject) throws {
        objects += 1
        if objects > limits.maxObjects { throw limit("object count", limits.maxObjects) }
        if stack.count >= limits.maxStackDepth { throw limit("stack size", limits.maxStackDepth) }
        stack.append(o)
        if case .box(let box) = o { boxes.append(box) }
    }

    private mutating func pop() throws -> PickleObject {
        guard let o = stack.popLast() else { throw invalid("stack underflow") }
        return o
    }

    private mutating func popMark() throws -> [PickleObject] {
        guard let saved = metastack.popLast() else { throw invalid("no MARK for an opcode that needs one") }
        let items = stack
        stack = saved
        return items
    }

    private func top() throws -> PickleObject {
        guard let o = stack.last else { throw invalid("stack underflow") }
        return o
    }

    private mutating func makeTuple(_ items: [PickleObject]) throws -> PickleObject {
        let box = PickleBox(.tuple, items: items)
        box.depth = 1 + (items.map(\.depth).max() ?? 0)
        if box.depth > limits.maxDepth { throw limit("nesting depth", limits.maxDepth) }
        return .box(box)
    }

    private func noteChild(_ child: PickleObject, of box: PickleBox) throws {
        let d = child.depth + 1
        if d > limits.maxDepth { throw limit("nesting depth", limits.maxDepth) }
        if d > box.depth { box.depth = d }
    }

    private func setItem(_ box: PickleBox, _ key: PickleObject, _ value: PickleObject) throws {
        guard let k = PickleKey(key) else { throw invalid("unhashable or unsupported dict key of type \(key.kindName)") }
        try noteChild(key, of: box)
        try noteChild(value, of: box)
        if let i = box.keyIndex[k] {
            box.values[i] = value
        } else {
            box.keyIndex[k] = box.keys.count
            box.keys.append(key)
            box.values.append(value)
        }
    }

    // MARK: - Machine

    /// Runs the pickle to STOP and returns the converted result.
    mutating func read() throws -> CheckpointValue {
        // The result holds no boxes, so emptying them all afterwards is safe on success and failure.
        defer { for box in boxes { box.clear() } }
        guard bytes.count >= 2, bytes[0] == PickleOpcode.proto.rawValue else {
            throw invalid("data.pkl does not start with a PROTO opcode")
        }
        while true {
            opStart = pos
            guard pos < bytes.count else { throw invalid("truncated: pickle ends without STOP") }
            let byte = try u8()
            guard let op = PickleOpcode(rawValue: byte) else {
                throw TorchFileError.unsupportedOpcode(file: file, record: record, opcode: byte,
                                                      name: PickleOpcode.name(of: byte), offset: opStart)
            }
            switch op {
            case .proto:
                let v = try u8()
                guard v == 2 else { throw invalid("pickle protocol \(v); torch.save writes protocol 2") }
            case .stop:
                let result = try pop()
                return try convert(result)
            case .global:
                let module = try line(), name = try line()
                let full = PickleGlobal.canonicalModule(module) + "." + name
                guard let g = PickleGlobal.allowlist[full] else {
                    if let reason = PickleGlobal.unsupported[full] {
                        throw TorchFileError.unsupportedGlobal(file: file, record: record, global: full, reason: reason, offset: opStart)
                    }
                    throw TorchFileError.disallowedGlobal(file: file, record: record, global: full, offset: opStart)
                }
                try push(.global(g, full))
            case .binput: try put(UInt32(try u8()))
            case .longBinput: try put(try le(UInt32.self))
            case .binget: try get(UInt32(try u8()))
            case .longBinget: try get(try le(UInt32.self))
            case .mark:
                if metastack.count >= limits.maxDepth { throw limit("nesting depth", limits.maxDepth) }
                metastack.append(stack)
                stack = []
            case .emptyTuple: try push(try makeTuple([]))
            case .tuple: try push(try makeTuple(try popMark()))
            case .tuple1, .tuple2, .tuple3:
                let n = Int(byte - PickleOpcode.tuple1.rawValue) + 1
                guard stack.count >= n else { throw invalid("stack underflow") }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                try push(try makeTuple(items))
            case .emptyList: try push(.box(PickleBox(.list)))
            case .emptySet: try push(.box(PickleBox(.set)))
            case .emptyDict: try push(.box(PickleBox(.dict)))
            case .append:
                let x = try pop()
                try append([x])
            case .appends:
                try append(try popMark())
            case .setitem:
                let v = try pop(), k = try pop()
                guard case .box(let d) = try top(), d.isDict else { throw invalid("SETITEM target is \(try top().kindName), not a dict") }
                try setItem(d, k, v)
            case .setitems:
                let items = try popMark()
                guard items.count % 2 == 0 else { throw invalid("SETITEMS with an odd number of items") }
                guard case .box(let d) = try top(), d.isDict else { throw invalid("SETITEMS target is \(try top().kindName), not a dict") }
                var i = 0
                while i < items.count { try setItem(d, items[i], items[i + 1]); i += 2 }
            case .reduce:
                let args = try pop(), callable = try pop()
                guard case .global(let g, let name) = callable else {
                    throw invalid("REDUCE of \(callable.kindName), which is not an allowlisted callable")
                }
                guard case .box(let a) = args, a.kind == .tuple else { throw invalid("REDUCE arguments for '\(name)' are not a tuple") }
                try push(try apply(g, name: name, args: a.items))
            case .build:
                let state = try pop()
                guard case .box(let target) = try top(), target.kind == .orderedDict else {
                    throw invalid("BUILD on \(try top().kindName); only an OrderedDict may carry attributes")
                }
                guard case .box(let s) = state, s.kind == .dict else { throw invalid("BUILD state is \(state.kindName), not a dict") }
                try noteChild(state, of: target)
                target.attributes = s
            case .binpersid:
                try push(try persistentLoad(try pop()))
            case .binunicode:
                let n = try le(UInt32.self)
                try push(.scalar(.string(try utf8String(Int(n)))))
            case .shortBinstring:
                let n = try u8()
                try push(.scalar(.string(try utf8String(Int(n)))))
            case .binint1: try push(.scalar(.int(Int64(try u8()))))
            case .binint2: try push(.scalar(.int(Int64(try le(UInt16.self)))))
            case .binint: try push(.scalar(.int(Int64(try le(Int32.self)))))
            case .long1: try push(.scalar(.int(try long1())))
            case .binfloat:
                let bits = UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self))
                try push(.scalar(.double(Double(bitPattern: bits))))
            case .none: try push(.scalar(.none))
            case .newTrue: try push(.scalar(.bool(true)))
            case .newFalse: try push(.scalar(.bool(false)))
            }
        }
    }

    private mutating func put(_ i: UInt32) throws {
        let o = try top()
        if memo[i] == nil && memo.count >= limits.maxMemoEntries { throw limit("memo size", limits.maxMemoEntries) }
        memo[i] = o
    }

    private mutating func get(_ i: UInt32) throws {
        guard let o = memo[i] else { throw invalid("BINGET of memo index \(i), which was never set") }
        try push(o)
    }

    private mutating func append(_ xs: [PickleObject]) throws {
        guard case .box(let l) = try top(), l.kind == .list else {
            throw invalid("APPEND target is \(try top().kindName), not a list")
        }
        for x in xs { try noteChild(x, of: l) }
        l.items.append(contentsOf: xs)
    }

    private mutating func long1() throws -> Int64 {
        let n = Int(try u8())
        let raw = try take(n)
        if n == 0 { return 0 }
        let negative = raw[n - 1] & 0x80 != 0
        // Bytes beyond the eighth must be pure sign extension for the value to fit in 64 bits.
        if n > 8 {
            let fill: UInt8 = negative ? 0xff : 0
            guard raw[8...].allSatisfy({ $0 == fill }), (raw[7] & 0x80 != 0) == negative else {
                throw invalid("integer of \(n) bytes does not fit in 64 bits")
            }
        }
        var v: UInt64 = negative ? ~0 : 0
        for i in 0..<min(n, 8) {
            v &= ~(UInt64(0xff) << (8 * UInt64(i)))
            v |= UInt64(raw[i]) << (8 * UInt64(i))
        }
        return Int64(bitPattern: v)
    }

    // MARK: - Persistent ids and REDUCE

    private func persistentLoad(_ pid: PickleObject) throws -> PickleObject {
        guard case .box(let t) = pid, t.kind == .tuple, t.items.count == 5,
              case .scalar(.string("storage")) = t.items[0] else {
            throw invalid("persistent id is not a ('storage', type, key, location, numel) tuple")
        }
        let dtype: TorchDType?
        switch t.items[1] {
        case .global(.typedStorage(let d), _): dtype = d
        case .global(.untypedStorage, _): dtype = nil
        default: throw invalid("persistent id storage type is \(t.items[1].kindName), not a torch storage class")
        }
        guard case .scalar(.string(let key)) = t.items[2] else { throw invalid("storage key is not a string") }
        guard case .scalar(.string(let location)) = t.items[3] else { throw invalid("storage location is not a string") }
        guard case .scalar(.int(let numel)) = t.items[4], numel >= 0, let n = Int(exactly: numel) else {
            throw invalid("storage size is not a non-negative int")
        }
        return .storage(StorageReference(key: key, dtype: dtype, location: location, numel: n))
    }

    private func int(_ o: PickleObject, _ what: String) throws -> Int {
        guard case .scalar(.int(let v)) = o, let i = Int(exactly: v) else { throw invalid("\(what) is \(o.kindName), not an int") }
        return i
    }

    private func ints(_ o: PickleObject, _ what: String) throws -> [Int] {
        guard case .box(let b) = o, b.kind == .tuple else { throw invalid("\(what) is \(o.kindName), not a tuple") }
        return try b.items.map { try int($0, "\(what) element") }
    }

    private func apply(_ g: PickleGlobal, name: String, args: [PickleObject]) throws -> PickleObject {
        func arity(_ allowed: ClosedRange<Int>) throws {
            guard allowed.contains(args.count) else {
                throw invalid("'\(name)' called with \(args.count) arguments (expects \(allowed.lowerBound)…\(allowed.upperBound))")
            }
        }
        switch g {
        case .orderedDict:
            try arity(0...0)
            return .box(PickleBox(.orderedDict))
        case .counter:
            try arity(0...1)
            let d = PickleBox(.dict)
            if let src = args.first {
                guard case .box(let s) = src, s.isDict else { throw invalid("Counter argument is \(src.kindName), not a dict") }
                for (k, v) in zip(s.keys, s.values) { try setItem(d, k, v) }
            }
            return .box(d)
        case .set:
            try arity(0...1)
            let l = PickleBox(.set)
            if let src = args.first {
                guard case .box(let s) = src, s.kind == .list || s.kind == .tuple else {
                    throw invalid("set argument is \(src.kindName), not a list")
                }
                for x in s.items { try noteChild(x, of: l) }
                l.items = s.items
            }
            return .box(l)
        case .codecsEncode:
            try arity(2...2)
            guard case .scalar(.string(let text)) = args[0], case .scalar(.string(let enc)) = args[1] else {
                throw invalid("_codecs.encode expects (str, str)")
            }
            switch enc.lowercased() {
            case "latin1", "latin-1", "iso-8859-1", "iso8859-1":
                var out: [UInt8] = []
                for u in text.unicodeScalars {
                    guard u.value < 256 else { throw invalid("_codecs.encode: character U+\(String(u.value, radix: 16)) is not latin-1") }
                    out.append(UInt8(u.value))
                }
                return .scalar(.bytes(out))
            case "utf-8", "utf8":
                return .scalar(.bytes(Array(text.utf8)))
            default:
                throw invalid("_codecs.encode with unsupported encoding '\(enc)'")
            }
        case .rebuildTensorV2:
            try arity(6...7)
            return .scalar(.tensor(try rebuildTensor(args, dtypeArgument: nil, metadata: args.count == 7 ? args[6] : nil)))
        case .rebuildTensorV3:
            try arity(7...8)
            guard case .global(.dtype(let d), _) = args[6] else { throw invalid("_rebuild_tensor_v3 dtype is \(args[6].kindName)") }
            return .scalar(.tensor(try rebuildTensor(args, dtypeArgument: d, metadata: args.count == 8 ? args[7] : nil)))
        case .rebuildTensor:
            try arity(4...4)
            return .scalar(.tensor(try rebuildTensor(args, dtypeArgument: nil, metadata: nil)))
        case .rebuildParameter, .rebuildParameterWithState:
            try arity(g == .rebuildParameter ? 3...3 : 4...4)
            guard case .scalar(.tensor) = args[0] else { throw invalid("parameter data is \(args[0].kindName), not a tensor") }
            return args[0]
        case .rebuildFromTypeV2:
            try arity(4...4)
            guard case .global(let f, let fname) = args[0],
                  [.rebuildTensorV2, .rebuildTensorV3, .rebuildTensor, .rebuildParameter, .rebuildParameterWithState].contains(f) else {
                throw invalid("_rebuild_from_type_v2 function is \(args[0].kindName), not a tensor rebuild function")
            }
            guard case .global(.tensorType, _) = args[1] else {
                throw invalid("_rebuild_from_type_v2 type is \(args[1].kindName), not torch.Tensor or Parameter")
            }
            guard case .box(let inner) = args[2], inner.kind == .tuple else { throw invalid("_rebuild_from_type_v2 arguments are not a tuple") }
            return try apply(f, name: fname, args: inner.items)
        case .torchSize:
            try arity(1...1)
            _ = try ints(args[0], "torch.Size argument")
            return args[0]
        case .torchDevice:
            try arity(1...2)
            guard case .scalar(.string(let type)) = args[0] else { throw invalid("torch.device type is \(args[0].kindName)") }
            if args.count == 2 { return .scalar(.string("\(type):\(try int(args[1], "device index"))")) }
            return .scalar(.string(type))
        case .tensorType, .typedStorage, .untypedStorage, .dtype:
            throw invalid("'\(name)' is a type token and cannot be called")
        }
    }

    private func rebuildTensor(_ args: [PickleObject], dtypeArgument: TorchDType?, metadata: PickleObject?) throws -> Tensor {
        guard case .storage(let ref) = args[0] else { throw invalid("tensor storage is \(args[0].kindName), not a storage reference") }
        let offset = try int(args[1], "storage offset")
        let size = try ints(args[2], "tensor size")
        let stride = try ints(args[3], "tensor stride")
        if args.count >= 5 {
            guard case .scalar(.bool) = args[4] else { throw invalid("requires_grad is \(args[4].kindName), not a bool") }
        }
        if args.count >= 6 {
            guard case .box(let hooks) = args[5], hooks.isDict else { throw invalid("backward hooks are \(args[5].kindName), not an OrderedDict") }
        }
        if let metadata {
            guard case .box(let m) = metadata, m.isDict else { throw invalid("tensor metadata is \(metadata.kindName), not a dict") }
            for (k, v) in zip(m.keys, m.values) {
                if case .scalar(.bool(false)) = v { continue }
                let key: String
                if case .scalar(.string(let s)) = k { key = s } else { key = k.kindName }
                throw invalid("tensor metadata '\(key)' (conjugate/negative views) is not supported")
            }
        }
        let dtype: TorchDType
        if let d = dtypeArgument {
            dtype = d
            if let sd = ref.dtype, sd != d { throw invalid("storage of \(sd.rawValue) rebuilt as \(d.rawValue)") }
        } else if let d = ref.dtype {
            dtype = d
        } else {
            throw invalid("untyped storage without a dtype (expected _rebuild_tensor_v3)")
        }
        guard dtype.cairnDType != nil else {
            throw TorchFileError.unsupportedDType(file: file, record: record, dtype: dtype.rawValue, offset: opStart)
        }
        let numel: Int
        if ref.dtype == nil {
            guard ref.numel % dtype.elementSize == 0 else {
                throw invalid("untyped storage of \(ref.numel) bytes is not a whole number of \(dtype.rawValue)")
            }
            numel = ref.numel / dtype.elementSize
        } else {
            numel = ref.numel
        }
        try checkView(offset: offset, size: size, stride: stride, numel: numel)
        let storage = try storageProvider(ref, dtype, opStart)
        guard storage.count == numel else {
            throw invalid("storage '\(ref.key)' holds \(storage.count) elements, not \(numel)")
        }
        return Tensor(storage: storage, layout: Layout(shape: size, strides: stride, offset: offset))
    }

    /// Spec §5.4: non-negative offset and strides; every element inside the storage (overflow-checked).
    private func checkView(offset: Int, size: [Int], stride: [Int], numel: Int) throws {
        func oob(_ reason: String) -> TorchFileError {
            .viewOutOfBounds(file: file, record: record, offset: opStart, reason: reason)
        }
        guard size.count == stride.count else { throw oob("size \(size) and stride \(stride) differ in rank") }
        guard offset >= 0, size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
            throw oob("negative offset, size or stride (offset \(offset), size \(size), stride \(stride))")
        }
        var product = 1
        for s in size {
            let (p, o) = product.multipliedReportingOverflow(by: max(s, 1))
            guard !o else { throw oob("size \(size) overflows") }
            product = p
        }
        if size.contains(0) {
            guard offset <= numel else { throw oob("empty tensor at offset \(offset) past a storage of \(numel) elements") }
            return
        }
        var last = offset
        for (s, st) in zip(size, stride) {
            let (m, o1) = (s - 1).multipliedReportingOverflow(by: st)
            let (a, o2) = last.addingReportingOverflow(m)
            guard !o1, !o2 else { throw oob("size \(size) with stride \(stride) overflows") }
            last = a
        }
        guard last < numel else {
            throw oob("size \(size), stride \(stride), offset \(offset) reach element \(last) of a storage of \(numel) elements")
        }
    }

    // MARK: - Conversion

    /// Converts the result to a value tree without recursion; shared containers convert once.
    private func convert(_ root: PickleObject) throws -> CheckpointValue {
        enum Task {
            case visit(PickleObject, Int)
            case finish(PickleBox)
        }
        var tasks: [Task] = [.visit(root, 0)]
        var results: [CheckpointValue] = []
        while let task = tasks.popLast() {
            switch task {
            case .visit(let o, let depth):
                switch o {
                case .scalar(let v):
                    results.append(v)
                case .global(let g, let name):
                    guard case .dtype = g else { throw invalid("global '\(name)' appears as a value") }
                    results.append(.string(name))
                case .storage:
                    throw invalid("a storage reference appears outside a tensor")
                case .box(let b):
                    if let c = b.converted { results.append(c); continue }
                    if b.converting { throw invalid("a \(b.kind.rawValue) contains itself") }
                    if depth >= limits.maxDepth { throw limit("nesting depth", limits.maxDepth) }
                    b.converting = true
                    tasks.append(.finish(b))
                    var children: [PickleObject] = []
                    if b.isDict {
                        for (k, v) in zip(b.keys, b.values) { children.append(k); children.append(v) }
                        if let a = b.attributes {
                            for (k, v) in zip(a.keys, a.values) { children.append(k); children.append(v) }
                        }
                    } else {
                        children = b.items
                    }
                    for c in children.reversed() { tasks.append(.visit(c, depth + 1)) }
                }
            case .finish(let b):
                let value: CheckpointValue
                if b.isDict {
                    let attrCount = 2 * (b.attributes?.keys.count ?? 0)
                    let n = 2 * b.keys.count
                    let flat = results.suffix(n + attrCount)
                    results.removeLast(n + attrCount)
                    func pairs(_ s: ArraySlice<CheckpointValue>) -> CheckpointValue.Entries {
                        stride(from: s.startIndex, to: s.endIndex, by: 2).map { (key: s[$0], value: s[$0 + 1]) }
                    }
                    let entries = pairs(flat.prefix(n))
                    value = b.kind == .dict ? .dict(entries) : .orderedDict(entries, attributes: pairs(flat.suffix(attrCount)))
                } else {
                    let items = Array(results.suffix(b.items.count))
                    results.removeLast(b.items.count)
                    value = b.kind == .tuple ? .tuple(items) : .list(items)
                }
                b.converting = false
                b.converted = value
                results.append(value)
            }
        }
        guard results.count == 1 else { throw invalid("internal conversion error") }
        return results[0]
    }
}
