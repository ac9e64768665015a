/// Whether a monitored metric improves by going down (`min`, losses) or up (`max`, accuracies).
public enum MetricMode: String, Codable, Sendable, CaseIterable {
    /// Lower is better.
    case min
    /// Higher is better.
    case max

    /// The mode a metric name implies when none is written: `max` for accuracy-like names
    /// (containing `acc`, `f1`, `precision`, `recall`, `auc`), else `min` (as for losses).
    public static func inferred(for metric: String) -> MetricMode {
        let m = metric.lowercased()
        return ["acc", "f1", "precision", "recall", "auc"].contains { m.contains($0) } ? .max : .min
    }
}
