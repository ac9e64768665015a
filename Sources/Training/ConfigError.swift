/// A problem in a run configuration, located like a compiler diagnostic (`config.yaml:12: key.path: message`).
///
/// `file` is the config file (or the `--set` override that introduced the value), `line`/`column`
/// are 1-based and nil when the value has no position (an override, a default), and `keyPath`
/// names the offending value (`model.layers[3].conv2d`; empty for the document itself).
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, for code that reacts to a kind of mistake rather than its wording.
    public enum Kind: Equatable, Sendable {
        /// The text is not valid YAML.
        case syntax
        /// Valid YAML that configs do not allow: anchors, aliases, tags, complex keys, several documents.
        case unsupported
        /// The file is too large, too deeply nested or has too many values.
        case limit
        /// A key that the section does not have; `suggestion` is the closest known key.
        case unknownKey(String, suggestion: String?)
        /// A key the section needs is absent.
        case missingKey(String)
        /// The same key appears twice in one mapping.
        case duplicateKey(String)
        /// A value of the wrong type; `expected` reads like "an integer".
        case typeMismatch(expected: String)
        /// A value of the right type that is out of range or inconsistent with another.
        case invalidValue
        /// A `--set` override that is not `key.path=value` or does not fit the document.
        case badOverride
        /// The file could not be read.
        case unreadable
    }

    /// The kind of mistake.
    public var kind: Kind
    /// The config file's name as given, or the `--set …` text for an overridden value.
    public var file: String
    /// 1-based line of the offending value, when known.
    public var line: Int?
    /// 1-based column of the offending value, when known.
    public var column: Int?
    /// Dotted path of the offending value (`training.epochs`, `model.layers[2]`); empty for the whole document.
    public var keyPath: String
    /// What is wrong, as a sentence fragment without the location.
    public var message: String

    /// An error at a position.
    public init(_ kind: Kind, file: String, line: Int? = nil, column: Int? = nil, keyPath: String = "", message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// One line: `file:line: key.path: message`.
    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        s += ": "
        if !keyPath.isEmpty { s += keyPath + ": " }
        return s + message
    }
}
