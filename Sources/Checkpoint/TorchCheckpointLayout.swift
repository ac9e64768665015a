import TensorCore
import NN
import Optimizers

/// The shapes PyTorch scripts give their checkpoints, and conversions between `CheckpointValue`
/// and Cairn's `StateDict` / `OptimizerStateDict`.
///
/// Recognized: a bare state dict (`model.state_dict()`, possibly with DataParallel's `module.`
/// prefix); the tutorial dict `{"epoch", "model_state_dict", "optimizer_state_dict", "loss"}`;
/// `{"model", "optimizer", …}`; and Lightning's `{"state_dict", "optimizer_states", "epoch",
/// "global_step", …}` (keys prefixed by the LightningModule's attribute, often `model.`).
public enum TorchCheckpointLayout {
    /// Which checkpoint shape a value has.
    public enum Kind: String, Sendable, Equatable {
        /// The object is the model's state dict itself.
        case stateDict
        /// `{"epoch", "model_state_dict", "optimizer_state_dict", "loss", …}` (the PyTorch tutorial form).
        case tutorial
        /// `{"model": state dict, "optimizer": optimizer state, …}`.
        case modelOptimizer
        /// PyTorch Lightning: `{"state_dict", "optimizer_states", "epoch", "global_step", …}`.
        case lightning
    }

    /// The key holding the model state dict for each layout (nil for a bare state dict).
    static func modelKey(_ kind: Kind) -> String? {
        switch kind {
        case .stateDict: return nil
        case .tutorial: return "model_state_dict"
        case .modelOptimizer: return "model"
        case .lightning: return "state_dict"
        }
    }

    /// Detects the layout of `value`; nil if it is none of the known shapes.
    public static func kind(of value: CheckpointValue) -> Kind? {
        guard let entries = value.dictValue else { return nil }
        if value["model_state_dict"]?.dictValue != nil { return .tutorial }
        if value["state_dict"]?.dictValue != nil, value["optimizer_states"] != nil || value["global_step"] != nil
            || value["pytorch-lightning_version"] != nil || value["epoch"] != nil { return .lightning }
        if let m = value["model"], isStateDict(m) { return .modelOptimizer }
        if isStateDict(value) { return .stateDict }
        if value["state_dict"]?.dictValue != nil { return .lightning }
        _ = entries
        return nil
    }

    /// Whether `value` is a dict of string keys to tensors (the empty dict counts).
    public static func isStateDict(_ value: CheckpointValue) -> Bool {
        guard let e = value.dictValue else { return false }
        return e.allSatisfy { $0.key.stringValue != nil && $0.value.tensorValue != nil }
    }

    // MARK: - Model state

    /// A `StateDict` from a dict of string keys to tensors; any other entry throws, naming its key.
    public static func stateDict(from value: CheckpointValue, file: String = "<value>", context: String = "state_dict") throws -> StateDict {
        guard let entries = value.dictValue else {
            throw TorchFileError.unexpectedStructure(file: file, key: context, expected: "a state dict (dict of tensors)", found: value.kindName)
        }
        var sd = StateDict()
        for (k, v) in entries {
            guard let key = k.stringValue else {
                throw TorchFileError.unexpectedStructure(file: file, key: "\(context)[\(k.kindName)]", expected: "a string key", found: k.kindName)
            }
            guard let t = v.tensorValue else {
                throw TorchFileError.unexpectedStructure(file: file, key: "\(context).\(key)", expected: "a tensor", found: v.kindName)
            }
            sd[key] = t
        }
        return sd
    }

    /// A state dict as torch's `state_dict()` writes it: an `OrderedDict`, without `_metadata`.
    public static func value(from stateDict: StateDict) -> CheckpointValue {
        .orderedDict(stateDict.pairs.map { (key: .string($0.0), value: .tensor($0.1)) })
    }

