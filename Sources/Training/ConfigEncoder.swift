/// An `Encoder` that keeps keys in the order they are encoded, so `RunConfig.yaml()` writes
/// sections and options in a stable, human order; `YAMLEmitter` turns the result into text.
struct ConfigEncoder: Encoder {
    /// An encoded value under construction (a reference, so nested containers can fill it in).
    final class Box {
        enum Value {
            case unset
            /// A scalar's text; `isString` marks strings, which the emitter may need to quote.
            case scalar(String, isString: Bool)
            case sequence([Box])
            case mapping([(String, Box)])
        }
        var value: Value = .unset
    }

    let box: Box
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(box: Box = Box(), codingPath: [CodingKey] = []) {
        self.box = box
        self.codingPath = codingPath
    }

    /// Encodes `value` into a fresh tree.
    static func encode<T: Encodable>(_ value: T) throws -> Box {
        let e = ConfigEncoder()
        try e.put(value)
        return e.box
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .mapping = box.value {} else { box.value = .mapping([]) }
        return KeyedEncodingContainer(Keyed<Key>(encoder: self))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .sequence = box.value {} else { box.value = .sequence([]) }
        return Unkeyed(encoder: self)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { Single(encoder: self) }

    /// Writes a value into this encoder's box, formatting the scalar types here.
    func put<T: Encodable>(_ value: T) throws {
        switch value {
        case let s as String: box.value = .scalar(s, isString: true)
        case let b as Bool: box.value = .scalar(b ? "true" : "false", isString: false)
        case let d as Double: box.value = .scalar(ConfigEncoder.format(d), isString: false)
        case let f as Float: box.value = .scalar(f.isFinite ? ConfigEncoder.withPoint("\(f)") : ConfigEncoder.format(Double(f)), isString: false)
        case let i as any BinaryInteger: box.value = .scalar("\(i)", isString: false)
        default: try value.encode(to: self)
        }
    }

    /// Shortest text that reads back as the same Double (`0.001`, `1.0e-05`, `.inf`).
    static func format(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        return withPoint("\(d)")
    }

    /// `1e-05` as `1.0e-05`: YAML 1.1 readers (PyYAML) take an exponent without a point for a string.
    static func withPoint(_ s: String) -> String {
        guard let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }), !s[..<e].contains(".") else { return s }
        return s[..<e] + ".0" + s[e...]
    }

    func child(_ key: CodingKey) -> ConfigEncoder { ConfigEncoder(box: Box(), codingPath: codingPath + [key]) }

    private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: ConfigEncoder
        var codingPath: [CodingKey] { encoder.codingPath }

        private func add(_ key: Key, _ child: Box) {
            guard case var .mapping(pairs) = encoder.box.value else { return }
            if let i = pairs.firstIndex(where: { $0.0 == key.stringValue }) { pairs[i].1 = child } else { pairs.append((key.stringValue, child)) }
            encoder.box.value = .mapping(pairs)
        }

        mutating func encodeNil(forKey key: Key) throws {
            let b = Box()
            b.value = .scalar("null", isString: false)
            add(key, b)
        }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            let c = encoder.child(key)
            try c.put(value)
            add(key, c.box)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey> {
            let c = encoder.child(key)
            add(key, c.box)
            return c.container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            let c = encoder.child(key)
            add(key, c.box)
            return c.unkeyedContainer()
        }

        mutating func superEncoder() -> Encoder { encoder }

        mutating func superEncoder(forKey key: Key) -> Encoder {
            let c = encoder.child(key)
            add(key, c.box)
            return c
        }
    }

    private struct Unkeyed: UnkeyedEncodingContainer {
        let encoder: ConfigEncoder
        var codingPath: [CodingKey] { encoder.codingPath }
        var count: Int {
            if case let .sequence(items) = encoder.box.value { return items.count }
            return 0
        }

        private func append() -> ConfigEncoder {
            let c = ConfigEncoder(box: Box(), codingPath: codingPath + [AnyKey("\(count)")])
            if case var .sequence(items) = encoder.box.value {
                items.append(c.box)
                encoder.box.value = .sequence(items)
            }
            return c
        }

        mutating func encodeNil() throws { append().box.value = .scalar("null", isString: false) }

        mutating func encode<T: Encodable>(_ value: T) throws { try append().put(value) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            append().container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer { append().unkeyedContainer() }

        mutating func superEncoder() -> Encoder { append() }
    }

    private struct Single: SingleValueEncodingContainer {
        let encoder: ConfigEncoder
        var codingPath: [CodingKey] { encoder.codingPath }

        mutating func encodeNil() throws { encoder.box.value = .scalar("null", isString: false) }

        mutating func encode<T: Encodable>(_ value: T) throws { try encoder.put(value) }
    }
}
