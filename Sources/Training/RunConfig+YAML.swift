import Foundation

extension RunConfig {
    /// Reads, overrides, decodes and checks the config file at `path`.
    ///
    /// At most `limits.maxBytes` are read; errors name the file, line and key path.
    public static func load(path: String, overrides: [String] = [], limits: ConfigLimits = .default) throws -> RunConfig {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(.unreadable, file: path, message: "no such file")
        }
        guard !isDirectory.boolValue else { throw ConfigError(.unreadable, file: path, message: "is a directory, not a config file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigError(.unreadable, file: path, message: "cannot be opened for reading")
        }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: limits.maxBytes + 1) ?? Data() } catch {
            throw ConfigError(.unreadable, file: path, message: "cannot be read: \(error.localizedDescription)")
        }
        guard data.count <= limits.maxBytes else {
            throw ConfigError(.limit, file: path, message: "is larger than \(limits.maxBytes) bytes; configs are limited to \(limits.maxBytes) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(.syntax, file: path, message: "is not UTF-8 text")
        }
        return try parse(yaml: text, source: path, overrides: overrides, limits: limits)
    }

    /// Parses YAML (or JSON, which is YAML) text named `source` in messages, applies `overrides`
    /// (`key.path=value`, in order), decodes, rejects unknown keys, fills in inferred values and
    /// checks the sections against each other.
    public static func parse(yaml: String, source: String = "<config>", overrides: [String] = [],
                             limits: ConfigLimits = .default) throws -> RunConfig {
        var root = try YAMLReader.read(yaml, source: source, limits: limits)
        if root.isNull { root = ConfigNode(value: .mapping([]), origin: root.origin) }
        guard case .mapping = root.value else {
            throw ConfigError(.typeMismatch(expected: "a mapping"), file: source, line: root.origin.line, column: root.origin.column,
                              message: "a config is a mapping of sections (model, data, training, …), got \(root.summary)")
        }
        for text in overrides { try ConfigOverride(text).apply(to: &root, limits: limits) }
        return try decode(root, source: source)
    }

    /// Decodes a document tree: Codable decoding, then unknown keys, then inferred values and cross-checks.
    static func decode(_ root: ConfigNode, source: String) throws -> RunConfig {
        let usage = KeyUsage()
        var config: RunConfig
        do {
            config = try RunConfig(from: ConfigDecoder(node: root, usage: usage))
        } catch let e as DecodingError {
            throw ConfigError(e, root: root, usage: usage, source: source)
        }
        if let unknown = ConfigError.firstUnknownKey(in: root, usage: usage) { throw unknown }
        config.fillInferredValues()
        if let issue = config.firstIssue() {
            let origin = ConfigError.origin(of: issue.path, in: root)
            throw ConfigError(issue.kind, file: origin?.source ?? source, line: origin?.line, column: origin?.column,
                              keyPath: issue.path.description, message: issue.message)
        }
        return config
    }

    /// The effective configuration as YAML: every section and option with its value (defaults and
    /// inferred values included), keys in a fixed order; `parse` reads it back to an equal config.
    public func yaml() -> String {
        do {
            return YAMLEmitter.emit(try ConfigEncoder.encode(self))
        } catch {
            // Every encode(to:) here only writes values; none can fail.
            preconditionFailure("RunConfig.yaml: encoding failed: \(error)")
        }
    }

    /// The configuration as compact JSON with sorted keys (for `trainer_state.json`); `parse` reads it back.
    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }

    /// Checks the sections against each other (shapes, indices, monitors), as `parse` does;
    /// for a config built or edited in code. The error has a key path but no line.
    public func validate() throws {
        if let issue = firstIssue() {
            throw ConfigError(issue.kind, file: "<config>", keyPath: issue.path.description, message: issue.message)
        }
    }
}
