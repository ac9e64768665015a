import Foundation
import TensorCore
import NN
import Optimizers

extension Checkpoint {
    /// Snapshots a training run in one call: model tensors, optimizer state, scheduler states,
    /// random streams (the run's and each Dropout layer's), progress, metrics and user state.
    ///
    /// Tensors are shared copy-on-write with the live objects, so this copies nothing now and the
    /// snapshot stays intact when training continues (the first in-place update copies instead).
    public static func capture(model: Module, optimizer: Optimizer? = nil, schedulers: [LRScheduler] = [],
                               rng: RNGStreams? = nil, epoch: Int = 0, globalStep: Int = 0,
                               metrics: [String: Double] = [:], loader: JSONValue? = nil, config: JSONValue? = nil,
                               extra: [String: JSONValue] = [:]) -> Checkpoint {
        var moduleRNG: [String: RandomGenerator] = [:]
        for (path, m) in model.namedModules() {
            if let d = m as? Dropout { moduleRNG[path] = d.rng }
        }
        let schedulerStates: [JSONValue] = schedulers.map { s in
            do {
                return .object(["type": .string(schedulerTypeName(s)), "state": try JSONValue(encoding: s.stateDict())])
            } catch {
                preconditionFailure("Checkpoint.capture: scheduler \(schedulerTypeName(s)) state does not encode as JSON: \(error)")
            }
        }
        let state = TrainerState(epoch: epoch, globalStep: globalStep, metrics: metrics, rng: rng, moduleRNG: moduleRNG,
                                 loader: loader, schedulers: schedulerStates, config: config,
                                 fingerprint: ArchitectureFingerprint(model: model), extra: extra)
        return Checkpoint(model: model.stateDict(), optimizer: optimizer.map(OptimizerSnapshot.init), trainerState: state)
    }

    /// Restores a training run in one call: model (under `policy`), optimizer state by parameter
    /// name, scheduler states, Dropout generators; the run's random streams come back in `report.rng`.
    ///
    /// Everything that can be checked is checked before the model changes. Under a policy that
    /// verifies missing keys (`.strict`), an optimizer of another type, missing optimizer state or a
    /// different number or type of schedulers throws `CheckpointError.incompatible`; otherwise those
    /// parts are skipped and listed in `notes`.
    @discardableResult
    public func restore(into model: Module, optimizer: Optimizer? = nil, schedulers: [LRScheduler] = [],
                        policy: LoadPolicy = .strict) throws -> RestoreReport {
        let strict = policy.verify.contains(.allModelKeysSet)
        var notes: [String] = []
        func incompatible(_ component: String, _ reason: String) throws {
            if strict { throw CheckpointError.incompatible(component: component, reason: reason) }
            notes.append("\(component) not restored: \(reason)")
        }

        var optimizerSnapshot: OptimizerSnapshot?
        if let optimizer {
            if let snap = self.optimizer {
                if snap.typeName != optimizer.typeName {
                    try incompatible("optimizer", "checkpoint holds \(snap.typeName) state, the optimizer is \(optimizer.typeName)")
                } else {
                    optimizerSnapshot = try remapped(snap, policy: policy)
                }
            } else {
                try incompatible("optimizer", "the checkpoint has no optimizer state")
            }
        }

        var schedulerStates: [HyperDict?] = Array(repeating: nil, count: schedulers.count)
        let saved = trainerState.schedulers
        if saved.count != schedulers.count {
            try incompatible("schedulers", "the checkpoint has \(saved.count) scheduler state(s), \(schedulers.count) scheduler(s) were given")
        } else {
            for (i, s) in schedulers.enumerated() {
                let type = saved[i]["type"]?.stringValue ?? "?"
                guard type == Self.schedulerTypeName(s) else {
                    try incompatible("schedulers[\(i)]", "the checkpoint holds \(type) state, the scheduler is \(Self.schedulerTypeName(s))")
                    continue
                }
                guard let st = saved[i]["state"] else {
                    throw CheckpointError.badJSON(file: "trainer_state.json", key: "schedulers[\(i)].state", reason: "missing")
                }
                do { schedulerStates[i] = try st.decode(HyperDict.self) } catch {
                    throw CheckpointError.badJSON(file: "trainer_state.json", key: "schedulers[\(i)].state", reason: "\(error)")
                }
            }
        }

        let preflight = self.preflight(model)
        let modelReport = try self.model.load(into: model, policy: policy)

        var optimizerReport: StateLoadReport?
        if let optimizer, let snap = optimizerSnapshot { optimizerReport = snap.restore(into: optimizer) }
        var restoredSchedulers = 0
        for (s, st) in zip(schedulers, schedulerStates) {
            guard let st else { continue }
            try s.loadStateDict(st)
            restoredSchedulers += 1
        }
        var restoredRNG: [String] = []
        for (path, m) in model.namedModules() {
            if let d = m as? Dropout, let g = trainerState.moduleRNG[path] {
                d.rng = g
                restoredRNG.append(path)
            }
        }
        return RestoreReport(preflight: preflight, model: modelReport, optimizer: optimizerReport,
                             schedulersRestored: restoredSchedulers, moduleRNGRestored: restoredRNG,
                             rng: trainerState.rng, epoch: trainerState.epoch, globalStep: trainerState.globalStep,
                             notes: notes)
    }

    /// The optimizer snapshot with parameter names rewritten by the policy's remap rules.
    private func remapped(_ snap: OptimizerSnapshot, policy: LoadPolicy) throws -> OptimizerSnapshot {
        guard !policy.remap.isEmpty else { return snap }
        var out = snap
        out.state = [:]
        for (k, v) in snap.state { out.state[try policy.mapKey(k)] = v }
        for g in out.groups.indices { out.groups[g].paramNames = try out.groups[g].paramNames.map(policy.mapKey) }
        return out
    }

    /// The scheduler's class name (`StepLR`, …), recorded so a restore can check it.
    static func schedulerTypeName(_ s: LRScheduler) -> String { String(describing: type(of: s)) }
}
