/// Runs schedulers one after another, switching at milestone epochs (torch's SequentialLR), e.g.
/// a LinearLR warm-up followed by CosineAnnealingLR.
///
/// As in torch: creation resets every group's `lr` to `initial_lr`, undoes the children's initial
/// steps and re-runs only the first child's; at a milestone the next child jumps to its epoch 0
/// (closed form when it has one), otherwise the active child steps.
public final class SequentialLR: LRScheduler {
    /// The optimizer whose groups this scheduler drives.
    public let optimizer: Optimizer
    /// The children, in order.
    public let schedulers: [LRSchedulerBase]
    /// Epochs at which the next child takes over.
    public private(set) var milestones: [Int]
    /// Epochs stepped.
    public private(set) var lastEpoch: Int
    /// The learning rate of each group after the last step.
    public private(set) var lastLR: [Double]

    /// Chains `schedulers` (all on `optimizer`) with `schedulers.count - 1` milestones.
    public init(_ optimizer: Optimizer, schedulers: [LRSchedulerBase], milestones: [Int], lastEpoch: Int = -1) {
        precondition(!schedulers.isEmpty, "SequentialLR expects at least one scheduler, but got no scheduler.")
        for (i, s) in schedulers.enumerated() {
            precondition(s.optimizer === optimizer,
                         "SequentialLR expects all schedulers to belong to the same optimizer, but scheduler \(s.typeName) at index \(i) has another")
        }
        precondition(milestones.count == schedulers.count - 1,
                     "SequentialLR expects number of schedulers provided to be one more than the number of milestone points, but got \(schedulers.count) schedulers and \(milestones.count) milestones")
        self.optimizer = optimizer
        self.schedulers = schedulers
        self.milestones = milestones
        self.lastEpoch = lastEpoch + 1
        for i in optimizer.paramGroups.indices {
            optimizer.paramGroups[i].lr = optimizer.paramGroups[i].double("initial_lr")
        }
        for s in schedulers { s.lastEpoch -= 1 }
        let idx = SequentialLR.bisectRight(milestones, 0)
        schedulers[idx].initialStep()
        lastLR = schedulers[idx].lastLR
    }

    /// Number of milestones ≤ `x` (Python's `bisect_right` on a sorted list).
    static func bisectRight(_ a: [Int], _ x: Int) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if x < a[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// Advances the active child (or starts the next one at a milestone).
    public func step() {
        lastEpoch += 1
        let idx = SequentialLR.bisectRight(milestones, lastEpoch)
        let s = schedulers[idx]
        if idx > 0 && milestones[idx - 1] == lastEpoch {
            s.update(epoch: 0)
        } else {
            s.step()
        }
        lastLR = s.lastLR
    }

    /// `_milestones`, `last_epoch`, `_last_lr`, then `_schedulers` (each child's state dict).
    public func stateDict() -> HyperDict {
        [
            "_milestones": .list(milestones.map { .int($0) }),
            "last_epoch": .int(lastEpoch),
            "_last_lr": .doubles(lastLR),
            "_schedulers": .list(schedulers.map { .dict($0.stateDict()) }),
        ]
    }

    /// Restores this scheduler and every child; throws naming the bad key.
    public func loadStateDict(_ state: HyperDict) throws {
        let ctx = "SequentialLR state"
        let ms = try state.requireArray("_milestones", in: ctx).enumerated().map { i, v -> Int in
            guard let m = v.intValue else { throw StateLoadError.wrongType(context: ctx, key: "_milestones[\(i)]", expected: "int", found: v.kindName) }
            return m
        }
        guard ms.count == schedulers.count - 1 else {
            throw StateLoadError.invalidValue(context: ctx, key: "_milestones", reason: "\(ms.count) milestones for \(schedulers.count) schedulers")
        }
        let epoch = try state.requireInt("last_epoch", in: ctx)
        let last = try state.requireDoubles("_last_lr", in: ctx)
        try CompositeSchedulerState.loadChildren(schedulers, from: state, context: ctx)
        milestones = ms
        lastEpoch = epoch
        lastLR = last
    }
}
