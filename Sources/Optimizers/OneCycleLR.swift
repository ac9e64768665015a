import Foundation

/// The 1cycle policy (torch's OneCycleLR): the rate rises from `maxLR/divFactor` to `maxLR`, then
/// anneals to `initial/finalDivFactor`; momentum (SGD's `momentum` or Adam's `beta1`) cycles inversely.
///
/// Like torch, it writes `initial_lr`, `max_lr`, `min_lr` (and `max_momentum`, `base_momentum`) into
/// each param group and reads them back on every step, so they travel with the optimizer's state.
/// Each rate is computed from those and the step number alone, so a user override of `lr` lasts
/// until the next step. Stepping past `totalSteps` is a programmer error, as in torch.
public final class OneCycleLR: LRSchedulerBase {
    /// How each phase interpolates.
    public enum AnnealStrategy: String, Sendable {
        /// Half-cosine (default).
        case cos
        /// Straight line.
        case linear
    }

    /// One phase: where it ends and which group keys it interpolates between.
    public struct Phase: Equatable, Sendable {
        /// Last step of the phase (a float for all but the final phase, as torch computes it).
        public var endStep: Double
        /// Group key of the rate at the phase start.
        public var startLR: String
        /// Group key of the rate at the phase end.
        public var endLR: String
        /// Group key of the momentum at the phase start.
        public var startMomentum: String
        /// Group key of the momentum at the phase end.
        public var endMomentum: String
    }

    /// Steps in the whole cycle.
    public private(set) var totalSteps: Int
    /// The phases (two, or three with `threePhase`).
    public private(set) var phases: [Phase]
    /// Interpolation shape.
    public private(set) var annealStrategy: AnnealStrategy
    /// Whether momentum is cycled.
    public private(set) var cycleMomentum: Bool
    /// Whether the cycled momentum is Adam's `beta1` (else the group's `momentum`).
    public private(set) var useBeta1: Bool

