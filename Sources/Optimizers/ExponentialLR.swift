import Foundation

/// Multiplies each group's learning rate by `gamma` every epoch (torch's ExponentialLR).
public final class ExponentialLR: LRSchedulerBase {
    /// Multiplicative decay per epoch.
    public private(set) var gamma: Double

    /// Attaches to `optimizer` and takes the initial step (which leaves the rates unchanged).
    public init(_ optimizer: Optimizer, gamma: Double, lastEpoch: Int = -1) {
        self.gamma = gamma
        super.init(optimizer: optimizer, lastEpoch: lastEpoch, typeName: "ExponentialLR")
    }

    /// Current rates times `gamma` (unchanged on the initial step).
    public override func computeLR() -> [Double] {
        isInitial ? groupLRs : groupLRs.map { $0 * gamma }
    }

    /// `base · gamma^lastEpoch`.
    public override func closedFormLR() -> [Double]? {
        baseLRs.map { $0 * pow(gamma, Double(lastEpoch)) }
    }

    /// `gamma`.
    public override func ownState() -> HyperDict { ["gamma": .double(gamma)] }

    /// Restores `gamma`.
    public override func loadOwnState(_ state: HyperDict) throws {
        gamma = try state.requireDouble("gamma", in: "ExponentialLR state")
    }
}
