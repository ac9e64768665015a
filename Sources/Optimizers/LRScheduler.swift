/// A learning-rate scheduler: writes `lr` (and for some, momentum) into its optimizer's groups.
///
/// Schedulers hold a reference to the optimizer. Their state is a `HyperDict` with exactly the keys
/// and value kinds of torch 2.13's `scheduler.state_dict()` (Codable, and ready for a `.pth` writer);
/// `loadStateDict` restores it so a resumed run continues identically. As in PyTorch, loading
/// restores the scheduler's counters but not the optimizer's `lr` (that comes with the optimizer's
/// own state), and a user override of `lr` lasts until the scheduler's next step writes its value.
public protocol LRScheduler: AnyObject {
    /// The optimizer whose groups this scheduler drives.
    var optimizer: Optimizer { get }
    /// The learning rate of each group after the last step (torch's `get_last_lr()`).
    var lastLR: [Double] { get }
    /// Advances one epoch or batch (call after `optimizer.step()`).
    func step()
    /// Advances with a metric; only ReduceLROnPlateau uses it, the others ignore it and `step()`.
    func step(metric: Double)
    /// The scheduler's state in torch's `state_dict()` structure.
    func stateDict() -> HyperDict
    /// Restores what `stateDict()` returned (or torch's own state dict); throws naming a bad key.
    func loadStateDict(_ state: HyperDict) throws
}

extension LRScheduler {
    /// Ignores the metric and steps.
    public func step(metric: Double) { step() }
}
