import Foundation
import Crypto
import TensorCore
import NN

/// Names, shapes and dtypes of a model's state-dict entries (plus its module types): enough to tell
/// before loading whether a checkpoint fits a model, and where it does not.
///
/// `digest` is a SHA-256 over a canonical text of the entries, so two fingerprints are equal exactly
/// when the entries are; `diff(_:)` lists what changed, per key and per layer.
public struct ArchitectureFingerprint: Codable, Sendable, Equatable {
    /// One state-dict entry.
    public struct Entry: Codable, Sendable, Equatable {
        /// State-dict key.
        public var key: String
        /// Tensor shape.
        public var shape: [Int]
        /// Element type.
        public var dtype: DType
        /// Whether it is a trainable parameter (false: a buffer, or unknown for a bare state dict).
        public var isParameter: Bool

        /// Makes an entry.
        public init(key: String, shape: [Int], dtype: DType, isParameter: Bool) {
            self.key = key
            self.shape = shape
            self.dtype = dtype
            self.isParameter = isParameter
        }

        private enum CodingKeys: String, CodingKey { case key, shape, dtype, isParameter = "parameter" }
    }

    /// Entries in state-dict order.
    public var entries: [Entry]
    /// Module paths with their type names (`""` is the root), in `namedModules()` order; empty when
    /// taken from a bare state dict.
    public var modules: [String: String]
    /// Hex SHA-256 of the canonical entry text (keys, shapes, dtypes).
    public var digest: String

    /// The fingerprint of a model's state dict and module tree.
    public init(model: Module) {
        let params = Set(model.namedParameters().map(\.0))
        let sd = model.stateDict()
        let entries = sd.map { Entry(key: $0.0, shape: $0.1.shape, dtype: $0.1.dtype, isParameter: params.contains($0.0)) }
        var modules: [String: String] = [:]
        for (path, m) in model.namedModules() { modules[path] = m.typeName }
        self.init(entries: entries, modules: modules)
    }

    /// The fingerprint of a bare state dict (every entry counted as a parameter of unknown kind).
    public init(stateDict: StateDict) {
        self.init(entries: stateDict.map { Entry(key: $0.0, shape: $0.1.shape, dtype: $0.1.dtype, isParameter: false) },
                  modules: [:])
    }

    /// From entries; computes the digest.
    public init(entries: [Entry], modules: [String: String] = [:]) {
        self.entries = entries
        self.modules = modules
        self.digest = ArchitectureFingerprint.digest(of: entries)
    }

    /// SHA-256 of `key\tdtype\tshape\n` lines in state-dict order.
    static func digest(of entries: [Entry]) -> String {
        var text = ""
        for e in entries { text += "\(e.key)\t\(e.dtype.rawValue)\t\(e.shape.map(String.init).joined(separator: ","))\n" }
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Total number of elements over all entries.
    public var elementCount: Int { entries.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    /// What changed going from `self` (e.g. the checkpoint) to `other` (e.g. the model being loaded).
    public func diff(_ other: ArchitectureFingerprint) -> Diff {
        var d = Diff()
        let mine = Dictionary(entries.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let theirs = Dictionary(other.entries.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        for e in entries {
            guard let o = theirs[e.key] else { d.removed.append(e.key); continue }
            if o.shape != e.shape { d.shapeChanged.append(.init(key: e.key, old: e.shape, new: o.shape)) }
            if o.dtype != e.dtype { d.dtypeChanged.append(.init(key: e.key, old: e.dtype, new: o.dtype)) }
        }
        d.added = other.entries.map(\.key).filter { mine[$0] == nil }
        for (path, type) in modules.sorted(by: { $0.key < $1.key }) {
            if let t = other.modules[path], t != type { d.typeChanged.append(.init(path: path, old: type, new: t)) }
        }
        return d
    }

    /// The differences between two fingerprints, per key and grouped into layers.
    public struct Diff: Codable, Sendable, Equatable, CustomStringConvertible {
        /// A key whose shape changed.
        public struct ShapeChange: Codable, Sendable, Equatable {
            /// State-dict key.
            public var key: String
            /// Shape before (checkpoint).
            public var old: [Int]
            /// Shape after (model).
            public var new: [Int]
            /// Makes a change record.
            public init(key: String, old: [Int], new: [Int]) { self.key = key; self.old = old; self.new = new }
        }
        /// A key whose dtype changed.
        public struct DTypeChange: Codable, Sendable, Equatable {
            /// State-dict key.
            public var key: String
            /// Dtype before.
            public var old: DType
            /// Dtype after.
            public var new: DType
            /// Makes a change record.
            public init(key: String, old: DType, new: DType) { self.key = key; self.old = old; self.new = new }
        }
        /// A module whose type changed.
        public struct TypeChange: Codable, Sendable, Equatable {
            /// Module path.
            public var path: String
            /// Type before.
            public var old: String
            /// Type after.
            public var new: String
            /// Makes a change record.
            public init(path: String, old: String, new: String) { self.path = path; self.old = old; self.new = new }
        }

        /// Keys only in the new fingerprint.
        public var added: [String] = []
        /// Keys only in the old fingerprint.
        public var removed: [String] = []
        /// Keys in both whose shapes differ.
        public var shapeChanged: [ShapeChange] = []
        /// Keys in both whose dtypes differ.
        public var dtypeChanged: [DTypeChange] = []
        /// Module paths in both whose types differ.
        public var typeChanged: [TypeChange] = []

        /// An empty diff.
        public init() {}

        /// Whether nothing changed.
        public var isEmpty: Bool {
            added.isEmpty && removed.isEmpty && shapeChanged.isEmpty && dtypeChanged.isEmpty && typeChanged.isEmpty
        }

        /// Layers (key prefixes before the last dot) that are new: every key under them was added.
        public var newLayers: [String] { Self.layers(of: added, excluding: removed + shapeChanged.map(\.key)) }
        /// Layers that are gone: every key under them was removed.
        public var removedLayers: [String] { Self.layers(of: removed, excluding: added + shapeChanged.map(\.key)) }
        /// Layers with at least one key whose shape changed.
        public var changedLayers: [String] { Self.unique(shapeChanged.map { Self.layer(of: $0.key) }) }

        static func layer(of key: String) -> String {
            guard let dot = key.lastIndex(of: ".") else { return "" }
            return String(key[..<dot])
        }

        static func unique(_ xs: [String]) -> [String] {
            var seen = Set<String>()
            return xs.filter { seen.insert($0).inserted }
        }

        static func layers(of keys: [String], excluding others: [String]) -> [String] {
            let busy = Set(others.map(layer(of:)))
            return unique(keys.map(layer(of:))).filter { !busy.contains($0) }
        }

        /// One line per change, e.g. `~ 2.weight: [10, 64] → [5, 64]`.
        public var description: String {
            if isEmpty { return "architecture unchanged" }
            var lines: [String] = []
            for c in shapeChanged { lines.append("~ \(c.key): shape \(c.old) → \(c.new)") }
            for c in dtypeChanged { lines.append("~ \(c.key): dtype \(c.old.rawValue) → \(c.new.rawValue)") }
            for c in typeChanged { lines.append("~ \(c.path.isEmpty ? "<root>" : c.path): \(c.old) → \(c.new)") }
            for k in added { lines.append("+ \(k)") }
            for k in removed { lines.append("- \(k)") }
            return lines.joined(separator: "\n")
        }
    }
}
