import Foundation
/// One `--set key.path=value` override, applied to the YAML tree before the config is decoded, so
/// an overridden value is checked exactly like one in the file.
///
/// The path is dotted keys and list indices (`model.layers[6].linear.out`; a negative index counts
/// from the end, and `[n]` with n = the list's length appends). Missing mappings on the way are
/// created. The value is a YAML scalar (`0.0005`, `true`, `data/x`), or a flow list, flow mapping or
/// quoted string when it starts with `[`, `{`, `"` or `'`.
public struct ConfigOverride: Equatable, Sendable {
    /// The override as given (`optimizer.lr=0.0005`).
    public let text: String
    /// The key path (`optimizer.lr`).
    public let keyPath: String
    /// The value text (`0.0005`).
    public let value: String
    let path: ConfigPath

    /// Splits `key.path=value`; throws `ConfigError.Kind.badOverride` for a malformed one.
    public init(_ text: String) throws {
        self.text = text
        let source = "--set \(text)"
        guard let eq = text.firstIndex(of: "=") else {
            throw ConfigError(.badOverride, file: source, message: "expected key.path=value")
        }
        keyPath = text[..<eq].trimmingCharacters(in: .whitespaces)
        value = String(text[text.index(after: eq)...])
        guard let p = ConfigPath.parse(keyPath) else {
            throw ConfigError(.badOverride, file: source, message:
                "'\(keyPath)' is not a key path (dotted keys and [index], e.g. model.layers[6].linear.out)")
        }
        path = p
    }

    /// Where values from this override come from.
    var origin: ConfigOrigin { ConfigOrigin(source: "--set \(text)", line: nil, column: nil) }

    /// The value as a node: a plain scalar, or YAML when it starts like a flow collection or quoted string.
    func valueNode(limits: ConfigLimits) throws -> ConfigNode {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard let first = trimmed.first, "[{\"'".contains(first) else {
            return ConfigNode(value: .scalar(trimmed, plain: true), origin: origin)
        }
        return relocated(try YAMLReader.read(trimmed, source: origin.source, limits: limits))
    }

    /// The node with every position replaced by this override's.
    private func relocated(_ n: ConfigNode) -> ConfigNode {
        var n = n
        n.origin = origin
        switch n.value {
        case .scalar: break
        case let .sequence(items): n.value = .sequence(items.map(relocated))
        case let .mapping(entries):
            n.value = .mapping(entries.map { ConfigNode.Entry(key: $0.key, keyOrigin: origin, value: relocated($0.value)) })
        }
        return n
    }

    /// Sets the value at `path` in `root`.
    func apply(to root: inout ConfigNode, limits: ConfigLimits) throws {
        let v = try valueNode(limits: limits)
        try set(&root, ArraySlice(path.components), v, walked: ConfigPath())
    }

    private func fail(_ walked: ConfigPath, _ message: String) -> ConfigError {
        ConfigError(.badOverride, file: origin.source, keyPath: walked.description, message: message)
    }

    private func set(_ node: inout ConfigNode, _ rest: ArraySlice<ConfigPath.Component>, _ value: ConfigNode, walked: ConfigPath) throws {
        guard let step = rest.first else { node = value; return }
        let next = walked.appending(step)
        switch step {
        case let .key(k):
            if node.isNull { node.value = .mapping([]) }
            guard case var .mapping(entries) = node.value else {
                throw fail(walked, "is \(node.summary), not a mapping, so it has no key '\(k)'")
            }
            if let i = entries.firstIndex(where: { $0.key == k }) {
                try set(&entries[i].value, rest.dropFirst(), value, walked: next)
            } else {
                var child = ConfigNode.null(origin)
                try set(&child, rest.dropFirst(), value, walked: next)
                entries.append(ConfigNode.Entry(key: k, keyOrigin: origin, value: child))
            }
            node.value = .mapping(entries)
        case let .index(i):
            guard case var .sequence(items) = node.value else {
                throw fail(walked, "is \(node.summary), not a list, so it has no index [\(i)]")
            }
            let j = i < 0 ? items.count + i : i
            if j == items.count, rest.count == 1 {
                items.append(value)
            } else {
                guard items.indices.contains(j) else {
                    throw fail(walked, "has \(items.count) item\(items.count == 1 ? "" : "s"); index \(i) is out of range")
                }
                try set(&items[j], rest.dropFirst(), value, walked: next)
            }
            node.value = .sequence(items)
        }
    }
}
