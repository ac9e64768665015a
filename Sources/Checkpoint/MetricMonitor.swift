/// A metric to watch and which direction counts as better (Keras/Lightning `monitor` + `mode`).
public struct MetricMonitor: Sendable, Equatable, Hashable, Codable {
    /// Whether lower or higher values are better.
    public enum Mode: String, Sendable, Equatable, Hashable, Codable {
        /// Lower is better (losses).
        case min
        /// Higher is better (accuracies).
        case max
    }

    /// Metric name as it appears in a checkpoint's metrics.
    public var metric: String
    /// Direction of improvement.
    public var mode: Mode

    /// Watches `metric` in direction `mode`.
    public init(_ metric: String, mode: Mode) {
        self.metric = metric
        self.mode = mode
    }

    /// The monitored value in `metrics` when present and finite; NaN and ±inf never rank, so they return nil.
    public func value(in metrics: [String: Double]) -> Double? {
        guard let v = metrics[metric], v.isFinite else { return nil }
        return v
    }

    /// True when `a` is strictly better than `b` by more than `minDelta` (so a tie is not an improvement).
    public func isBetter(_ a: Double, than b: Double, minDelta: Double = 0) -> Bool {
        switch mode {
        case .min: return a < b - minDelta
        case .max: return a > b + minDelta
        }
    }
}
