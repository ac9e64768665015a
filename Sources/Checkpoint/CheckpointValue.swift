import TensorCore

/// A value read from or written to a checkpoint file: what a torch.save'd object can contain.
///
/// The cases keep the distinctions a pickle keeps (int versus float, tuple versus list, `dict`
/// versus `collections.OrderedDict`), so a file read and written back has the same structure, and
/// a writer can reproduce torch's bytes. Dict entries are ordered, as in Python; keys are strings or
/// ints in practice (optimizer state uses int keys). Tensors read from one storage stay views of
/// one `Storage`, and the writer keeps them shared.
public indirect enum CheckpointValue: Sendable {
    /// Ordered key/value pairs of a `dict` or `OrderedDict`.
    public typealias Entries = [(key: CheckpointValue, value: CheckpointValue)]

    /// Python `None`.
    case none
    /// Python `bool`.
    case bool(Bool)
    /// Python `int` (values beyond 64 bits are rejected by the reader).
    case int(Int64)
    /// Python `float`.
    case double(Double)
    /// Python `str`.
    case string(String)
    /// Python `bytes` (`_codecs.encode(s, 'latin1')` in a pickle).
    case bytes([UInt8])
    /// A tensor (parameters are unwrapped to their tensor on read).
    case tensor(Tensor)
    /// Python `list`.
    case list([CheckpointValue])
    /// Python `tuple`.
    case tuple([CheckpointValue])
    /// Python `dict`, in insertion order.
    case dict(Entries)
    /// `collections.OrderedDict` (what `state_dict()` returns), with its Python attributes such as
    /// `_metadata` (empty when it has none).
    case orderedDict(Entries, attributes: Entries = [])
}

// MARK: - Accessors

extension CheckpointValue {
    /// The value under string key `key` of a dict or OrderedDict; nil if absent or not a dict.
    public subscript(key: String) -> CheckpointValue? {
        dictValue?.first { $0.key.stringValue == key }?.value
    }

    /// The value under integer key `int` of a dict (optimizer state is keyed by parameter index).
    public subscript(int key: Int) -> CheckpointValue? {
        dictValue?.first { $0.key.intValue == key }?.value
    }

    /// Element `index` of a list or tuple; nil when out of range or not a sequence.
    public subscript(index: Int) -> CheckpointValue? {
        guard let l = listValue, l.indices.contains(index) else { return nil }
        return l[index]
    }

    /// The tensor of a `.tensor`; nil otherwise.
    public var tensorValue: Tensor? {
        if case .tensor(let t) = self { return t }
        return nil
    }

    /// The text of a `.string`; nil otherwise.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer of an `.int` (or a `.bool`, as Python treats it); nil otherwise.
    public var intValue: Int? {
        switch self {
        case .int(let i): return Int(exactly: i)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// The number of an `.int` or `.double` as a Double; nil otherwise.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The flag of a `.bool`; nil otherwise.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The entries of a `.dict` or `.orderedDict`; nil otherwise.
    public var dictValue: Entries? {
        switch self {
        case .dict(let e), .orderedDict(let e, _): return e
        default: return nil
        }
    }

    /// The elements of a `.list` or `.tuple`; nil otherwise.
    public var listValue: [CheckpointValue]? {
        switch self {
        case .list(let a), .tuple(let a): return a
        default: return nil
        }
    }

    /// Whether this is `.none`.
    public var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    /// The string keys of a dict, in order (non-string keys skipped); nil when not a dict.
    public var stringKeys: [String]? { dictValue?.compactMap { $0.key.stringValue } }

    /// A short Python-like name of the case, for error messages.
    public var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tensor: return "Tensor"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .orderedDict: return "OrderedDict"
        }
    }
}

// MARK: - Literals

extension CheckpointValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    /// `nil` becomes `.none`.
    public init(nilLiteral: ()) { self = .none }
    /// A boolean literal becomes `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer literal becomes `.int`.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// A float literal becomes `.double`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A string literal becomes `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array literal becomes `.list`.
    public init(arrayLiteral elements: CheckpointValue...) { self = .list(elements) }
    /// A dictionary literal becomes a plain `.dict`, keeping the literal's order.
    public init(dictionaryLiteral elements: (CheckpointValue, CheckpointValue)...) {
        self = .dict(elements.map { (key: $0.0, value: $0.1) })
    }
}