    /// Attaches to `optimizer` with per-group `maxLR`, `baseMomentum`, `maxMomentum` (one value each,
    /// or one per group). Give `totalSteps`, or `epochs` and `stepsPerEpoch`.
    public init(_ optimizer: Optimizer, maxLR: [Double], totalSteps: Int? = nil, epochs: Int? = nil,
                stepsPerEpoch: Int? = nil, pctStart: Double = 0.3, annealStrategy: AnnealStrategy = .cos,
                cycleMomentum: Bool = true, baseMomentum: [Double] = [0.85], maxMomentum: [Double] = [0.95],
                divFactor: Double = 25, finalDivFactor: Double = 1e4, threePhase: Bool = false, lastEpoch: Int = -1) {
        let total: Int
        if let totalSteps {
            precondition(totalSteps > 0, "OneCycleLR: expected positive integer totalSteps, but got \(totalSteps)")
            total = totalSteps
        } else if let epochs, let stepsPerEpoch {
            precondition(epochs > 0, "OneCycleLR: expected positive integer epochs, but got \(epochs)")
            precondition(stepsPerEpoch > 0, "OneCycleLR: expected positive integer stepsPerEpoch, but got \(stepsPerEpoch)")
            total = epochs * stepsPerEpoch
        } else {
            preconditionFailure("OneCycleLR: you must define either totalSteps OR (epochs AND stepsPerEpoch)")
        }
        precondition(pctStart >= 0 && pctStart <= 1, "OneCycleLR: expected float between 0 and 1 pctStart, but got \(pctStart)")
        self.totalSteps = total
        if threePhase {
            phases = [
                Phase(endStep: pctStart * Double(total) - 1, startLR: "initial_lr", endLR: "max_lr",
                      startMomentum: "max_momentum", endMomentum: "base_momentum"),
                Phase(endStep: 2 * pctStart * Double(total) - 2, startLR: "max_lr", endLR: "initial_lr",
                      startMomentum: "base_momentum", endMomentum: "max_momentum"),
                Phase(endStep: Double(total - 1), startLR: "initial_lr", endLR: "min_lr",
                      startMomentum: "max_momentum", endMomentum: "max_momentum"),
            ]
        } else {
            phases = [
                Phase(endStep: pctStart * Double(total) - 1, startLR: "initial_lr", endLR: "max_lr",
                      startMomentum: "max_momentum", endMomentum: "base_momentum"),
                Phase(endStep: Double(total - 1), startLR: "max_lr", endLR: "min_lr",
                      startMomentum: "base_momentum", endMomentum: "max_momentum"),
            ]
        }
        self.annealStrategy = annealStrategy
        let groups = optimizer.paramGroups.count
        func perGroup(_ v: [Double], _ name: String) -> [Double] {
            if v.count == 1 { return Array(repeating: v[0], count: groups) }
            precondition(v.count == groups,
                         "OneCycleLR: \(name) must have the same length as optimizer.paramGroups. \(name) has \(v.count) values, paramGroups has \(groups).")
            return v
        }
        let maxLRs = perGroup(maxLR, "maxLR")
        if lastEpoch == -1 {
            for i in 0..<groups {
                let initial = maxLRs[i] / divFactor
                optimizer.paramGroups[i]["initial_lr"] = .double(initial)
                optimizer.paramGroups[i]["max_lr"] = .double(maxLRs[i])
                optimizer.paramGroups[i]["min_lr"] = .double(initial / finalDivFactor)
            }
        }
        self.cycleMomentum = cycleMomentum
        useBeta1 = optimizer.defaults.contains("betas")
        if cycleMomentum {
            precondition(optimizer.defaults.contains("momentum") || useBeta1,
                         "OneCycleLR: optimizer must support momentum or beta1 with `cycleMomentum` option enabled")
            let maxM = perGroup(maxMomentum, "maxMomentum"), baseM = perGroup(baseMomentum, "baseMomentum")
            if lastEpoch == -1 {
                for i in 0..<groups {
                    OneCycleLR.setMomentum(maxM[i], group: i, of: optimizer, beta1: useBeta1)
                    optimizer.paramGroups[i]["max_momentum"] = .double(maxM[i])
                    optimizer.paramGroups[i]["base_momentum"] = .double(baseM[i])
                }
            }
        }
        super.init(optimizer: optimizer, lastEpoch: lastEpoch, typeName: "OneCycleLR")
    }

    /// Attaches with one `maxLR` (and momentum bounds) for every group.
    public convenience init(_ optimizer: Optimizer, maxLR: Double, totalSteps: Int? = nil, epochs: Int? = nil,
                            stepsPerEpoch: Int? = nil, pctStart: Double = 0.3, annealStrategy: AnnealStrategy = .cos,
                            cycleMomentum: Bool = true, baseMomentum: Double = 0.85, maxMomentum: Double = 0.95,
                            divFactor: Double = 25, finalDivFactor: Double = 1e4, threePhase: Bool = false,
                            lastEpoch: Int = -1) {
        self.init(optimizer, maxLR: [maxLR], totalSteps: totalSteps, epochs: epochs, stepsPerEpoch: stepsPerEpoch,
                  pctStart: pctStart, annealStrategy: annealStrategy, cycleMomentum: cycleMomentum,
                  baseMomentum: [baseMomentum], maxMomentum: [maxMomentum], divFactor: divFactor,
                  finalDivFactor: finalDivFactor, threePhase: threePhase, lastEpoch: lastEpoch)
    }

    private static func setMomentum(_ m: Double, group i: Int, of optimizer: Optimizer, beta1: Bool) {
        if beta1 {
            var betas = optimizer.paramGroups[i]["betas"]?.arrayValue ?? [.double(0.9), .double(0.999)]
            betas[0] = .double(m)
            optimizer.paramGroups[i]["betas"] = .tuple(betas)
        } else {
            optimizer.paramGroups[i]["momentum"] = .double(m)
        }
    }

