import NN
import Optimizers
import TensorCore

/// Moving optimizer state between torch's index-keyed `state_dict()` (in `.pth` files) and Cairn's
/// name-keyed `OptimizerSnapshot` (in checkpoint directories).
public enum OptimizerConversion {
    /// The optimizer type implied by the state buffers and group keys; nil when nothing tells.
    /// Adam and AdamW keep the same buffers, so AdamW is only recognized by a `decoupled_weight_decay`
    /// flag (torch ≥ 2.5 writes it) or by a non-zero default-looking `weight_decay` of 0.01.
    public static func guessType(_ o: OptimizerStateDict) -> String? {
        let buffers = Set(o.state.values.flatMap { $0.keys })
        let group = o.paramGroups.first
        if buffers.contains("exp_avg_sq") || group?["amsgrad"] != nil && group?["betas"] != nil {
            if group?["decoupled_weight_decay"]?.boolValue == true { return "AdamW" }
            return "Adam"
        }
        if buffers.contains("momentum_buffer") || group?["nesterov"] != nil { return "SGD" }
        if buffers.contains("square_avg") || group?["alpha"] != nil && group?["centered"] != nil { return "RMSprop" }
        if buffers.contains("sum") || group?["lr_decay"] != nil { return "Adagrad" }
        return nil
    }

    /// A name-keyed snapshot of torch optimizer state. Parameter names come from the file's
    /// `param_names` when present, else from the model keys in order, skipping BatchNorm running
    /// statistics (parameters come first in torch's numbering only per module, so this is the
    /// usual correspondence, not a guarantee); else `param.<index>`.
    public static func snapshot(_ o: OptimizerStateDict, modelKeys: [String]) throws -> OptimizerSnapshot {
        var names = try o.resolvedNames()
        let indices = try o.paramGroups.indices.flatMap { try o.paramIndices(group: $0) }
        if names.count < indices.count {
            let buffers = ["running_mean", "running_var", "num_batches_tracked"]
            let params = modelKeys.filter { k in !buffers.contains { k.hasSuffix("." + $0) || k == $0 } }
            for (n, i) in indices.enumerated() where names[i] == nil {
                names[i] = params.count == indices.count ? params[n] : "param.\(i)"
            }
        }
        var groups: [OptimizerSnapshot.Group] = []
        for g in o.paramGroups.indices {
            let idx = try o.paramIndices(group: g)
            let options = HyperDict(o.paramGroups[g].pairs.filter { $0.0 != "params" && $0.0 != "param_names" })
            groups.append(.init(paramNames: idx.map { names[$0] ?? "param.\($0)" }, options: options))
        }
        var state: [String: OptimizerState] = [:]
        for (i, entry) in o.state {
            state[names[i] ?? "param.\(i)"] = try OptimizerStateDict.optimizerState(from: entry, index: i)
        }
        return OptimizerSnapshot(typeName: guessType(o) ?? "unknown", defaults: groups.first?.options ?? [:],
                                 groups: groups, state: state)
    }

    /// Torch's index-keyed structure for a snapshot: indices numbered across groups in order,
    /// `param_names` kept so the names survive the round trip.
    public static func stateDict(_ s: OptimizerSnapshot) -> OptimizerStateDict {
        var out = OptimizerStateDict()
        var next = 0
        for g in s.groups {
            var d = g.options
            var idx: [HyperValue] = []
            for name in g.paramNames {
                if let st = s.state[name] { out.state[next] = OptimizerStateDict.entry(from: st) }
                out.names[next] = name
                idx.append(.int(next))
                next += 1
            }
            d["param_names"] = .list(g.paramNames.map { .string($0) })
            d["params"] = .list(idx)
            out.paramGroups.append(d)
        }
        return out
    }
}
