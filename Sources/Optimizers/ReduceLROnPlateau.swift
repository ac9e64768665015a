/// Reduces each group's learning rate by `factor` when a metric stops improving for `patience`
/// epochs (torch's ReduceLROnPlateau). Step it with `step(metric:)`.
public final class ReduceLROnPlateau: LRScheduler {
    /// Whether lower (`min`) or higher (`max`) metric values are better.
    public enum Mode: String, Sendable { case min, max }
    /// Whether `threshold` is relative to the best value or absolute.
    public enum ThresholdMode: String, Sendable { case rel, abs }

    /// The optimizer whose groups this scheduler drives.
    public let optimizer: Optimizer
    /// New rate = old rate × factor.
    public private(set) var factor: Double
    /// Lower bound per group.
    public private(set) var minLRs: [Double]
    /// The single lower bound given at creation (nil when given per group).
    public private(set) var defaultMinLR: Double?
    /// Bad epochs tolerated before reducing.
    public private(set) var patience: Int
    /// Epochs to wait after a reduction before counting bad epochs again.
    public private(set) var cooldown: Int
    /// Reductions smaller than this are skipped.
    public private(set) var eps: Double
    /// Epochs stepped.
    public private(set) var lastEpoch = 0
    /// The learning rate of each group after the last step.
    public private(set) var lastLR: [Double]
    /// Improvement direction.
    public private(set) var mode: Mode
    /// Significance threshold for an improvement.
    public private(set) var threshold: Double
    /// How `threshold` applies.
    public private(set) var thresholdMode: ThresholdMode
    /// Best metric so far.
    public private(set) var best: Double
    /// Epochs of cooldown left.
    public private(set) var cooldownCounter = 0
    /// Consecutive epochs without improvement.
    public private(set) var numBadEpochs = 0

    /// Attaches to `optimizer`; `minLRs` (one per group) overrides `minLR` when given.
    public init(_ optimizer: Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
                threshold: Double = 1e-4, thresholdMode: ThresholdMode = .rel, cooldown: Int = 0,
                minLR: Double = 0, minLRs: [Double]? = nil, eps: Double = 1e-8) {
        precondition(factor < 1.0, "ReduceLROnPlateau: factor should be < 1.0, got \(factor)")
        self.optimizer = optimizer
        self.factor = factor
        if let minLRs {
            precondition(minLRs.count == optimizer.paramGroups.count,
                         "ReduceLROnPlateau: expected \(optimizer.paramGroups.count) min_lrs, got \(minLRs.count)")
            defaultMinLR = nil
            self.minLRs = minLRs
        } else {
            defaultMinLR = minLR
            self.minLRs = Array(repeating: minLR, count: optimizer.paramGroups.count)
        }
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        lastLR = optimizer.paramGroups.map(\.lr)
        self.mode = mode
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        best = mode == .min ? .infinity : -.infinity
    }

    /// The worst possible metric for `mode`.
    public var modeWorse: Double { mode == .min ? .infinity : -.infinity }

    /// Not meaningful without a metric: a precondition says to call `step(metric:)`.
    public func step() {
        preconditionFailure("ReduceLROnPlateau.step needs the monitored metric: call step(metric:)")
    }

    /// Records `metric` for the next epoch and reduces the rates after `patience` bad epochs.
    public func step(metric: Double) {
        lastEpoch += 1
        if isBetter(metric, than: best) {
            best = metric
            numBadEpochs = 0
        } else {
            numBadEpochs += 1
        }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            numBadEpochs = 0
        }
        if numBadEpochs > patience {
            reduceLR()
            cooldownCounter = cooldown
            numBadEpochs = 0
        }
        lastLR = optimizer.paramGroups.map(\.lr)
    }

    private func reduceLR() {
        if minLRs.count != optimizer.paramGroups.count {
            guard let d = defaultMinLR else {
                preconditionFailure("ReduceLROnPlateau: the optimizer has \(optimizer.paramGroups.count) param groups but \(minLRs.count) min_lrs were given")
            }
            minLRs = Array(repeating: d, count: optimizer.paramGroups.count)
        }
        for i in optimizer.paramGroups.indices {
            let old = optimizer.paramGroups[i].lr
            let reduced = old * factor
            let new = minLRs[i] > reduced ? minLRs[i] : reduced
            if old - new > eps { optimizer.paramGroups[i].lr = new }
        }
    }

    private func isBetter(_ a: Double, than best: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): return a < best * (1.0 - threshold)
        case (.min, .abs): return a < best - threshold
        case (.max, .rel): return a > best * (threshold + 1.0)
        case (.max, .abs): return a > best + threshold
        }
    }

    /// torch's `state_dict()` keys, in its order.
    public func stateDict() -> HyperDict {
        [
            "factor": .double(factor),
            "default_min_lr": defaultMinLR.map(HyperValue.torchNumber) ?? .none,
            "min_lrs": .list(minLRs.map(HyperValue.torchNumber)),
            "patience": .int(patience),
            "cooldown": .int(cooldown),
            "eps": .double(eps),
            "last_epoch": .int(lastEpoch),
            "_last_lr": .doubles(lastLR),
            "mode_worse": .double(modeWorse),
            "mode": .string(mode.rawValue),
            "threshold": .double(threshold),
            "threshold_mode": .string(thresholdMode.rawValue),
            "best": .double(best),
            "cooldown_counter": .int(cooldownCounter),
            "num_bad_epochs": .int(numBadEpochs),
        ]
    }

    /// Restores a state from `stateDict()` or torch; nothing changes when it throws.
    public func loadStateDict(_ state: HyperDict) throws {
        let ctx = "ReduceLROnPlateau state"
        let f = try state.requireDouble("factor", in: ctx)
        let dm = try state.require("default_min_lr", in: ctx)
        let defaultMin: Double?
        if dm.isNone { defaultMin = nil } else {
            guard let d = dm.doubleValue else { throw StateLoadError.wrongType(context: ctx, key: "default_min_lr", expected: "number or None", found: dm.kindName) }
            defaultMin = d
        }
        let mins = try state.requireDoubles("min_lrs", in: ctx)
        let pat = try state.requireInt("patience", in: ctx)
        let cool = try state.requireInt("cooldown", in: ctx)
        let e = try state.requireDouble("eps", in: ctx)
        let epoch = try state.requireInt("last_epoch", in: ctx)
        let last = try state.requireDoubles("_last_lr", in: ctx)
        let modeName = try state.requireString("mode", in: ctx)
        guard let m = Mode(rawValue: modeName) else { throw StateLoadError.invalidValue(context: ctx, key: "mode", reason: "mode \(modeName) is unknown") }
        let th = try state.requireDouble("threshold", in: ctx)
        let tmName = try state.requireString("threshold_mode", in: ctx)
        guard let tm = ThresholdMode(rawValue: tmName) else {
            throw StateLoadError.invalidValue(context: ctx, key: "threshold_mode", reason: "threshold mode \(tmName) is unknown")
        }
        let b = try state.requireDouble("best", in: ctx)
        let cc = try state.requireInt("cooldown_counter", in: ctx)
        let bad = try state.requireInt("num_bad_epochs", in: ctx)
        factor = f; defaultMinLR = defaultMin; minLRs = mins; patience = pat; cooldown = cool; eps = e
        lastEpoch = epoch; lastLR = last; mode = m; threshold = th; thresholdMode = tm
        best = b; cooldownCounter = cc; numBadEpochs = bad
    }
}
