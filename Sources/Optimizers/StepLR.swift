import Foundation

/// Multiplies each group's learning rate by `gamma` every `stepSize` epochs (torch's StepLR).
public final class StepLR: LRSchedulerBase {
    /// Epochs between decays.
    public private(set) var stepSize: Int
    /// Multiplicative decay.
    public private(set) var gamma: Double

    /// Attaches to `optimizer` and takes the initial step.
    public init(_ optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1, lastEpoch: Int = -1) {
        precondition(stepSize > 0, "StepLR: stepSize must be positive, got \(stepSize)")
        self.stepSize = stepSize
        self.gamma = gamma
        super.init(optimizer: optimizer, lastEpoch: lastEpoch, typeName: "StepLR")
    }

    /// Current rates, times `gamma` at each non-zero multiple of `stepSize`.
    public override func computeLR() -> [Double] {
        if lastEpoch == 0 || lastEpoch % stepSize != 0 { return groupLRs }
        return groupLRs.map { $0 * gamma }
    }

    /// `base · gamma^(lastEpoch // stepSize)`.
    public override func closedFormLR() -> [Double]? {
        baseLRs.map { $0 * pow(gamma, Double(PyMath.floorDiv(lastEpoch, stepSize))) }
    }

    /// `step_size`, `gamma`.
    public override func ownState() -> HyperDict { ["step_size": .int(stepSize), "gamma": .double(gamma)] }

    /// Restores `step_size` and `gamma`.
    public override func loadOwnState(_ state: HyperDict) throws {
        let s = try state.requireInt("step_size", in: "StepLR state")
        let g = try state.requireDouble("gamma", in: "StepLR state")
        guard s > 0 else { throw StateLoadError.invalidValue(context: "StepLR state", key: "step_size", reason: "must be positive, got \(s)") }
        stepSize = s
        gamma = g
    }
}
