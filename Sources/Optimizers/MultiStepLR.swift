import Foundation

/// Multiplies each group's learning rate by `gamma` at each milestone epoch (torch's MultiStepLR);
/// a milestone listed n times multiplies by `gamma^n`.
public final class MultiStepLR: LRSchedulerBase {
    /// Milestones with their multiplicity, in first-occurrence order (torch's `Counter`).
    public private(set) var milestones: [HyperValue.CounterEntry]
    /// Multiplicative decay.
    public private(set) var gamma: Double

    /// Attaches to `optimizer` and takes the initial step.
    public init(_ optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1, lastEpoch: Int = -1) {
        var counter: [HyperValue.CounterEntry] = []
        for m in milestones {
            if let i = counter.firstIndex(where: { $0.key == m }) { counter[i].count += 1 } else { counter.append(.init(key: m, count: 1)) }
        }
        self.milestones = counter
        self.gamma = gamma
        super.init(optimizer: optimizer, lastEpoch: lastEpoch, typeName: "MultiStepLR")
    }

    /// Current rates, times `gamma^count` at a milestone.
    public override func computeLR() -> [Double] {
        guard let c = milestones.first(where: { $0.key == lastEpoch }), c.count > 0 else { return groupLRs }
        return groupLRs.map { $0 * pow(gamma, Double(c.count)) }
    }

    /// `base · gamma^(milestones ≤ lastEpoch, counted with multiplicity)`.
    public override func closedFormLR() -> [Double]? {
        let passed = milestones.reduce(0) { $0 + ($1.key <= lastEpoch ? $1.count : 0) }
        return baseLRs.map { $0 * pow(gamma, Double(passed)) }
    }

    /// `milestones` (a Counter), `gamma`.
    public override func ownState() -> HyperDict { ["milestones": .counter(milestones), "gamma": .double(gamma)] }

    /// Restores `milestones` (a Counter, or a plain list of epochs) and `gamma`.
    public override func loadOwnState(_ state: HyperDict) throws {
        let ctx = "MultiStepLR state"
        let g = try state.requireDouble("gamma", in: ctx)
        let m = try state.require("milestones", in: ctx)
        switch m {
        case .counter(let c): milestones = c
        case .list(let a), .tuple(let a):
            var counter: [HyperValue.CounterEntry] = []
            for v in a {
                guard let e = v.intValue else { throw StateLoadError.wrongType(context: ctx, key: "milestones", expected: "ints", found: v.kindName) }
                if let i = counter.firstIndex(where: { $0.key == e }) { counter[i].count += 1 } else { counter.append(.init(key: e, count: 1)) }
            }
            milestones = counter
        default:
            throw StateLoadError.wrongType(context: ctx, key: "milestones", expected: "Counter", found: m.kindName)
        }
        gamma = g
    }
}
