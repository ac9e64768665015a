import Foundation

/// A Python-like value as it appears in PyTorch's `param_groups` and scheduler `state_dict()`s.
///
/// The cases keep the distinctions a pickle keeps (int versus float, tuple versus list, `None`), so
/// an exported structure equals torch's own and a checkpoint writer can emit it unchanged.
public indirect enum HyperValue: Equatable, Sendable {
    /// Python `None`.
    case none
    /// Python `bool`.
    case bool(Bool)
    /// Python `int` (torch writes integer defaults such as `weight_decay=0` as ints).
    case int(Int)
    /// Python `float`.
    case double(Double)
    /// Python `str`.
    case string(String)
    /// Python `tuple` (e.g. Adam's `betas`).
    case tuple([HyperValue])
    /// Python `list`.
    case list([HyperValue])
    /// Python `dict` with string keys, in insertion order.
    case dict(HyperDict)
    /// Python `collections.Counter` of ints (MultiStepLR's milestones), in insertion order.
    case counter([CounterEntry])

    /// One `key: count` entry of a `.counter`.
    public struct CounterEntry: Equatable, Sendable, Codable {
        /// The counted value.
        public var key: Int
        /// How often it occurs.
        public var count: Int
        /// Makes an entry.
        public init(key: Int, count: Int) { self.key = key; self.count = count }
    }

    /// The number as a Double for `.int` and `.double`; nil otherwise.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The integer for `.int` (or an integral `.double`); nil otherwise.
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }

    /// The flag for `.bool`; nil otherwise.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The text for `.string`; nil otherwise.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The elements of a `.tuple` or `.list`; nil otherwise.
    public var arrayValue: [HyperValue]? {
        switch self {
        case .tuple(let a), .list(let a): return a
        default: return nil
        }
    }

    /// The dictionary for `.dict`; nil otherwise.
    public var dictValue: HyperDict? {
        if case .dict(let d) = self { return d }
        return nil
    }

    /// Whether this is `.none`.
    public var isNone: Bool { self == .none }

    /// `.int(0)` for zero, else `.double(v)`: torch's integer default `0` for `weight_decay`,
    /// `momentum`, `dampening`, … is kept as an int until the user sets a real value.
    public static func torchNumber(_ v: Double) -> HyperValue { v == 0 ? .int(0) : .double(v) }

    /// A list of floats.
    public static func doubles(_ values: [Double]) -> HyperValue { .list(values.map { .double($0) }) }

    /// A short name of the case, for error messages.
    public var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .counter: return "Counter"
        }
    }
}

extension HyperValue: CustomStringConvertible {
    /// Python `repr`-like text (`None`, `True`, `0.001`, `(0.9, 0.999)`, `{'lr': 0.1}`).
    public var description: String {
        switch self {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "nan" }
            if d.isInfinite { return d > 0 ? "inf" : "-inf" }
            let s = "\(d)"
            return s
        case .string(let s): return "'\(s)'"
        case .tuple(let a): return a.count == 1 ? "(\(a[0]),)" : "(" + a.map(\.description).joined(separator: ", ") + ")"
        case .list(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .dict(let d): return d.description
        case .counter(let e): return "Counter({" + e.map { "\($0.key): \($0.count)" }.joined(separator: ", ") + "})"
        }
    }
}

extension HyperValue: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByStringLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral {
    /// A float literal becomes `.double`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// An integer literal becomes `.int`.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A boolean literal becomes `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A string literal becomes `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// `nil` becomes `.none`.
    public init(nilLiteral: ()) { self = .none }
    /// An array literal becomes `.list`.
    public init(arrayLiteral elements: HyperValue...) { self = .list(elements) }
}

extension HyperValue: Codable {
    // Ints, floats, tuples and lists are tagged so a JSON round trip keeps Python's distinctions
    // (JSON alone would turn 1.0 into 1 and tuples into lists); non-finite floats become strings.
    private enum Tag: String, CodingKey { case int, float, tuple, list, dict, counter }

    /// Encodes `None`/bools/strings as plain JSON and the other cases as one-key tagged objects.
    public func encode(to encoder: Encoder) throws {
        switch self {
        case .none:
            var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer(); try c.encode(b)
        case .string(let s):
            var c = encoder.singleValueContainer(); try c.encode(s)
        case .int(let i):
            var c = encoder.container(keyedBy: Tag.self); try c.encode(i, forKey: .int)
        case .double(let d):
            var c = encoder.container(keyedBy: Tag.self)
            if d.isFinite { try c.encode(d, forKey: .float) } else {
                try c.encode(d.isNaN ? "nan" : (d > 0 ? "inf" : "-inf"), forKey: .float)
            }
        case .tuple(let a):
            var c = encoder.container(keyedBy: Tag.self); try c.encode(a, forKey: .tuple)
        case .list(let a):
            var c = encoder.container(keyedBy: Tag.self); try c.encode(a, forKey: .list)
        case .dict(let d):
            var c = encoder.container(keyedBy: Tag.self); try c.encode(d, forKey: .dict)
        case .counter(let e):
            var c = encoder.container(keyedBy: Tag.self); try c.encode(e, forKey: .counter)
        }
    }

    /// Decodes what `encode(to:)` writes.
    public init(from decoder: Decoder) throws {
        if let c = try? decoder.singleValueContainer() {
            if c.decodeNil() { self = .none; return }
            if let b = try? c.decode(Bool.self) { self = .bool(b); return }
            if let s = try? c.decode(String.self) { self = .string(s); return }
        }
        let c = try decoder.container(keyedBy: Tag.self)
        guard let tag = c.allKeys.first, c.allKeys.count == 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "HyperValue: expected exactly one tag of int/float/tuple/list/dict/counter"))
        }
        switch tag {
        case .int: self = .int(try c.decode(Int.self, forKey: .int))
        case .float:
            if let d = try? c.decode(Double.self, forKey: .float) { self = .double(d); return }
            let s = try c.decode(String.self, forKey: .float)
            switch s {
            case "nan": self = .double(.nan)
            case "inf": self = .double(.infinity)
            case "-inf": self = .double(-.infinity)
            default:
                throw DecodingError.dataCorruptedError(forKey: .float, in: c, debugDescription: "HyperValue: bad float '\(s)'")
            }
        case .tuple: self = .tuple(try c.decode([HyperValue].self, forKey: .tuple))
        case .list: self = .list(try c.decode([HyperValue].self, forKey: .list))
        case .dict: self = .dict(try c.decode(HyperDict.self, forKey: .dict))
        case .counter: self = .counter(try c.decode([CounterEntry].self, forKey: .counter))
        }
    }
}