    /// The prefix every key of `stateDict` starts with among `candidates` (`module.` from
    /// DataParallel, `model.` from Lightning), applied repeatedly (`module.model.`); "" if none.
    public static func commonPrefix(of stateDict: StateDict, candidates: [String] = ["module.", "model."]) -> String {
        var prefix = ""
        var keys = stateDict.keys
        while !keys.isEmpty, let c = candidates.first(where: { c in keys.allSatisfy { $0.hasPrefix(c) && $0.count > c.count } }) {
            prefix += c
            keys = keys.map { String($0.dropFirst(c.count)) }
        }
        return prefix
    }

    /// `stateDict` with `prefix` removed from every key that has it.
    public static func stripping(_ prefix: String, from stateDict: StateDict) -> StateDict {
        guard !prefix.isEmpty else { return stateDict }
        return StateDict(stateDict.pairs.map { ($0.0.hasPrefix(prefix) ? String($0.0.dropFirst(prefix.count)) : $0.0, $0.1) })
    }

    /// Renames keys to match `expected` (a model's keys): as they are, or without a `module.`/`model.`
    /// prefix, or with one added — whichever matches the most expected keys.
    public static func adaptKeys(_ stateDict: StateDict, to expected: [String]) -> StateDict {
        let want = Set(expected)
        var candidates = [stateDict]
        let common = commonPrefix(of: stateDict)
        if !common.isEmpty { candidates.append(stripping(common, from: stateDict)) }
        for p in ["module.", "model."] {
            candidates.append(stripping(p, from: stateDict))
            candidates.append(StateDict(stateDict.pairs.map { (p + $0.0, $0.1) }))
        }
        return candidates.max { a, b in
            a.keys.filter(want.contains).count < b.keys.filter(want.contains).count
        } ?? stateDict
    }

    /// The model state dict of any recognized layout, with a common `module.` prefix removed (and
    /// Lightning's `model.` prefix); `strippedPrefix` reports what was removed.
    public static func modelStateDict(in value: CheckpointValue, file: String = "<value>") throws
        -> (stateDict: StateDict, kind: Kind, strippedPrefix: String) {
        guard let kind = kind(of: value) else {
            throw TorchFileError.unexpectedStructure(file: file, key: "<root>",
                expected: "a state dict or a checkpoint dict with 'model_state_dict', 'model' or 'state_dict'",
                found: value.dictValue == nil ? value.kindName : "a dict with keys \(value.stringKeys ?? [])")
        }
        let inner = modelKey(kind).flatMap { value[$0] } ?? value
        let sd = try stateDict(from: inner, file: file, context: modelKey(kind) ?? "state_dict")
        let prefix = commonPrefix(of: sd, candidates: kind == .lightning ? ["module.", "model."] : ["module."])
        return (stripping(prefix, from: sd), kind, prefix)
    }

    // MARK: - Optimizer state

    /// Where the optimizer state of a checkpoint dict is: `optimizer_state_dict`, `optimizer`, or
    /// Lightning's first `optimizer_states` entry (the first present that is not None); nil if none.
    public static func optimizerStateLocation(in value: CheckpointValue) -> (key: String, value: CheckpointValue)? {
        guard kind(of: value) != .stateDict else { return nil }
        for key in ["optimizer_state_dict", "optimizer"] {
            if let v = value[key], v.dictValue != nil { return (key, v) }
        }
        if let first = value["optimizer_states"]?.listValue?.first { return ("optimizer_states[0]", first) }
        return nil
    }

    /// The optimizer state value of a checkpoint (see `optimizerStateLocation(in:)`).
    public static func optimizerStateValue(in value: CheckpointValue) -> CheckpointValue? {
        optimizerStateLocation(in: value)?.value
    }

