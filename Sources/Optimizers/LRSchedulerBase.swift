import Foundation

/// Shared machinery of the epoch-based schedulers, mirroring torch 2.13's `LRScheduler` base class.
///
/// On creation every group gets `initial_lr` (if absent) and the scheduler takes its initial step
/// (`last_epoch` becomes 0). `step()` increments `last_epoch` and writes `computeLR()` into the
/// groups; `update(epoch:)` (used by SequentialLR at milestones) jumps to an epoch and uses the
/// closed form when the scheduler has one. Subclasses store their own settings before calling
/// `super.init`, exactly as torch's subclasses set attributes before `super().__init__`.
open class LRSchedulerBase: LRScheduler {
    /// The optimizer whose groups this scheduler drives.
    public let optimizer: Optimizer
    /// Each group's `initial_lr` when the scheduler was created.
    public internal(set) var baseLRs: [Double] = []
    /// Epochs (or batches) stepped so far; 0 after construction.
    public var lastEpoch: Int
    /// Calls to `step()`, counting the initial one (torch's `_step_count`).
    public internal(set) var stepCount = 0
    /// True only during the initial step (torch's `_is_initial`).
    public internal(set) var isInitial = false
    /// The learning rate of each group after the last step.
    public internal(set) var lastLR: [Double] = []
    /// The torch class name, for messages.
    public let typeName: String

    /// Attaches to `optimizer` and takes the initial step; `lastEpoch >= 0` resumes, which needs
    /// `initial_lr` in every group (a precondition names the group otherwise).
    public init(optimizer: Optimizer, lastEpoch: Int = -1, typeName: String) {
        self.optimizer = optimizer
        self.lastEpoch = lastEpoch
        self.typeName = typeName
        if lastEpoch == -1 {
            for i in optimizer.paramGroups.indices {
                let lr = optimizer.paramGroups[i].options["lr"] ?? .double(optimizer.paramGroups[i].lr)
                optimizer.paramGroups[i].options.setDefault("initial_lr", lr)
            }
        } else {
            for (i, g) in optimizer.paramGroups.enumerated() {
                precondition(g.options.contains("initial_lr"),
                             "\(typeName): param 'initial_lr' is not specified in param_groups[\(i)] when resuming with lastEpoch \(lastEpoch)")
            }
        }
        baseLRs = optimizer.paramGroups.map { $0.double("initial_lr") }
        initialStep()
    }

    /// Resets the step count and takes the initial step (torch's `_initial_step`).
    public func initialStep() {
        stepCount = 0
        isInitial = true
        defer { isInitial = false }
        step()
    }

    /// Advances one epoch.
    open func step() {
        stepCount += 1
        update(epoch: nil)
    }

    /// Moves to `epoch` (closed form when available) or, with nil, to the next epoch (recursive form).
    public func update(epoch: Int?) {
        let values: [Double]
        if let epoch {
            lastEpoch = epoch
            values = closedFormLR() ?? computeLR()
        } else {
            lastEpoch += 1
            values = computeLR()
        }
        precondition(values.count == optimizer.paramGroups.count,
                     "\(typeName): computed \(values.count) learning rates for \(optimizer.paramGroups.count) param groups")
        for (i, lr) in values.enumerated() { optimizer.paramGroups[i].lr = lr }
        lastLR = optimizer.paramGroups.map(\.lr)
    }

    /// The groups' current learning rates.
    public var groupLRs: [Double] { optimizer.paramGroups.map(\.lr) }

    /// The next learning rates from the current ones (torch's `get_lr`); subclasses override.
    open func computeLR() -> [Double] {
        preconditionFailure("\(typeName).computeLR is not implemented")
    }

    /// The learning rates at `lastEpoch` from `baseLRs` (torch's `_get_closed_form_lr`), or nil.
    open func closedFormLR() -> [Double]? { nil }

    /// The subclass's own state entries, which torch lists before the base ones.
    open func ownState() -> HyperDict { [:] }

    /// Restores the subclass's own entries.
    open func loadOwnState(_ state: HyperDict) throws {}

    /// torch's `state_dict()`: own entries, then `base_lrs`, `last_epoch`, `_step_count`,
    /// `_is_initial`, `_get_lr_called_within_step`, `_last_lr`.
    public func stateDict() -> HyperDict {
        var d = ownState()
        d["base_lrs"] = .doubles(baseLRs)
        d["last_epoch"] = .int(lastEpoch)
        d["_step_count"] = .int(stepCount)
        d["_is_initial"] = .bool(isInitial)
        d["_get_lr_called_within_step"] = false
        d["_last_lr"] = .doubles(lastLR)
        return d
    }

    /// Restores a state from `stateDict()` or torch; nothing changes when it throws.
    public func loadStateDict(_ state: HyperDict) throws {
        let ctx = "\(typeName) state"
        let base = try state.requireDoubles("base_lrs", in: ctx)
        let epoch = try state.requireInt("last_epoch", in: ctx)
        let count = try state.requireInt("_step_count", in: ctx)
        let last = try state.requireDoubles("_last_lr", in: ctx)
        let initial = try state["_is_initial"].map { _ in try state.requireBool("_is_initial", in: ctx) } ?? false
        try loadOwnState(state)
        baseLRs = base
        lastEpoch = epoch
        stepCount = count
        lastLR = last
        isInitial = initial
    }
}
