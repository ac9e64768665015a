import TensorCore

// Converting between nested checkpoint objects and flat dotted keys (`model.0.weight`), the form
// safetensors files and `cairn convert` use.

extension CheckpointValue {
    /// Every leaf (anything but a dict, list or tuple) under its dotted key path, in order.
    ///
    /// Dict keys are used as text (ints in decimal), list and tuple elements by index, so
    /// `{"model": {"0.weight": T}, "steps": [1, 2]}` gives `model.0.weight`, `steps.0`, `steps.1`.
    /// Empty containers have no leaves and disappear. Throws `unexpectedStructure` when two paths
    /// collide (`{"a.b": x, "a": {"b": y}}`) or a dict key is neither a string nor an int.
    public func flattened(separator: String = ".") throws -> [(key: String, value: CheckpointValue)] {
        var out: [(key: String, value: CheckpointValue)] = []
        var seen = Set<String>()
        var work: [(String, CheckpointValue)] = [("", self)]
        func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : a + separator + b }
        while let (path, v) = work.popLast() {
            var children: [(String, CheckpointValue)] = []
            switch v {
            case .dict(let entries), .orderedDict(let entries, _):
                for (k, value) in entries {
                    let name: String
                    switch k {
                    case .string(let s): name = s
                    case .int(let i): name = String(i)
                    default:
                        throw TorchFileError.unexpectedStructure(file: "<value>", key: join(path, "<\(k.kindName)>"),
                                                                 expected: "a string or int dict key", found: k.kindName)
                    }
                    children.append((join(path, name), value))
                }
            case .list(let items), .tuple(let items):
                for (i, value) in items.enumerated() { children.append((join(path, String(i)), value)) }
            default:
                guard seen.insert(path).inserted else {
                    throw TorchFileError.unexpectedStructure(file: "<value>", key: path, expected: "a unique flattened key",
                                                             found: "two values under the same dotted path")
                }
                out.append((key: path, value: v))
                continue
            }
            work.append(contentsOf: children.reversed())
        }
        return out
    }

    /// The tensors among `flattened(separator:)`, under their dotted keys, in order.
    public func flattenedTensors(separator: String = ".") throws -> [(key: String, tensor: Tensor)] {
        try flattened(separator: separator).compactMap { p in p.value.tensorValue.map { (key: p.key, tensor: $0) } }
    }

    /// Nests flat dotted keys back into dicts: the first `levels` components of each key become
    /// nested plain dicts, the rest stays one dotted key of an innermost `OrderedDict` (a state dict).
    ///
    /// `levels: 0` gives a flat state dict; `levels: 1` turns `model_state_dict.0.weight` into
    /// `{"model_state_dict": OrderedDict{"0.weight": T}}`. Keys with fewer components than `levels`
    /// stay at the level where they run out. Order follows first appearance.
    public static func nested(_ pairs: [(key: String, value: CheckpointValue)], levels: Int = 0,
                              separator: String = ".") -> CheckpointValue {
        if levels <= 0 { return .orderedDict(pairs.map { (key: .string($0.key), value: $0.value) }) }
        var order: [String] = []
        var groups: [String: [(key: String, value: CheckpointValue)]] = [:]
        var leaves: [String: CheckpointValue] = [:]
        for (k, v) in pairs {
            guard let r = k.range(of: separator) else {
                if leaves[k] == nil && groups[k] == nil { order.append(k) }
                leaves[k] = v
                continue
            }
            let head = String(k[..<r.lowerBound]), rest = String(k[r.upperBound...])
            if groups[head] == nil && leaves[head] == nil { order.append(head) }
            groups[head, default: []].append((key: rest, value: v))
        }
        var entries: Entries = []
        for k in order {
            if let g = groups[k] { entries.append((key: .string(k), value: nested(g, levels: levels - 1, separator: separator))) }
            if let leaf = leaves[k] { entries.append((key: .string(k), value: leaf)) }
        }
        return .dict(entries)
    }
}
