/// The outcome of `RetentionPolicy.decide`: which checkpoints stay, which go, and why each one stays.
public struct RetentionDecision: Sendable, Equatable {
    /// Why a checkpoint is kept (a checkpoint may have several reasons).
    public enum Reason: String, Sendable, Equatable, Hashable, CaseIterable {
        /// Among the newest `keepLast` valid checkpoints.
        case last
        /// Among the `keepBest` best by the monitored metric.
        case best
        /// Named in the caller's protected set (the one resumed from, the one just written).
        case protected
        /// The newest valid checkpoint, kept whatever the policy so training can always resume.
        case newestValid
        /// Failed verification and `deleteCorrupt` is off: left for inspection, never counted.
        case corrupt
        /// The policy has no rule, so nothing is deleted.
        case noRule
    }

    /// Names kept, oldest first.
    public var keep: [String]
    /// Names to delete, oldest first.
    public var delete: [String]
    /// Reasons for each kept name.
    public var reasons: [String: Set<Reason>]
}
