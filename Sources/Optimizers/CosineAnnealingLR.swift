import Foundation

/// Cosine annealing from each group's initial rate to `etaMin` over `tMax` epochs (torch's
/// CosineAnnealingLR, without restarts).
///
/// Uses torch's recursive `get_lr`, not the closed form: each step rescales the current rate by
/// `(1 + cos(π·t/T)) / (1 + cos(π·(t−1)/T))`, which differs from the closed form in the last bits
/// (and follows user changes of `lr`). The closed form is used only when jumping to an epoch
/// (SequentialLR milestones).
public final class CosineAnnealingLR: LRSchedulerBase {
    /// Epochs of one half cosine period.
    public private(set) var tMax: Int
    /// The rate reached after `tMax` epochs.
    public private(set) var etaMin: Double

    /// Attaches to `optimizer` and takes the initial step.
    public init(_ optimizer: Optimizer, tMax: Int, etaMin: Double = 0, lastEpoch: Int = -1) {
        precondition(tMax > 0, "CosineAnnealingLR: tMax must be positive, got \(tMax)")
        self.tMax = tMax
        self.etaMin = etaMin
        super.init(optimizer: optimizer, lastEpoch: lastEpoch, typeName: "CosineAnnealingLR")
    }

    /// torch 2.13's recursive cosine step (term order kept for identical rounding).
    public override func computeLR() -> [Double] {
        let t = Double(lastEpoch), T = Double(tMax)
        if isInitial { return groupLRs }
        if stepCount == 1 && lastEpoch > 0 {
            return baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(t * Double.pi / T)) / 2 }
        }
        if PyMath.mod(lastEpoch - 1 - tMax, 2 * tMax) == 0 {
            return zip(baseLRs, groupLRs).map { base, lr in lr + (base - etaMin) * (1 - cos(Double.pi / T)) / 2 }
        }
        return groupLRs.map { lr in
            (1 + cos(Double.pi * t / T)) / (1 + cos(Double.pi * (t - 1) / T)) * (lr - etaMin) + etaMin
        }
    }

    /// `etaMin + (base − etaMin)·(1 + cos(π·lastEpoch/tMax))/2`.
    public override func closedFormLR() -> [Double]? {
        let t = Double(lastEpoch), T = Double(tMax)
        return baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(Double.pi * t / T)) / 2 }
    }

    /// `T_max`, `eta_min`.
    public override func ownState() -> HyperDict { ["T_max": .int(tMax), "eta_min": .double(etaMin)] }

    /// Restores `T_max` and `eta_min`.
    public override func loadOwnState(_ state: HyperDict) throws {
        let ctx = "CosineAnnealingLR state"
        let t = try state.requireInt("T_max", in: ctx)
        let e = try state.requireDouble("eta_min", in: ctx)
        guard t > 0 else { throw StateLoadError.invalidValue(context: ctx, key: "T_max", reason: "must be positive, got \(t)") }
        tMax = t
        etaMin = e
    }
}
