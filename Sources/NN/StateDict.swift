import TensorCore

/// An ordered map from PyTorch state-dict keys to tensors (order = PyTorch's `state_dict()` order).
public struct StateDict: Sequence, Sendable {
    /// Keys in order.
    public private(set) var keys: [String] = []
    private var storage: [String: Tensor] = [:]

    /// An empty state dict.
    public init() {}

    /// From ordered pairs; a repeated key keeps its first position and last value.
    public init(_ pairs: [(String, Tensor)]) {
        for (k, v) in pairs { self[k] = v }
    }

    /// The tensor under `key`; setting nil removes it.
    public subscript(key: String) -> Tensor? {
        get { storage[key] }
        set {
            if let v = newValue {
                if storage.updateValue(v, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Number of entries.
    public var count: Int { keys.count }

    /// Ordered (key, tensor) pairs.
    public var pairs: [(String, Tensor)] { keys.map { ($0, storage[$0]!) } }

    /// Iterates in order.
    public func makeIterator() -> IndexingIterator<[(String, Tensor)]> { pairs.makeIterator() }
}

/// What `Module.load(stateDict:strict:)` did: keys missing from the file, unexpected ones, shape mismatches.
public struct StateDictLoadResult: Equatable, Sendable, CustomStringConvertible {
    /// Model keys absent from the state dict (left unchanged).
    public var missingKeys: [String] = []
    /// State-dict keys the model does not have (ignored).
    public var unexpectedKeys: [String] = []
    /// Keys present in both with different shapes (left unchanged).
    public var shapeMismatches: [ShapeMismatch] = []
    /// Keys whose values were loaded.
    public var loadedKeys: [String] = []

    /// One key whose shapes differ.
    public struct ShapeMismatch: Equatable, Sendable {
        /// State-dict key.
        public var key: String
        /// Shape in the model.
        public var expected: [Int]
        /// Shape in the state dict.
        public var found: [Int]
    }

    /// True when everything matched.
    public var isClean: Bool { missingKeys.isEmpty && unexpectedKeys.isEmpty && shapeMismatches.isEmpty }

    /// A multi-line summary, PyTorch-style.
    public var description: String {
        var lines = ["loaded \(loadedKeys.count) keys"]
        if !missingKeys.isEmpty { lines.append("missing keys: \(missingKeys.joined(separator: ", "))") }
        if !unexpectedKeys.isEmpty { lines.append("unexpected keys: \(unexpectedKeys.joined(separator: ", "))") }
        for m in shapeMismatches { lines.append("size mismatch for \(m.key): model has \(m.expected), state dict has \(m.found)") }
        return lines.joined(separator: "\n")
    }
}

/// Error thrown by a strict `load(stateDict:)`: it carries the whole report.
public struct StateDictLoadError: Error, CustomStringConvertible {
    /// What did not match.
    public let result: StateDictLoadResult
    /// A readable message listing every problem.
    public var description: String { "Error(s) in loading state dict:\n\(result.description)" }
}

extension Module {
    /// Parameters and persistent buffers by key, in PyTorch's `state_dict()` order.
    public func stateDict() -> StateDict {
        var sd = StateDict()
        for (path, m) in namedModules() {
            let own = m.ownTensors()
            let pre = path.isEmpty ? "" : path + "."
            for (k, p) in own.parameters { sd[pre + k] = p.value.detach() }
            for (k, b) in own.buffers where b.persistent { sd[pre + k] = b.value }
        }
        return sd
    }

    /// Copies matching tensors from `stateDict` into this module (converting dtypes to the slot's dtype).
    ///
    /// With `strict`, any missing, unexpected or mismatched key throws `StateDictLoadError` and
    /// nothing is changed; otherwise matching keys load and the result lists the rest.
    @discardableResult
    public func load(stateDict: StateDict, strict: Bool = true) throws -> StateDictLoadResult {
        var result = StateDictLoadResult()
        var targets: [(String, Tensor, (Tensor) -> Void)] = []
        for (path, m) in namedModules() {
            let own = m.ownTensors()
            let pre = path.isEmpty ? "" : path + "."
            for (k, p) in own.parameters { targets.append((pre + k, p.value, { p.value = $0 })) }
            for (k, b) in own.buffers where b.persistent { targets.append((pre + k, b.value, { b.value = $0 })) }
        }
        let known = Set(targets.map { $0.0 })
        result.unexpectedKeys = stateDict.keys.filter { !known.contains($0) }
        var apply: [() -> Void] = []
        for (key, current, set) in targets {
            guard let t = stateDict[key] else { result.missingKeys.append(key); continue }
            if t.shape != current.shape {
                result.shapeMismatches.append(.init(key: key, expected: current.shape, found: t.shape))
                continue
            }
            let converted = t.dtype == current.dtype ? t.contiguousCopy() : t.to(current.dtype).contiguousCopy()
            apply.append { set(converted) }
            result.loadedKeys.append(key)
        }
        if strict && !result.isClean { throw StateDictLoadError(result: result) }
        for a in apply { a() }
        return result
    }
}
