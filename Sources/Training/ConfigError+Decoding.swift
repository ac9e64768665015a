extension ConfigError {
    /// A located error for a `DecodingError` raised while decoding `root`, from a `ConfigDecoder`
    /// (whose messages are used as they are) or a `JSONDecoder` (whose wording is replaced).
    ///
    /// A missing required key with a near-miss among the mapping's unread keys (`kernal` for
    /// `kernel`) is reported as that unknown key, since the typo is the mistake.
    init(_ error: DecodingError, root: ConfigNode?, usage: KeyUsage?, source: String) {
        func locate(_ codingPath: [CodingKey]) -> (ConfigPath, ConfigOrigin?) {
            let path = ConfigPath(codingPath: codingPath, in: root)
            return (path, root.flatMap { ConfigError.origin(of: path, in: $0) })
        }
        func make(_ kind: Kind, _ path: ConfigPath, _ origin: ConfigOrigin?, _ message: String) -> ConfigError {
            ConfigError(kind, file: origin?.source ?? source, line: origin?.line, column: origin?.column,
                        keyPath: path.description, message: message)
        }
        func ownMessage(_ ctx: DecodingError.Context, or fallback: String) -> String {
            let d = ctx.debugDescription
            // JSONDecoder's own wording names Swift types; ours is written for people.
            if d.isEmpty || d.hasPrefix("No value associated") || d.hasPrefix("Expected to decode") || d.contains("CodingKeys(") {
                return fallback
            }
            return d
        }
        switch error {
        case let .keyNotFound(key, ctx):
            let (path, origin) = locate(ctx.codingPath)
            if let root, let container = root.node(at: path.components), case let .mapping(entries) = container.value {
                let read = usage?.keys(at: path) ?? []
                for e in entries where !read.contains(e.key) && ConfigError.isNearMiss(e.key, key.stringValue) {
                    self = make(.unknownKey(e.key, suggestion: key.stringValue), path, e.keyOrigin,
                                "unknown key '\(e.key)' (did you mean '\(key.stringValue)'?)")
                    return
                }
            }
            self = make(.missingKey(key.stringValue), path, origin, ownMessage(ctx, or: "missing required key '\(key.stringValue)'"))
        case let .typeMismatch(type, ctx):
            let (path, origin) = locate(ctx.codingPath)
            let expected = ConfigDecoder.describe(type)
            self = make(.typeMismatch(expected: expected), path, origin, ownMessage(ctx, or: "expected \(expected)"))
        case let .valueNotFound(type, ctx):
            let (path, origin) = locate(ctx.codingPath)
            let expected = ConfigDecoder.describe(type)
            self = make(.typeMismatch(expected: expected), path, origin, ownMessage(ctx, or: "expected \(expected), got null"))
        case let .dataCorrupted(ctx):
            let (path, origin) = locate(ctx.codingPath)
            self = make(.invalidValue, path, origin, ownMessage(ctx, or: "invalid value"))
        @unknown default:
            self = ConfigError(.invalidValue, file: source, message: "\(error)")
        }
    }

    /// Where the value at `path` was written: the line of its key for a mapping value (so a block
    /// section points at `head:` rather than its first child), else the value itself; for a path that
    /// does not exist, the deepest part that does.
    static func origin(of path: ConfigPath, in root: ConfigNode) -> ConfigOrigin? {
        var node = root
        var best: ConfigOrigin? = root.origin
        for c in path.components {
            switch (c, node.value) {
            case let (.key(k), .mapping(entries)):
                guard let e = entries.first(where: { $0.key == k }) else { return best }
                best = e.value.origin.line == nil ? e.value.origin : e.keyOrigin
                node = e.value
            case let (.index(i), .sequence(items)):
                guard items.indices.contains(i) else { return best }
                node = items[i]
                best = node.origin
            default:
                return best
            }
        }
        return best
    }

    /// The first key (in document order) that no decoder asked for, as an unknown-key error.
    ///
    /// Only mappings that were decoded are checked; below an unknown key nothing is, since the
    /// unknown key is the error to fix first.
    static func firstUnknownKey(in root: ConfigNode, usage: KeyUsage) -> ConfigError? {
        var found: [ConfigError] = []
        func walk(_ node: ConfigNode, _ path: ConfigPath) {
            switch node.value {
            case .scalar: return
            case let .sequence(items):
                for (i, item) in items.enumerated() { walk(item, path.appending(.index(i))) }
            case let .mapping(entries):
                guard let read = usage.keys(at: path) else { return }
                for e in entries {
                    if read.contains(e.key) {
                        walk(e.value, path.appending(.key(e.key)))
                    } else {
                        let suggestion = closest(to: e.key, in: read)
                        let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
                        found.append(ConfigError(.unknownKey(e.key, suggestion: suggestion), file: e.keyOrigin.source,
                                                 line: e.keyOrigin.line, column: e.keyOrigin.column, keyPath: path.description,
                                                 message: "unknown key '\(e.key)'\(hint)"))
                    }
                }
            }
        }
        walk(root, ConfigPath())
        // Report the earliest in the file; values from --set (no line) come after the file's own.
        return found.min { ($0.line ?? .max, $0.column ?? 0) < ($1.line ?? .max, $1.column ?? 0) }
    }

    /// The candidate nearest to `word` by edit distance, if near enough to be a likely typo.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        var best: (String, Int)?
        for c in candidates.sorted() {
            let d = editDistance(word, c)
            if isNearMiss(word, c, distance: d), best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    /// Whether `a` looks like a misspelling of `b`: within 1 edit for short words, 2 for longer ones.
    static func isNearMiss(_ a: String, _ b: String, distance: Int? = nil) -> Bool {
        guard a != b else { return false }
        let d = distance ?? editDistance(a, b)
        let allowed = min(a.count, b.count) <= 3 ? 1 : 2
        return d <= allowed && d < max(a.count, b.count)
    }

    /// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), case-insensitive.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased()), y = Array(b.lowercased())
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[x.count][y.count]
    }
}
