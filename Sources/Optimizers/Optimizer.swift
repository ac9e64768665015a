import TensorCore
import NN

/// Base class of the PyTorch-compatible optimizers: parameter groups plus per-parameter state keyed
/// by parameter name.
///
/// Subclasses supply `update(name:parameter:grad:state:group:)`, one fused loop per parameter.
/// As in torch, a parameter whose gradient is nil (never reached by backward, or frozen with
/// `requiresGrad = false`) is skipped and its state left untouched. State is keyed by name rather
/// than by position, so it survives freezing, removing and adding parameters (`loadState(byName:)`);
/// `stateDict()` / `load(stateDict:)` convert to and from torch's index-keyed structure.
open class Optimizer: @unchecked Sendable {
    /// Parameter groups with their hyper-parameters (a scheduler writes `lr` here).
    public var paramGroups: [ParamGroup] = []
    /// Per-parameter state by parameter name; parameters never stepped have no entry (except Adagrad's).
    public var state: [String: OptimizerState] = [:]
    /// Hyper-parameter defaults in torch's order; each group gets the ones it does not override.
    public let defaults: HyperDict
    /// The torch class name (`Adam`, `SGD`, …), for messages.
    public let typeName: String

    /// Builds an optimizer over `groups`, filling each group's missing hyper-parameters from `defaults`.
    public init(groups: [ParamGroup], defaults: HyperDict, typeName: String) {
        self.defaults = defaults
        self.typeName = typeName
        precondition(!groups.isEmpty, "\(typeName): optimizer got an empty parameter list")
        for g in groups { addParamGroup(g) }
    }

    /// Adds a group (torch's `add_param_group`); a precondition rejects empty groups and parameters
    /// already present under any name.
    open func addParamGroup(_ group: ParamGroup) {
        precondition(!group.params.isEmpty, "\(typeName): optimizer got an empty parameter list")
        var g = group
        for (k, v) in defaults { g.options.setDefault(k, v) }
        var names = Set(paramGroups.flatMap(\.names))
        var objects = Set(paramGroups.flatMap { $0.params.map { ObjectIdentifier($0.parameter) } })
        for (name, p) in g.params {
            precondition(names.insert(name).inserted, "\(typeName): parameter name '\(name)' appears more than once")
            precondition(objects.insert(ObjectIdentifier(p)).inserted,
                         "\(typeName): parameter '\(name)' is already in the optimizer under another name")
        }
        paramGroups.append(g)
        for (name, p) in g.params where state[name] == nil {
            if let s = initialState(for: p, group: g) { state[name] = s }
        }
    }

    /// Applies one update to every parameter that has a gradient.
    open func step() {
        for gi in paramGroups.indices {
            let group = paramGroups[gi]
            for (name, p) in group.params {
                guard let grad = p.grad else { continue }
                // Taking the state out of the dictionary leaves its buffers uniquely owned, so the
                // kernel writes them in place without copying.
                var s = state.removeValue(forKey: name) ?? OptimizerState()
                update(name: name, parameter: p, grad: grad, state: &s, group: group)
                if !s.isEmpty { state[name] = s }
            }
        }
    }

    /// Updates one parameter in place from its gradient; subclasses override.
    open func update(name: String, parameter: Parameter, grad: Tensor, state: inout OptimizerState, group: ParamGroup) {
        preconditionFailure("\(typeName).update is not implemented")
    }

    /// State a parameter gets before its first step; nil (the default) means none until it steps.
    open func initialState(for parameter: Parameter, group: ParamGroup) -> OptimizerState? { nil }

    /// Called after group hyper-parameters were replaced by loaded ones (torch's `__setstate__`).
    open func didLoadHyperParameters() {
        for i in paramGroups.indices {
            for (k, v) in defaults { paramGroups[i].options.setDefault(k, v) }
        }
    }

    /// Forgets every parameter's gradient (torch's `zero_grad(set_to_none=True)`).
    public func zeroGrad() {
        for g in paramGroups { for (_, p) in g.params { p.zeroGrad() } }
    }

    /// Sets the learning rate of every group.
    ///
    /// Use it to override the LR after loading a checkpoint. A scheduler's next `step()` writes its
    /// own value again, as in PyTorch: recursive schedulers (StepLR, ExponentialLR, the cosine
    /// recursion, LinearLR) continue from the overridden value, closed-form ones (OneCycleLR, and
    /// SequentialLR at a milestone) recompute from their own state.
    public func setLR(_ lr: Double) {
        for i in paramGroups.indices { paramGroups[i].lr = lr }
    }

    /// Every (name, parameter) in group order.
    public var namedParameters: [(String, Parameter)] {
        paramGroups.flatMap { $0.params.map { ($0.name, $0.parameter) } }
    }

    /// Replaces all state with `saved`, matching by parameter name.
    ///
    /// Parameters whose name is in `saved` (with buffers of the parameter's shape) carry their
    /// moments and step; parameters not in `saved` start fresh; saved names with no parameter are
    /// dropped; saved state whose buffer shapes differ from the parameter's starts fresh and is listed
    /// as mismatched. Hyper-parameters are not touched.
    @discardableResult
    public func loadState(byName saved: [String: OptimizerState]) -> StateLoadReport {
        var report = StateLoadReport()
        var fresh: [String: OptimizerState] = [:]
        var used = Set<String>()
        for group in paramGroups {
            for (name, p) in group.params {
                guard let s = saved[name] else {
                    report.fresh.append(name)
                    if let f = initialState(for: p, group: group) { fresh[name] = f }
                    continue
                }
                used.insert(name)
                if s.tensors.contains(where: { $0.1.shape != p.value.shape }) {
                    report.mismatched.append(name)
                    if let f = initialState(for: p, group: group) { fresh[name] = f }
                    continue
                }
                var c = OptimizerState(step: s.step)
                for (k, t) in s.tensors { c[k] = (t.dtype == .float32 ? t : t.to(.float32)).detach() }
                fresh[name] = c
                report.carried.append(name)
            }
        }
        report.dropped = saved.keys.filter { !used.contains($0) }.sorted()
        state = fresh
        return report
    }
}