    /// Converts torch's `optimizer.state_dict()` (`{"state": {int: {...}}, "param_groups": [...]}`).
    ///
    /// A `step` saved as a Python number (older torch) becomes a 0-d float32 tensor.
    public static func optimizerStateDict(from value: CheckpointValue, file: String = "<value>",
                                          context: String = "optimizer_state_dict") throws -> OptimizerStateDict {
        func unexpected(_ key: String, _ expected: String, _ found: CheckpointValue) -> TorchFileError {
            .unexpectedStructure(file: file, key: key, expected: expected, found: found.kindName)
        }
        guard value.dictValue != nil else { throw unexpected(context, "an optimizer state dict", value) }
        guard let state = value["state"], let stateEntries = state.dictValue else {
            throw unexpected(context + ".state", "a dict", value["state"] ?? .none)
        }
        guard let groups = value["param_groups"], let groupList = groups.listValue else {
            throw unexpected(context + ".param_groups", "a list", value["param_groups"] ?? .none)
        }
        var out = OptimizerStateDict()
        for (k, v) in stateEntries {
            guard let index = k.intValue, case .int = k else { throw unexpected(context + ".state", "int parameter indices", k) }
            let path = "\(context).state.\(index)"
            guard let entries = v.dictValue else { throw unexpected(path, "a dict", v) }
            var sd = StateDict()
            for (name, x) in entries {
                guard let n = name.stringValue else { throw unexpected(path, "string keys", name) }
                if let t = x.tensorValue {
                    sd[n] = t
                } else if let d = x.doubleValue, case .int = x {
                    sd[n] = Tensor(scalar: Float(d))
                } else if case .double(let d) = x {
                    sd[n] = Tensor(scalar: Float(d))
                } else {
                    throw unexpected("\(path).\(n)", "a tensor or a number", x)
                }
            }
            out.state[index] = sd
        }
        for (g, group) in groupList.enumerated() {
            let path = "\(context).param_groups[\(g)]"
            guard let entries = group.dictValue else { throw unexpected(path, "a dict", group) }
            var d = HyperDict()
            for (k, v) in entries {
                guard let key = k.stringValue else { throw unexpected(path, "string keys", k) }
                d[key] = try hyperValue(v, file: file, key: "\(path).\(key)")
            }
            out.paramGroups.append(d)
        }
        return out
    }

    /// torch's `optimizer.state_dict()` structure for `state`: `{"state": …, "param_groups": […]}`.
    public static func value(from state: OptimizerStateDict) -> CheckpointValue {
        let s: CheckpointValue.Entries = state.stateIndices.map { i in
            (key: .int(Int64(i)), value: .dict(state.state[i]!.pairs.map { (key: .string($0.0), value: .tensor($0.1)) }))
        }
        let groups: [CheckpointValue] = state.paramGroups.map { g in
            .dict(g.pairs.map { (key: .string($0.0), value: value(from: $0.1)) })
        }
        return .dict([(key: "state", value: .dict(s)), (key: "param_groups", value: .list(groups))])
    }

    /// A hyper-parameter as a checkpoint value (a Counter becomes a dict of int counts).
    public static func value(from h: HyperValue) -> CheckpointValue {
        switch h {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(Int64(i))
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .tuple(let a): return .tuple(a.map(value(from:)))
        case .list(let a): return .list(a.map(value(from:)))
        case .dict(let d): return .dict(d.pairs.map { (key: .string($0.0), value: value(from: $0.1)) })
        case .counter(let e): return .dict(e.map { (key: .int(Int64($0.key)), value: .int(Int64($0.count))) })
        }
    }

    /// A checkpoint value as a hyper-parameter; tensors and non-string dict keys throw, naming `key`.
    public static func hyperValue(_ v: CheckpointValue, file: String = "<value>", key: String) throws -> HyperValue {
        switch v {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i):
            guard let n = Int(exactly: i) else { throw TorchFileError.unexpectedStructure(file: file, key: key, expected: "an int", found: "\(i)") }
            return .int(n)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .tuple(let a): return .tuple(try a.enumerated().map { try hyperValue($1, file: file, key: "\(key)[\($0)]") })
        case .list(let a): return .list(try a.enumerated().map { try hyperValue($1, file: file, key: "\(key)[\($0)]") })
        case .dict(let e), .orderedDict(let e, _):
            var d = HyperDict()
            for (k, x) in e {
                guard let s = k.stringValue else {
                    throw TorchFileError.unexpectedStructure(file: file, key: key, expected: "string keys", found: k.kindName)
                }
                d[s] = try hyperValue(x, file: file, key: "\(key).\(s)")
            }
            return .dict(d)
        case .bytes, .tensor:
            throw TorchFileError.unexpectedStructure(file: file, key: key, expected: "a number, string, bool, None or container", found: v.kindName)
        }
    }
}
