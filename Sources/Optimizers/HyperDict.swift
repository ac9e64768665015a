/// An insertion-ordered `String → HyperValue` map: one PyTorch param group's hyper-parameters or a
/// scheduler's `state_dict()`, with the keys in the order torch writes them.
public struct HyperDict: Equatable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// Keys in insertion order.
    public private(set) var keys: [String] = []
    private var values: [String: HyperValue] = [:]

    /// An empty dictionary.
    public init() {}

    /// From ordered pairs; a repeated key keeps its first position and last value.
    public init(_ pairs: [(String, HyperValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    /// From a literal, keeping the literal's order.
    public init(dictionaryLiteral elements: (String, HyperValue)...) { self.init(elements) }

    /// The value under `key`; setting nil removes the key.
    public subscript(key: String) -> HyperValue? {
        get { values[key] }
        set {
            if let v = newValue {
                if values.updateValue(v, forKey: key) == nil { keys.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Sets `key` only when absent (Python's `dict.setdefault`); returns the value now stored.
    @discardableResult
    public mutating func setDefault(_ key: String, _ value: HyperValue) -> HyperValue {
        if let v = values[key] { return v }
        self[key] = value
        return value
    }

    /// Whether `key` is present.
    public func contains(_ key: String) -> Bool { values[key] != nil }

    /// Number of entries.
    public var count: Int { keys.count }

    /// Ordered (key, value) pairs.
    public var pairs: [(String, HyperValue)] { keys.map { ($0, values[$0]!) } }

    /// Iterates in insertion order.
    public func makeIterator() -> IndexingIterator<[(String, HyperValue)]> { pairs.makeIterator() }

    /// Equal when the same keys map to the same values (order ignored, as for Python dicts).
    public static func == (a: HyperDict, b: HyperDict) -> Bool { a.values == b.values }

    /// Whether the keys also come in the same order (what a byte-exact pickle needs).
    public func isIdenticallyOrdered(to other: HyperDict) -> Bool { self == other && keys == other.keys }
}

extension HyperDict: CustomStringConvertible {
    /// Python `repr`-like text.
    public var description: String {
        "{" + pairs.map { "'\($0.0)': \($0.1)" }.joined(separator: ", ") + "}"
    }
}

extension HyperDict: Codable {
    private struct Entry: Codable {
        var key: String
        var value: HyperValue
    }

    /// Encodes as an ordered list of `{key, value}` objects (JSON objects would lose the order).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        for (k, v) in pairs { try c.encode(Entry(key: k, value: v)) }
    }

    /// Decodes what `encode(to:)` writes.
    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        self.init()
        while !c.isAtEnd {
            let e = try c.decode(Entry.self)
            self[e.key] = e.value
        }
    }
}

// MARK: - Typed reads that throw `StateLoadError` naming the key

extension HyperDict {
    /// The value under `key`, or a `missingKey` error naming `context`.
    public func require(_ key: String, in context: String) throws -> HyperValue {
        guard let v = self[key] else { throw StateLoadError.missingKey(context: context, key: key) }
        return v
    }

    /// A number (int or float) under `key`.
    public func requireDouble(_ key: String, in context: String) throws -> Double {
        let v = try require(key, in: context)
        guard let d = v.doubleValue else {
            throw StateLoadError.wrongType(context: context, key: key, expected: "number", found: v.kindName)
        }
        return d
    }

    /// An integer under `key`.
    public func requireInt(_ key: String, in context: String) throws -> Int {
        let v = try require(key, in: context)
        guard let i = v.intValue else {
            throw StateLoadError.wrongType(context: context, key: key, expected: "int", found: v.kindName)
        }
        return i
    }

    /// A bool under `key`.
    public func requireBool(_ key: String, in context: String) throws -> Bool {
        let v = try require(key, in: context)
        guard let b = v.boolValue else {
            throw StateLoadError.wrongType(context: context, key: key, expected: "bool", found: v.kindName)
        }
        return b
    }

    /// A string under `key`.
    public func requireString(_ key: String, in context: String) throws -> String {
        let v = try require(key, in: context)
        guard let s = v.stringValue else {
            throw StateLoadError.wrongType(context: context, key: key, expected: "str", found: v.kindName)
        }
        return s
    }

    /// A list or tuple under `key`.
    public func requireArray(_ key: String, in context: String) throws -> [HyperValue] {
        let v = try require(key, in: context)
        guard let a = v.arrayValue else {
            throw StateLoadError.wrongType(context: context, key: key, expected: "list", found: v.kindName)
        }
        return a
    }

    /// A list of numbers under `key`.
    public func requireDoubles(_ key: String, in context: String) throws -> [Double] {
        try requireArray(key, in: context).enumerated().map { i, v in
            guard let d = v.doubleValue else {
                throw StateLoadError.wrongType(context: context, key: "\(key)[\(i)]", expected: "number", found: v.kindName)
            }
            return d
        }
    }
}
