/// State handling shared by schedulers that own child schedulers (`SequentialLR`, `ChainedScheduler`).
enum CompositeSchedulerState {
    /// Restores every child from the `_schedulers` list of `state`, all or nothing: when one child
    /// rejects its state, the children already loaded are put back as they were.
    static func loadChildren(_ schedulers: [LRScheduler], from state: HyperDict, context ctx: String) throws {
        let children = try state.requireArray("_schedulers", in: ctx)
        guard children.count == schedulers.count else {
            throw StateLoadError.invalidValue(context: ctx, key: "_schedulers", reason: "\(children.count) states for \(schedulers.count) schedulers")
        }
        let dicts = try children.enumerated().map { i, v -> HyperDict in
            guard let d = v.dictValue else { throw StateLoadError.wrongType(context: ctx, key: "_schedulers[\(i)]", expected: "dict", found: v.kindName) }
            return d
        }
        let snapshots = schedulers.map { $0.stateDict() }
        do {
            for (s, d) in zip(schedulers, dicts) { try s.loadStateDict(d) }
        } catch {
            for (s, d) in zip(schedulers, snapshots) { try? s.loadStateDict(d) }
            throw error
        }
    }
}
