import Foundation
import Checkpoint

/// Stops training when a monitored metric has not improved for `patience` evaluations (Keras rules:
/// an improvement beats the best by more than `minDelta`; non-finite values never improve).
public struct EarlyStopping: Codable, Sendable, Equatable {
    /// Metric and direction.
    public var monitor: MetricMonitor
    /// Evaluations without improvement tolerated before stopping.
    public var patience: Int
    /// Minimum improvement that counts.
    public var minDelta: Double
    /// Best value seen.
    public private(set) var best: Double?
    /// Evaluations since the last improvement.
    public private(set) var badEpochs: Int = 0

    /// Early stopping on `monitor` with `patience` (>= 0) and `minDelta` (>= 0).
    public init(monitor: MetricMonitor, patience: Int, minDelta: Double = 0) {
        precondition(patience >= 0, "EarlyStopping: patience must be >= 0, got \(patience)")
        precondition(minDelta >= 0, "EarlyStopping: minDelta must be >= 0, got \(minDelta)")
        self.monitor = monitor
        self.patience = patience
        self.minDelta = minDelta
    }

    /// Records one evaluation's metrics; returns true when training should stop.
    public mutating func update(_ metrics: [String: Double]) -> Bool {
        if let v = monitor.value(in: metrics), best.map({ monitor.isBetter(v, than: $0, minDelta: minDelta) }) ?? true {
            best = v
            badEpochs = 0
            return false
        }
        badEpochs += 1
        return badEpochs > patience
    }
}
