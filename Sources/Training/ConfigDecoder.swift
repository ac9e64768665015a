/// A `Decoder` over a `ConfigNode` tree: YAML scalars are typed here (so `lr: 1e-3` is a number
/// and `epochs: "5"` is not an integer), and every key a type asks for is recorded in `KeyUsage`
/// so that keys nobody asked for can be reported as unknown afterwards.
///
/// Errors are ordinary `DecodingError`s whose `debugDescription` is the user-facing message;
/// `ConfigError.init(_:root:usage:)` turns them into located errors.
struct ConfigDecoder: Decoder, SingleValueDecodingContainer {
    let node: ConfigNode
    let codingPath: [CodingKey]
    let path: ConfigPath
    let usage: KeyUsage
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: ConfigNode, usage: KeyUsage, codingPath: [CodingKey] = [], path: ConfigPath = ConfigPath()) {
        self.node = node
        self.usage = usage
        self.codingPath = codingPath
        self.path = path
    }

    /// The decoder for a child value.
    func child(_ node: ConfigNode, key: CodingKey, component: ConfigPath.Component) -> ConfigDecoder {
        ConfigDecoder(node: node, usage: usage, codingPath: codingPath + [key], path: path.appending(component))
    }

    // MARK: Decoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case let .mapping(entries) = node.value else { throw mismatch(Dictionary<String, Int>.self) }
        return KeyedDecodingContainer(KeyedContainer<Key>(decoder: self, entries: entries))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case let .sequence(items) = node.value else { throw mismatch([Int].self) }
        return UnkeyedContainer(decoder: self, items: items)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { self }

    // MARK: Scalars

    func decodeNil() -> Bool { node.isNull }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return try decodeString() as! T
        case is Bool.Type: return try decodeBool() as! T
        case is Int.Type: return try decodeInt() as! T
        case is Double.Type: return try decodeDouble() as! T
        case is Float.Type: return Float(try decodeDouble()) as! T
        case is UInt64.Type: return try decodeUInt64() as! T
        default: return try T(from: self)
        }
    }

    func decode(_ type: Bool.Type) throws -> Bool { try decodeBool() }
    func decode(_ type: String.Type) throws -> String { try decodeString() }
    func decode(_ type: Double.Type) throws -> Double { try decodeDouble() }
    func decode(_ type: Float.Type) throws -> Float { Float(try decodeDouble()) }
    func decode(_ type: Int.Type) throws -> Int { try decodeInt() }
    func decode(_ type: Int8.Type) throws -> Int8 { try narrow(decodeInt()) }
    func decode(_ type: Int16.Type) throws -> Int16 { try narrow(decodeInt()) }
    func decode(_ type: Int32.Type) throws -> Int32 { try narrow(decodeInt()) }
    func decode(_ type: Int64.Type) throws -> Int64 { Int64(try decodeInt()) }
    func decode(_ type: UInt.Type) throws -> UInt { try narrow(decodeInt()) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try narrow(decodeInt()) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try narrow(decodeInt()) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try narrow(decodeInt()) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeUInt64() }

    /// A scalar's text, or a type mismatch naming what was expected.
    private func scalarText<T>(_ type: T.Type, plainOnly: Bool) throws -> String {
        guard case let .scalar(text, plain) = node.value, !node.isNull else {
            if node.isNull { throw DecodingError.valueNotFound(type, .init(codingPath: codingPath,
                debugDescription: "expected \(ConfigDecoder.describe(type)), got null")) }
            throw mismatch(type)
        }
        if plainOnly && !plain { throw mismatch(type) }
        return text
    }

    func decodeString() throws -> String { try scalarText(String.self, plainOnly: false) }

    func decodeBool() throws -> Bool {
        switch try scalarText(Bool.self, plainOnly: true) {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw mismatch(Bool.self)
        }
    }

    func decodeInt() throws -> Int {
        let t = try scalarText(Int.self, plainOnly: true)
        guard ConfigScalar.isInteger(t) else { throw mismatch(Int.self) }
        guard let v = Int(t.hasPrefix("+") ? String(t.dropFirst()) : t) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "integer \(t) is out of range"))
        }
        return v
    }

    func decodeUInt64() throws -> UInt64 {
        let t = try scalarText(UInt64.self, plainOnly: true)
        guard ConfigScalar.isInteger(t) else { throw mismatch(UInt64.self) }
        guard let v = UInt64(t.hasPrefix("+") ? String(t.dropFirst()) : t) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath,
                debugDescription: "expected an integer from 0 to \(UInt64.max), got \(t)"))
        }
        return v
    }

    func decodeDouble() throws -> Double {
        let t = try scalarText(Double.self, plainOnly: true)
        guard let v = ConfigScalar.double(t) else { throw mismatch(Double.self) }
        return v
    }

    private func narrow<T: FixedWidthInteger>(_ v: Int) throws -> T {
        guard let n = T(exactly: v) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "integer \(v) is out of range for \(T.self)"))
        }
        return n
    }

    /// "expected an integer, got 'five'".
    func mismatch<T>(_ type: T.Type) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected \(ConfigDecoder.describe(type)), got \(node.summary)"))
    }

    /// How a Swift type reads in a message.
    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Double.Type, is Float.Type: return "a number"
        case is Int.Type, is Int8.Type, is Int16.Type, is Int32.Type, is Int64.Type,
             is UInt.Type, is UInt8.Type, is UInt16.Type, is UInt32.Type, is UInt64.Type: return "an integer"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array<") { return "a list" }
            if name.hasPrefix("Dictionary<") { return "a mapping" }
            return "a value of type \(name)"
        }
    }
}