    private func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch annealStrategy {
        case .cos:
            let cosOut = cos(Double.pi * pct) + 1
            return end + (start - end) / 2.0 * cosOut
        case .linear:
            return (end - start) * pct + start
        }
    }

    /// The rate (and, as a side effect, the momentum) of each group at step `lastEpoch`.
    public override func computeLR() -> [Double] {
        let stepNum = lastEpoch
        precondition(stepNum <= totalSteps,
                     "OneCycleLR: tried to step \(stepNum) times. The specified number of total steps is \(totalSteps)")
        var lrs: [Double] = []
        for gi in optimizer.paramGroups.indices {
            let group = optimizer.paramGroups[gi]
            var startStep = 0.0
            var lr = 0.0, momentum = 0.0
            for (i, phase) in phases.enumerated() {
                let endStep = phase.endStep
                if Double(stepNum) <= endStep || i == phases.count - 1 {
                    let pct = (Double(stepNum) - startStep) / (endStep - startStep)
                    lr = anneal(group.double(phase.startLR), group.double(phase.endLR), pct)
                    if cycleMomentum {
                        momentum = anneal(group.double(phase.startMomentum), group.double(phase.endMomentum), pct)
                    }
                    break
                }
                startStep = phase.endStep
            }
            lrs.append(lr)
            if cycleMomentum { OneCycleLR.setMomentum(momentum, group: gi, of: optimizer, beta1: useBeta1) }
        }
        return lrs
    }

    /// `total_steps`, `_schedule_phases`, `_anneal_func_type`, `cycle_momentum`, and `use_beta1`
    /// when momentum cycles (torch sets that attribute only then).
    public override func ownState() -> HyperDict {
        var d: HyperDict = ["total_steps": .int(totalSteps)]
        d["_schedule_phases"] = .list(phases.enumerated().map { i, p in
            .dict([
                "end_step": i == phases.count - 1 ? .int(Int(p.endStep)) : .double(p.endStep),
                "start_lr": .string(p.startLR), "end_lr": .string(p.endLR),
                "start_momentum": .string(p.startMomentum), "end_momentum": .string(p.endMomentum),
            ])
        })
        d["_anneal_func_type"] = .string(annealStrategy.rawValue)
        d["cycle_momentum"] = .bool(cycleMomentum)
        if cycleMomentum { d["use_beta1"] = .bool(useBeta1) }
        return d
    }

    /// Restores the cycle layout and flags.
    public override func loadOwnState(_ state: HyperDict) throws {
        let ctx = "OneCycleLR state"
        let total = try state.requireInt("total_steps", in: ctx)
        var ph: [Phase] = []
        for (i, v) in try state.requireArray("_schedule_phases", in: ctx).enumerated() {
            let pctx = "\(ctx) _schedule_phases[\(i)]"
            guard let d = v.dictValue else {
                throw StateLoadError.wrongType(context: ctx, key: "_schedule_phases[\(i)]", expected: "dict", found: v.kindName)
            }
            ph.append(Phase(endStep: try d.requireDouble("end_step", in: pctx),
                            startLR: try d.requireString("start_lr", in: pctx), endLR: try d.requireString("end_lr", in: pctx),
                            startMomentum: try d.requireString("start_momentum", in: pctx),
                            endMomentum: try d.requireString("end_momentum", in: pctx)))
        }
        guard !ph.isEmpty else { throw StateLoadError.invalidValue(context: ctx, key: "_schedule_phases", reason: "no phases") }
        let kind = try state.requireString("_anneal_func_type", in: ctx)
        guard let strategy = AnnealStrategy(rawValue: kind) else {
            throw StateLoadError.invalidValue(context: ctx, key: "_anneal_func_type", reason: "unknown strategy '\(kind)'")
        }
        let cycle = try state.requireBool("cycle_momentum", in: ctx)
        let beta1 = cycle ? try state.requireBool("use_beta1", in: ctx) : useBeta1
        self.totalSteps = total
        phases = ph
        annealStrategy = strategy
        cycleMomentum = cycle
        useBeta1 = beta1
    }
}
