/// A parsed YAML value that remembers where it came from, so every error can name a line.
///
/// Only what configs need: scalars (with whether they were quoted, since `"5"` is a string and `5`
/// a number), sequences, and mappings with string keys kept in document order.
struct ConfigNode: Equatable {
    /// The value's shape.
    enum Value: Equatable {
        /// A scalar's text; `plain` is false for quoted and block scalars, which are always strings.
        case scalar(String, plain: Bool)
        /// A list.
        case sequence([ConfigNode])
        /// Key-value pairs in document order (keys are unique).
        case mapping([Entry])
    }

    /// One key of a mapping, with the key's own position.
    struct Entry: Equatable {
        var key: String
        var keyOrigin: ConfigOrigin
        var value: ConfigNode
    }

    var value: Value
    var origin: ConfigOrigin

    /// A plain empty scalar (`key:` with nothing after it), which reads as null.
    static func null(_ origin: ConfigOrigin) -> ConfigNode { ConfigNode(value: .scalar("", plain: true), origin: origin) }

    /// Whether this is YAML's null: an empty plain scalar, `~` or `null`.
    var isNull: Bool {
        if case let .scalar(s, plain) = value { return plain && ConfigNode.nullWords.contains(s) }
        return false
    }

    static let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]

    /// The entry for `key` when this is a mapping.
    func entry(_ key: String) -> Entry? {
        if case let .mapping(entries) = value { return entries.first { $0.key == key } }
        return nil
    }

    /// A short description of what this value is, for "expected …, got …" messages.
    var summary: String {
        switch value {
        case let .scalar(s, plain):
            if isNull { return "null" }
            let shown = s.count > 40 ? String(s.prefix(40)) + "…" : s
            return plain ? "'\(shown)'" : "the string \"\(shown)\""
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// The node at `path`, following keys through mappings and indices through sequences.
    func node(at path: [ConfigPath.Component]) -> ConfigNode? {
        var n = self
        for c in path {
            switch (c, n.value) {
            case let (.key(k), .mapping(entries)):
                guard let e = entries.first(where: { $0.key == k }) else { return nil }
                n = e.value
            case let (.index(i), .sequence(items)):
                guard items.indices.contains(i) else { return nil }
                n = items[i]
            default: return nil
            }
        }
        return n
    }
}

/// Where a value came from: a line and column of a file, or a `--set` override.
struct ConfigOrigin: Equatable {
    /// The file name, or `--set key=value` for an override.
    var source: String
    /// 1-based line, nil for overrides.
    var line: Int?
    /// 1-based column, nil for overrides.
    var column: Int?
}