/// Which keys each mapping was asked for, keyed by the mapping's path.
final class KeyUsage {
    private(set) var queried: [String: Set<String>] = [:]

    func note(_ key: String, at path: ConfigPath) { queried[path.description, default: []].insert(key) }

    func keys(at path: ConfigPath) -> Set<String>? { queried[path.description] }
}

/// Reading YAML scalars as numbers, shared by the decoder and the emitter (which must quote any
/// string the reader would take for a number).
enum ConfigScalar {
    /// `[-+]?[0-9]+`.
    static func isInteger(_ t: String) -> Bool {
        var s = Substring(t)
        if s.first == "-" || s.first == "+" { s = s.dropFirst() }
        return !s.isEmpty && s.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// A YAML float or integer (`1`, `-0.5`, `1e-3`, `.5`, `.inf`, `-.inf`, `.nan`).
    static func double(_ t: String) -> Double? {
        switch t {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        guard !t.isEmpty, t.allSatisfy({ "0123456789+-.eE".contains($0) }), t.contains(where: { $0.isNumber }) else { return nil }
        return Double(t)
    }

    static let boolWords: Set<String> = ["true", "True", "TRUE", "false", "False", "FALSE"]
}

/// Any string as a coding key, for sections whose keys are data (`rename`) or a discriminator (layers).
struct AnyKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ConfigDecoder
    let entries: [ConfigNode.Entry]

    var codingPath: [CodingKey] { decoder.codingPath }
    var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.key) } }

    private func entry(_ key: Key) -> ConfigNode.Entry? {
        decoder.usage.note(key.stringValue, at: decoder.path)
        return entries.first { $0.key == key.stringValue }
    }

    private func childDecoder(_ key: Key) throws -> ConfigDecoder {
        guard let e = entry(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath,
                                                       debugDescription: "missing required key '\(key.stringValue)'"))
        }
        return decoder.child(e.value, key: key, component: .key(e.key))
    }

    func contains(_ key: Key) -> Bool { entry(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try childDecoder(key).node.isNull }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try childDecoder(key).decode(type) }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let e = entry(key), !e.value.isNull else { return nil }
        return try decoder.child(e.value, key: key, component: .key(e.key)).decode(type)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try childDecoder(key).decodeBool() }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try childDecoder(key).decodeString() }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try childDecoder(key).decodeDouble() }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try childDecoder(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try childDecoder(key).decodeInt() }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try childDecoder(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try childDecoder(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try childDecoder(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try childDecoder(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try childDecoder(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try childDecoder(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try childDecoder(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try childDecoder(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try childDecoder(key).decodeUInt64() }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey> {
        try childDecoder(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer { try childDecoder(key).unkeyedContainer() }

    func superDecoder() throws -> Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> Decoder { try childDecoder(key) }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ i: Int) { intValue = i }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: ConfigDecoder
    let items: [ConfigNode]
    var currentIndex = 0

    init(decoder: ConfigDecoder, items: [ConfigNode]) {
        self.decoder = decoder
        self.items = items
    }

    var codingPath: [CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> ConfigDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "the list has too few items"))
        }
        defer { currentIndex += 1 }
        return decoder.child(items[currentIndex], key: IndexKey(currentIndex), component: .index(currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decodeBool() }
    mutating func decode(_ type: String.Type) throws -> String { try next().decodeString() }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().decodeDouble() }
    mutating func decode(_ type: Float.Type) throws -> Float { try next().decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().decodeInt() }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().decodeUInt64() }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }

    mutating func superDecoder() throws -> Decoder { try next() }
}
