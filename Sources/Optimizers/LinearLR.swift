/// Scales each group's learning rate by a factor moving linearly from `startFactor` to `endFactor`
/// over `totalIters` epochs (torch's LinearLR, recursive form).
public final class LinearLR: LRSchedulerBase {
    /// Factor applied at epoch 0.
    public private(set) var startFactor: Double
    /// Factor reached at `totalIters`.
    public private(set) var endFactor: Double
    /// Epochs of the ramp.
    public private(set) var totalIters: Int

    /// Attaches to `optimizer` and takes the initial step (which applies `startFactor`).
    public init(_ optimizer: Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1.0, totalIters: Int = 5,
                lastEpoch: Int = -1) {
        precondition(startFactor > 0 && startFactor <= 1,
                     "LinearLR: starting multiplicative factor expected to be greater than 0 and less or equal to 1, got \(startFactor)")
        precondition(endFactor >= 0 && endFactor <= 1,
                     "LinearLR: ending multiplicative factor expected to be between 0 and 1, got \(endFactor)")
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        super.init(optimizer: optimizer, lastEpoch: lastEpoch, typeName: "LinearLR")
    }

    /// torch 2.13's recursive linear step.
    public override func computeLR() -> [Double] {
        if lastEpoch == 0 { return groupLRs.map { $0 * startFactor } }
        if isInitial || lastEpoch > totalIters { return groupLRs }
        let delta = endFactor - startFactor
        let factor = 1.0 + delta / (Double(totalIters) * startFactor + Double(lastEpoch - 1) * delta)
        return groupLRs.map { $0 * factor }
    }

    /// `base · (start + (end − start)·min(totalIters, lastEpoch)/totalIters)`.
    public override func closedFormLR() -> [Double]? {
        let f = startFactor + (endFactor - startFactor) * Double(Swift.min(totalIters, lastEpoch)) / Double(totalIters)
        return baseLRs.map { $0 * f }
    }

    /// `start_factor`, `end_factor`, `total_iters`.
    public override func ownState() -> HyperDict {
        ["start_factor": .double(startFactor), "end_factor": .double(endFactor), "total_iters": .int(totalIters)]
    }

    /// Restores the three settings.
    public override func loadOwnState(_ state: HyperDict) throws {
        let ctx = "LinearLR state"
        let s = try state.requireDouble("start_factor", in: ctx)
        let e = try state.requireDouble("end_factor", in: ctx)
        let t = try state.requireInt("total_iters", in: ctx)
        startFactor = s
        endFactor = e
        totalIters = t
    }
}
