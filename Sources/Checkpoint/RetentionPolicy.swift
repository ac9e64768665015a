/// Which checkpoints to keep: the newest `keepLast`, the best `keepBest` by a metric, plus protected ones.
///
/// A checkpoint is kept when any rule retains it (the rules add up, like Lightning's `save_last` +
/// `save_top_k`); with no rule configured nothing is deleted. Whatever the rules, the newest valid
/// checkpoint and every name in `protected` are kept, so a run can always resume and the checkpoint
/// it resumed from survives. Corrupt (unverified) checkpoints never count as last or best; they are
/// left alone for inspection unless `deleteCorrupt` is set. "Newest" orders by global step, then
/// creation order, the same order `latest` uses. Among equal metric values the earlier checkpoint
/// ranks first (it reached the value first, matching the strict-improvement save rule). NaN, ±inf and
/// a missing monitored metric never rank as best.
public struct RetentionPolicy: Sendable, Equatable, Codable {
    /// Keep the `count` best checkpoints by `monitor`.
    public struct KeepBest: Sendable, Equatable, Codable {
        /// Metric and direction.
        public var monitor: MetricMonitor
        /// How many to keep (0 keeps none for this rule).
        public var count: Int

        /// Keeps the `count` best by `monitor`.
        public init(_ monitor: MetricMonitor, count: Int) {
            precondition(count >= 0, "RetentionPolicy.KeepBest: count must be >= 0, got \(count)")
            self.monitor = monitor
            self.count = count
        }
    }

    /// Keep the newest `keepLast` valid checkpoints; nil means this rule is off.
    public var keepLast: Int?
    /// Keep the best by a metric; nil means this rule is off.
    public var keepBest: KeepBest?
    /// Delete checkpoints that fail verification instead of leaving them for inspection.
    public var deleteCorrupt: Bool

    /// A policy that never deletes anything.
    public static let keepAll = RetentionPolicy()

    /// Builds a policy; `keepLast` must be >= 0 when given.
    public init(keepLast: Int? = nil, keepBest: KeepBest? = nil, deleteCorrupt: Bool = false) {
        if let k = keepLast { precondition(k >= 0, "RetentionPolicy: keepLast must be >= 0, got \(k)") }
        self.keepLast = keepLast
        self.keepBest = keepBest
        self.deleteCorrupt = deleteCorrupt
    }

    /// True when at least one rule can delete something.
    public var hasRule: Bool { keepLast != nil || keepBest != nil || deleteCorrupt }

    /// Splits `candidates` into keep/delete; names in `protected` are always kept. Pure.
    public func decide(_ candidates: [RetentionCandidate], protected: Set<String> = []) -> RetentionDecision {
        precondition(Set(candidates.map(\.name)).count == candidates.count,
                     "RetentionPolicy.decide: candidate names must be unique")
        var reasons: [String: Set<RetentionDecision.Reason>] = [:]
        func add(_ name: String, _ r: RetentionDecision.Reason) { reasons[name, default: []].insert(r) }

        let valid = candidates.filter(\.isValid).sorted(by: RetentionCandidate.isNewer)
        if let newest = valid.first { add(newest.name, .newestValid) }
        for c in candidates where protected.contains(c.name) { add(c.name, .protected) }

        if !(keepLast != nil || keepBest != nil) {
            for c in candidates where c.isValid { add(c.name, .noRule) }
        }
        if let k = keepLast {
            for c in valid.prefix(k) { add(c.name, .last) }
        }
        if let rule = keepBest {
            let ranked = valid.compactMap { c in rule.monitor.value(in: c.metrics).map { (c, $0) } }
                .sorted { a, b in
                    if a.1 != b.1 { return rule.monitor.isBetter(a.1, than: b.1) }
                    return RetentionCandidate.isNewer(b.0, than: a.0)  // tie: earlier first
                }
            for (c, _) in ranked.prefix(rule.count) { add(c.name, .best) }
        }
        if !deleteCorrupt {
            for c in candidates where !c.isValid { add(c.name, .corrupt) }
        }

        let oldestFirst = candidates.sorted { RetentionCandidate.isNewer($1, than: $0) }
        return RetentionDecision(
            keep: oldestFirst.filter { reasons[$0.name] != nil }.map(\.name),
            delete: oldestFirst.filter { reasons[$0.name] == nil }.map(\.name),
            reasons: reasons)
    }
}
