import CYaml

/// Reads one YAML document into a `ConfigNode` tree from libyaml's event stream (the libyaml that
/// ships inside Yams), in one pass and without recursion.
///
/// Reading events directly, rather than composing with `Yams.compose`, is what makes the limits
/// hold: an alias is refused when its event arrives, before any expansion, and keys are plain
/// scalars, so nothing downstream ever hashes or walks an aliased subtree. Configs therefore
/// may not use anchors (`&a`), aliases (`*a`), merge keys via aliases, explicit tags (`!!str`),
/// complex keys (`? [a, b]`) or several documents; all of these are `ConfigError.Kind.unsupported`.
enum YAMLReader {
    /// The root node (an empty document reads as null), or an error naming the line.
    static func read(_ text: String, source: String, limits: ConfigLimits = .default) throws -> ConfigNode {
        let bytes = Array(text.utf8)
        guard bytes.count <= limits.maxBytes else {
            throw ConfigError(.limit, file: source, message: "the file is \(bytes.count) bytes; configs are limited to \(limits.maxBytes) bytes")
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw ConfigError(.unreadable, file: source, message: "could not start the YAML parser (out of memory)")
        }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeBufferPointer { buf in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var builder = Builder(source: source, limits: limits)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { throw syntaxError(parser, source: source, limits: limits) }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.consume(event)
            }
            return builder.root ?? .null(ConfigOrigin(source: source, line: 1, column: 1))
        }
    }

    /// libyaml's problem and context as one message at the problem's line.
    private static func syntaxError(_ p: yaml_parser_t, source: String, limits: ConfigLimits) -> ConfigError {
        let problem = p.problem.map { String(cString: $0) } ?? "invalid YAML"
        // libyaml's scanner has its own (larger) nesting bound and may reach it while looking ahead.
        if problem.hasPrefix("Maximum nesting level") {
            return ConfigError(.limit, file: source, line: p.problem_mark.line + 1, column: p.problem_mark.column + 1,
                               message: "nesting is deeper than \(limits.maxDepth) levels")
        }
        if p.error == YAML_READER_ERROR {
            return ConfigError(.syntax, file: source, message: "\(problem) at byte \(p.problem_offset)")
        }
        var message = problem
        if let ctx = p.context {
            message += " (\(String(cString: ctx)) at line \(p.context_mark.line + 1))"
        }
        return ConfigError(.syntax, file: source, line: p.problem_mark.line + 1, column: p.problem_mark.column + 1,
                           message: message)
    }

    /// The tree under construction: a stack of open lists and mappings.
    private struct Builder {
        /// An open list or mapping. A struct mutated in place through `stack[last]`, so appending
        /// never copies the items gathered so far (an enum payload would, making a long list quadratic).
        struct Frame {
            var origin: ConfigOrigin
            var isMapping: Bool
            var items: [ConfigNode] = []
            var entries: [ConfigNode.Entry] = []
            var pendingKey: (String, ConfigOrigin)?
            var keys: Set<String> = []
        }

        let source: String
        let limits: ConfigLimits
        var stack: [Frame] = []
        var root: ConfigNode?
        var documents = 0
        var nodes = 0

        init(source: String, limits: ConfigLimits) {
            self.source = source
            self.limits = limits
        }

        func origin(_ m: yaml_mark_t) -> ConfigOrigin { ConfigOrigin(source: source, line: m.line + 1, column: m.column + 1) }

        func fail(_ kind: ConfigError.Kind, _ m: yaml_mark_t, _ message: String) -> ConfigError {
            ConfigError(kind, file: source, line: m.line + 1, column: m.column + 1, message: message)
        }

        /// Rejects anchors and tags on a node event and counts it.
        mutating func admit(anchor: UnsafeMutablePointer<yaml_char_t>?, tag: UnsafeMutablePointer<yaml_char_t>?,
                            _ m: yaml_mark_t) throws {
            if let anchor {
                let name = String(cString: anchor)
                throw fail(.unsupported, m, "anchors (&\(name)) and aliases are not allowed in configs; repeat the value instead")
            }
            if let tag {
                throw fail(.unsupported, m, "explicit tags (\(String(cString: tag))) are not allowed in configs")
            }
            nodes += 1
            guard nodes <= limits.maxNodes else {
                throw fail(.limit, m, "more than \(limits.maxNodes) values; configs are limited to \(limits.maxNodes)")
            }
        }

        /// A collection may not be a mapping key.
        func checkNotKey(_ m: yaml_mark_t) throws {
            if let top = stack.last, top.isMapping, top.pendingKey == nil {
                throw fail(.unsupported, m, "mapping keys must be plain strings, not lists or mappings")
            }
        }

        mutating func consume(_ e: yaml_event_t) throws {
            switch e.type {
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 { throw fail(.unsupported, e.start_mark, "a config holds one YAML document; found a second '---'") }
            case YAML_ALIAS_EVENT:
                let name = e.data.alias.anchor.map { String(cString: $0) } ?? ""
                throw fail(.unsupported, e.start_mark, "aliases (*\(name)) and anchors are not allowed in configs; repeat the value instead")
            case YAML_SCALAR_EVENT:
                let s = e.data.scalar
                try admit(anchor: s.anchor, tag: s.tag, e.start_mark)
                let text = s.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: s.length), as: UTF8.self) } ?? ""
                try attach(ConfigNode(value: .scalar(text, plain: s.style == YAML_PLAIN_SCALAR_STYLE), origin: origin(e.start_mark)),
                           e.start_mark)
            case YAML_SEQUENCE_START_EVENT:
                let s = e.data.sequence_start
                try admit(anchor: s.anchor, tag: s.tag, e.start_mark)
                try checkNotKey(e.start_mark)
                try push(Frame(origin: origin(e.start_mark), isMapping: false), e.start_mark)
            case YAML_MAPPING_START_EVENT:
                let s = e.data.mapping_start
                try admit(anchor: s.anchor, tag: s.tag, e.start_mark)
                try checkNotKey(e.start_mark)
                try push(Frame(origin: origin(e.start_mark), isMapping: true), e.start_mark)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let f = stack.removeLast()
                try attach(ConfigNode(value: f.isMapping ? .mapping(f.entries) : .sequence(f.items), origin: f.origin),
                           e.start_mark)
            default:
                break
            }
        }

        mutating func push(_ f: Frame, _ m: yaml_mark_t) throws {
            guard stack.count < limits.maxDepth else {
                throw fail(.limit, m, "nesting is deeper than \(limits.maxDepth) levels")
            }
            stack.append(f)
        }

        /// Adds a finished node to the open collection (or makes it the root).
        mutating func attach(_ node: ConfigNode, _ m: yaml_mark_t) throws {
            guard let last = stack.indices.last else { root = node; return }
            guard stack[last].isMapping else {
                stack[last].items.append(node)
                return
            }
            if let (key, keyOrigin) = stack[last].pendingKey {
                stack[last].entries.append(ConfigNode.Entry(key: key, keyOrigin: keyOrigin, value: node))
                stack[last].pendingKey = nil
                return
            }
            guard case let .scalar(key, _) = node.value else {
                throw fail(.unsupported, m, "mapping keys must be plain strings")
            }
            guard stack[last].keys.insert(key).inserted else {
                throw fail(.duplicateKey(key), m, "duplicate key '\(key)'")
            }
            stack[last].pendingKey = (key, node.origin)
        }
    }
}
