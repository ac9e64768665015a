/// Steps several schedulers together on every call (torch's ChainedScheduler); their effects
/// compose because each recursive scheduler scales the rate the previous one wrote.
public final class ChainedScheduler: LRScheduler {
    /// The optimizer whose groups these schedulers drive.
    public let optimizer: Optimizer
    /// The chained schedulers, stepped in order.
    public let schedulers: [LRScheduler]
    /// The learning rate of each group after the last step.
    public private(set) var lastLR: [Double]

    /// Chains `schedulers` (all on one optimizer; ReduceLROnPlateau is not allowed).
    public init(_ schedulers: [LRScheduler], optimizer: Optimizer? = nil) {
        precondition(!schedulers.isEmpty, "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.")
        let opt = optimizer ?? schedulers[0].optimizer
        for (i, s) in schedulers.enumerated() {
            precondition(!(s is ReduceLROnPlateau),
                         "ChainedScheduler does not support `ReduceLROnPlateau` scheduler as it requires a metric, but got one at index \(i)")
            precondition(s.optimizer === opt,
                         "ChainedScheduler expects all schedulers to belong to the same optimizer, but scheduler at index \(i) has another")
        }
        self.optimizer = opt
        self.schedulers = schedulers
        lastLR = schedulers[schedulers.count - 1].optimizer.paramGroups.map(\.lr)
    }

    /// Steps every scheduler in order.
    public func step() {
        for s in schedulers { s.step() }
        lastLR = schedulers[schedulers.count - 1].optimizer.paramGroups.map(\.lr)
    }

    /// `_last_lr`, then `_schedulers` (each child's state dict).
    public func stateDict() -> HyperDict {
        ["_last_lr": .doubles(lastLR), "_schedulers": .list(schedulers.map { .dict($0.stateDict()) })]
    }

    /// Restores this scheduler and every child; throws naming the bad key.
    public func loadStateDict(_ state: HyperDict) throws {
        let ctx = "ChainedScheduler state"
        let last = try state.requireDoubles("_last_lr", in: ctx)
        try CompositeSchedulerState.loadChildren(schedulers, from: state, context: ctx)
        lastLR = last
    }
}
