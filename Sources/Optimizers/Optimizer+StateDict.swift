import TensorCore
import NN

/// How `load(stateDict:matching:)` pairs saved parameter indices with this optimizer's parameters.
public enum ParameterMatching: Sendable {
    /// By position, as torch does: groups and their sizes must agree (index i is the i-th parameter).
    case position
    /// By name (from the state dict's `names` or `param_names`): tolerates added, removed and frozen
    /// parameters and regrouping.
    case name
}

extension Optimizer {
    /// Exports the state in torch's structure (`state_dict()`), with the index → name map.
    ///
    /// With `includeParamNames`, each group also carries `param_names` (first, as torch writes it
    /// for optimizers built from `named_parameters()`).
    public func stateDict(includeParamNames: Bool = false) -> OptimizerStateDict {
        var out = OptimizerStateDict()
        var index = 0
        for group in paramGroups {
            var d = HyperDict()
            if includeParamNames { d["param_names"] = .list(group.names.map { .string($0) }) }
            for (k, v) in group.options where k != "params" && k != "param_names" { d[k] = v }
            var ids: [HyperValue] = []
            for (name, _) in group.params {
                if let s = state[name], !s.isEmpty { out.state[index] = OptimizerStateDict.entry(from: s) }
                out.names[index] = name
                ids.append(.int(index))
                index += 1
            }
            d["params"] = .list(ids)
            out.paramGroups.append(d)
        }
        return out
    }

    /// Loads a torch-structured state (from torch or from `stateDict()`), replacing all state.
    ///
    /// `.position` follows torch's `load_state_dict`: the group count and sizes must match, index i
    /// is this optimizer's i-th parameter, and each group's hyper-parameters are replaced by the saved
    /// ones (missing keys get defaults). `.name` pairs indices with parameters through the saved
    /// names, so parameters may have been added, removed or regrouped; hyper-parameters are replaced
    /// only when the group counts agree. Tensors are converted to float32 and checked against the
    /// parameter's shape; parameters without saved state start fresh. Nothing changes when it throws.
    @discardableResult
    public func load(stateDict saved: OptimizerStateDict, matching: ParameterMatching = .position) throws -> StateLoadReport {
        let ours = namedParameters
        var target: [Int: Int] = [:]   // saved index → position in `ours`
        var report = StateLoadReport()
        switch matching {
        case .position:
            guard saved.paramGroups.count == paramGroups.count else {
                throw StateLoadError.groupCountMismatch(expected: paramGroups.count, found: saved.paramGroups.count)
            }
            var pos = 0
            for g in paramGroups.indices {
                let idx = try saved.paramIndices(group: g)
                guard idx.count == paramGroups[g].params.count else {
                    throw StateLoadError.groupSizeMismatch(group: g, expected: paramGroups[g].params.count, found: idx.count)
                }
                for i in idx { target[i] = pos; pos += 1 }
            }
        case .name:
            let names = try saved.resolvedNames()
            var position: [String: Int] = [:]
            for (i, (n, _)) in ours.enumerated() { position[n] = i }
            for g in saved.paramGroups.indices {
                for i in try saved.paramIndices(group: g) {
                    guard let n = names[i] else { throw StateLoadError.missingName(index: i) }
                    if let p = position[n] { target[i] = p }
                }
            }
            for i in saved.state.keys where target[i] == nil && names[i] == nil {
                throw StateLoadError.missingName(index: i)
            }
        }

        var byName: [String: OptimizerState] = [:]
        for i in saved.stateIndices {
            let entry = saved.state[i]!
            guard let pos = target[i] else {
                report.dropped.append((try? saved.resolvedNames())?[i] ?? "#\(i)")
                continue
            }
            let (name, p) = ours[pos]
            let s = try OptimizerStateDict.optimizerState(from: entry, index: i)
            for (k, t) in s.tensors where t.shape != p.value.shape {
                throw StateLoadError.shapeMismatch(parameter: name, key: k, expected: p.value.shape, found: t.shape)
            }
            byName[name] = s
        }

        var newGroups: [HyperDict]? = nil
        if saved.paramGroups.count == paramGroups.count {
            newGroups = saved.paramGroups.map { g in
                HyperDict(g.pairs.filter { $0.0 != "params" && $0.0 != "param_names" })
            }
        }

        let transfer = loadState(byName: byName)
        report.carried = transfer.carried
        report.fresh = transfer.fresh
        if let newGroups {
            for i in paramGroups.indices { paramGroups[i].options = newGroups[i] }
            didLoadHyperParameters()
            report.loadedHyperParameters = true
        }
        return report
    }
}
