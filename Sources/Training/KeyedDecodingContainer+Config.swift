extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent or null.
    func value<T: Decodable>(_ key: Key, or fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// An invalid-value error located at `key`.
    func invalid(_ key: Key, _ message: String) -> DecodingError {
        DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: message)
    }

    /// Throws an invalid-value error at `key` unless `condition` holds.
    func check(_ condition: Bool, _ key: Key, _ message: @autoclosure () -> String) throws {
        if !condition { throw invalid(key, message()) }
    }

    /// A missing-key error naming `key`, with a message of its own.
    func missing(_ key: Key, _ message: String) -> DecodingError {
        DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: message))
    }

    /// An enum value spelled as one of its raw values; the error lists the choices.
    func choice<T: RawRepresentable & CaseIterable>(_ key: Key, or fallback: T?) throws -> T where T.RawValue == String {
        guard let raw = try decodeIfPresent(String.self, forKey: key) else {
            if let fallback { return fallback }
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing required key '\(key.stringValue)'"))
        }
        guard let v = T(rawValue: raw) else {
            let all = T.allCases.map(\.rawValue)
            let hint = ConfigError.closest(to: raw, in: all).map { " (did you mean '\($0)'?)" } ?? ""
            throw invalid(key, "unknown value '\(raw)'\(hint); expected one of \(all.joined(separator: ", "))")
        }
        return v
    }

    /// The keys present in this mapping in document order (for checks that need every key).
    var presentKeys: [String] { allKeys.map(\.stringValue) }
}
