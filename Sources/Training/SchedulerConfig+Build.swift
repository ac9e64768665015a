import Optimizers

extension SchedulerConfig {
    /// The PyTorch scheduler this describes, attached to `optimizer` (which it steps once, as
    /// PyTorch's constructors do). `totalIntervals` is the run's length in `interval`s
    /// (`RunConfig.schedulerIntervals(stepsPerEpoch:)`); it stands in for an omitted cosine
    /// `t_max` (the rest of the run from the scheduler's start) and onecycle `total_steps`.
    public func makeScheduler(optimizer: Optimizer, totalIntervals: Int) -> LRScheduler {
        precondition(totalIntervals > 0, "SchedulerConfig.makeScheduler: totalIntervals must be positive, got \(totalIntervals)")
        switch kind {
        case let .plateau(p):
            return ReduceLROnPlateau(optimizer, mode: p.mode == .max ? .max : .min, factor: p.factor, patience: p.patience,
                                     threshold: p.threshold, thresholdMode: p.thresholdMode == "abs" ? .abs : .rel,
                                     cooldown: p.cooldown, minLR: p.minLR, eps: p.eps)
        case let .sequential(children, milestones):
            let starts = [0] + milestones
            let built = children.enumerated().map { i, child in
                SchedulerConfig.base(child.kind, optimizer, remaining: max(1, totalIntervals - starts[i]))
            }
            return SequentialLR(optimizer, schedulers: built, milestones: milestones)
        default:
            return SchedulerConfig.base(kind, optimizer, remaining: totalIntervals)
        }
    }

    /// A scheduler that can run inside `SequentialLR` (every kind but plateau and sequential).
    private static func base(_ kind: Kind, _ optimizer: Optimizer, remaining: Int) -> LRSchedulerBase {
        switch kind {
        case let .step(s, g): return StepLR(optimizer, stepSize: s, gamma: g)
        case let .multiStep(m, g): return MultiStepLR(optimizer, milestones: m, gamma: g)
        case let .exponential(g): return ExponentialLR(optimizer, gamma: g)
        case let .cosine(t, e): return CosineAnnealingLR(optimizer, tMax: t ?? remaining, etaMin: e)
        case let .linear(s, e, n): return LinearLR(optimizer, startFactor: s, endFactor: e, totalIters: n)
        case let .oneCycle(o):
            return OneCycleLR(optimizer, maxLR: o.maxLR, totalSteps: o.totalSteps ?? remaining, pctStart: o.pctStart,
                              annealStrategy: o.annealStrategy == "linear" ? .linear : .cos, cycleMomentum: o.cycleMomentum,
                              baseMomentum: o.baseMomentum, maxMomentum: o.maxMomentum, divFactor: o.divFactor,
                              finalDivFactor: o.finalDivFactor, threePhase: o.threePhase)
        case .plateau, .sequential:
            preconditionFailure("SchedulerConfig: \(kind.name) cannot run inside sequential (parsing rejects it)")
        }
    }
}

extension RunConfig {
    /// The run's length in scheduler intervals: optimizer steps (`interval: step`) or epochs, whichever
    /// of `training.epochs` and `training.max_steps` ends the run first, given `stepsPerEpoch`.
    public func schedulerIntervals(stepsPerEpoch: Int) -> Int {
        precondition(stepsPerEpoch > 0, "RunConfig.schedulerIntervals: stepsPerEpoch must be positive, got \(stepsPerEpoch)")
        let epochSteps = training.epochs.map { e -> Int in
            let (p, overflow) = e.multipliedReportingOverflow(by: stepsPerEpoch)
            return overflow ? .max : p
        }
        let steps = min(training.maxSteps ?? .max, epochSteps ?? .max)
        switch scheduler?.interval ?? .epoch {
        case .step: return steps
        case .epoch: return min(training.epochs ?? .max, (steps + stepsPerEpoch - 1) / stepsPerEpoch)
        }
    }
}
