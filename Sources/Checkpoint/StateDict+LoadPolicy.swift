import Foundation
import TensorCore
import NN

extension StateDict {
    /// Loads these tensors into `model` under `policy` and reports what happened key by key.
    ///
    /// All-or-nothing: the plan is made and checked first; when the policy's checks fail it throws
    /// `LoadError.violations` (listing every problem and the full report) and the model is untouched.
    /// Loaded tensors are copied (converted to the model tensor's dtype when they differ), so the
    /// model never shares storage with the checkpoint.
    @discardableResult
    public func load(into model: Module, policy: LoadPolicy = .strict, device: Device = .cpu) throws -> LoadReport {
        let plan = try ModelLoadPlan(self, model: model, policy: policy)
        if !plan.violations.isEmpty { throw LoadError.violations(plan.violations, report: plan.report) }
        for apply in plan.actions { apply() }
        return plan.report
    }
}

/// The checked, not yet applied result of matching a state dict against a model.
struct ModelLoadPlan {
    var report = LoadReport()
    var violations: [String] = []
    var actions: [() -> Void] = []

    /// One writable tensor slot of the model.
    struct Target {
        var key: String
        var current: Tensor
        var moduleType: String
        var set: (Tensor) -> Void
    }

    init(_ sd: StateDict, model: Module, policy: LoadPolicy) throws {
        let targets = ModelLoadPlan.targets(of: model)
        var byKey: [String: Target] = [:]
        for t in targets where byKey[t.key] == nil { byKey[t.key] = t }

        // Remap checkpoint keys; two sources for one target is ambiguous whatever the policy.
        var source: [String: Tensor] = [:]
        var sourceOrder: [String] = []
        var origins: [String: [String]] = [:]
        for (k, t) in sd {
            let m = try policy.mapKey(k)
            if m != k { report.renamed.append(.init(from: k, to: m)) }
            origins[m, default: []].append(k)
            if source[m] == nil { sourceOrder.append(m) }
            source[m] = t
        }
        if let (k, s) = origins.first(where: { $0.value.count > 1 }) {
            throw LoadError.duplicateKey(key: k, sources: s)
        }

        for k in sourceOrder where byKey[k] == nil {
            if policy.isSelected(k) { report.unexpected.append(k) } else { report.ignored.append(k) }
        }
        var rng = RandomGenerator(seed: policy.reinitSeed, stream: RNGStreams.streamID(RNGStreams.initStream))
        var seen = Set<String>()
        for target in targets where seen.insert(target.key).inserted {
            let key = target.key
            guard policy.isSelected(key) else {
                report.notSelected.append(key)
                if source[key] != nil { report.ignored.append(key) }
                continue
            }
            guard let t = source[key] else { report.missing.append(key); continue }
            let cur = target.current
            if t.shape != cur.shape {
                report.shapeMismatches.append(.init(key: key, expected: cur.shape, found: t.shape, action: policy.onShapeMismatch))
                switch policy.onShapeMismatch {
                case .error:
                    violations.append("size mismatch for \(key): model has \(cur.shape), checkpoint has \(t.shape)")
                case .skip:
                    break
                case .reinitialize:
                    let fresh = ModelLoadPlan.initialValue(for: target, siblings: byKey, rng: &rng)
                    actions.append { target.set(fresh) }
                    report.reinitialized.append(key)
                }
                continue
            }
            var value = t
            if t.dtype != cur.dtype {
                report.dtypeConversions.append(.init(key: key, from: t.dtype, to: cur.dtype))
                if !policy.allowsDTypeConversion {
                    violations.append("dtype mismatch for \(key): model has \(cur.dtype.rawValue), checkpoint has \(t.dtype.rawValue) (conversion not allowed)")
                    continue
                }
                value = t.to(cur.dtype)
            }
            let copy = value.contiguousCopy()
            actions.append { target.set(copy) }
            report.loaded.append(key)
        }
        if policy.verify.contains(.allModelKeysSet) && !report.missing.isEmpty {
            violations.append("missing key(s) in checkpoint: \(report.missing.joined(separator: ", "))")
        }
        if policy.verify.contains(.noUnusedKeys) && !report.unexpected.isEmpty {
            violations.append("unexpected key(s) in checkpoint: \(report.unexpected.joined(separator: ", "))")
        }
    }

    /// Every parameter and persistent buffer of `model` with a setter, in `stateDict()` order.
    static func targets(of model: Module) -> [Target] {
        var out: [Target] = []
        for (path, m) in model.namedModules() {
            let pre = path.isEmpty ? "" : path + "."
            // A module's own tensors are the undotted keys of its subtree listings (own ones come first).
            for (k, p) in m.namedParameters() where !k.contains(".") {
                out.append(Target(key: pre + k, current: p.value, moduleType: m.typeName, set: { p.value = $0 }))
            }
            for (k, b) in m.namedBuffers() where !k.contains(".") && b.persistent {
                out.append(Target(key: pre + k, current: b.value, moduleType: m.typeName, set: { b.value = $0 }))
            }
        }
        return out
    }

    /// A fresh value like PyTorch's `reset_parameters()` for the tensor's role: Linear/Conv weights
    /// kaiming-uniform(√5) and biases U(±1/√fan_in), embeddings N(0, 1), norm weights ones, norm
    /// biases and running means zeros, running variances ones, counters zero.
    static func initialValue(for t: Target, siblings: [String: Target], rng: inout RandomGenerator) -> Tensor {
        let shape = t.current.shape, dtype = t.current.dtype
        let name = t.key.split(separator: ".").last.map(String.init) ?? t.key
        let base = t.key.hasSuffix(name) ? String(t.key.dropLast(name.count)) : ""
        var v: Tensor
        switch name {
        case "running_var":
            v = Tensor(repeating: 1, shape: shape)
        case "running_mean", "num_batches_tracked":
            v = Tensor(zeros: shape)
        case "weight" where t.moduleType == "Embedding":
            v = Init.normal(shape, rng: &rng)
        case "weight" where shape.count >= 2:
            v = Init.defaultWeight(shape, rng: &rng)
        case "weight":
            v = Tensor(repeating: 1, shape: shape)
        case "bias":
            if let w = siblings[base + "weight"], w.current.rank >= 2, shape.count == 1 {
                v = Init.defaultBias(count: shape[0], fanIn: Init.fans(w.current.shape).fanIn, rng: &rng)
            } else {
                v = Tensor(zeros: shape)
            }
        default:
            v = Tensor(zeros: shape)
        }
        return v.dtype == dtype ? v : v.to(dtype)
    }
}
