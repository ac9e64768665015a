import Foundation

/// When to save: every N global steps, every N epochs, every N seconds, and/or when a monitored metric
/// improves. Triggers add up; a schedule with none never saves on its own (only forced saves happen).
///
/// `shouldSave` is a pure decision from the arguments and the schedule's recorded state; call
/// `recordSave` after each save (forced ones too) so intervals and the best value move on. Conventions:
/// - `step` is the global step (optimizer steps done); the step trigger fires at `step > 0`, `step % n == 0`.
/// - `epoch` is the number of completed epochs (equivalently the 0-based index of the epoch in
///   progress); the epoch trigger fires once for each `epoch > 0` with `epoch % n == 0`, so calling
///   every step or only at epoch ends both save once after each n-th epoch.
/// - the time trigger measures from the last save (or from `start(at:)`), with `now` from an injectable clock.
/// - the improvement trigger fires when the metric is present, finite and strictly better than the best
///   seen at a save by more than `minDelta`; the first finite value counts as an improvement (Keras).
/// Step, epoch and time triggers never fire twice at the same global step; an improvement still fires,
/// since a metric measured after a periodic save is new information.
public struct SaveSchedule: Sendable, Equatable {
    /// Why a save is due; when several triggers fire together the first in this order is reported.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// The caller asked for it (`force: true`).
        case forced
        /// The monitored metric improved from `previous` (nil = first value) to `current`.
        case improved(metric: String, previous: Double?, current: Double)
        /// Epoch count reached a multiple of the interval.
        case everyNEpochs(epoch: Int)
        /// Global step reached a multiple of the interval.
        case everyNSteps(step: Int)
        /// At least the interval passed since the last save.
        case everyNSeconds(elapsed: Double)

        /// A one-line, human-readable message.

        /// A one-line, human-readable message.
        public var description: String {
            switch self {
            case .forced: return "forced"
            case let .improved(m, p, c): return "\(m) improved from \(p.map { "\($0)" } ?? "none") to \(c)"
            case let .everyNEpochs(e): return "epoch \(e)"
            case let .everyNSteps(s): return "step \(s)"
            case let .everyNSeconds(t): return "\(t) s since last save"
            }
        }
    }

    /// Save when the global step is a positive multiple of this.
    public var everyNSteps: Int?
    /// Save once when the completed-epoch count is a positive multiple of this.
    public var everyNEpochs: Int?
    /// Save when this many seconds passed since the last save.
    public var everyNSeconds: Double?
    /// Save when this metric improves.
    public var onImprovement: MetricMonitor?
    /// An improvement must beat the best by more than this.
    public var minDelta: Double

    /// Best monitored value seen at a save.
    public private(set) var best: Double?
    /// Global step of the last recorded save.
    public private(set) var lastSavedStep: Int?
    /// Last epoch for which the epoch trigger was satisfied by a save.
    public private(set) var lastSavedEpoch: Int?
    /// Time of the last save (or of `start(at:)`); the time trigger is off until set.
    public private(set) var lastSaveTime: Date?

    /// A schedule; every interval must be positive when given.
    public init(everyNSteps: Int? = nil, everyNEpochs: Int? = nil, everyNSeconds: Double? = nil,
                onImprovement: MetricMonitor? = nil, minDelta: Double = 0) {
        if let n = everyNSteps { precondition(n > 0, "SaveSchedule: everyNSteps must be > 0, got \(n)") }
        if let n = everyNEpochs { precondition(n > 0, "SaveSchedule: everyNEpochs must be > 0, got \(n)") }
        if let n = everyNSeconds { precondition(n > 0 && n.isFinite, "SaveSchedule: everyNSeconds must be > 0, got \(n)") }
        precondition(minDelta >= 0, "SaveSchedule: minDelta must be >= 0, got \(minDelta)")
        self.everyNSteps = everyNSteps
        self.everyNEpochs = everyNEpochs
        self.everyNSeconds = everyNSeconds
        self.onImprovement = onImprovement
        self.minDelta = minDelta
    }

    /// A schedule that never fires (only forced saves).
    public static let manual = SaveSchedule()

    /// Starts the time trigger's clock (the manager calls this when it is created).
    public mutating func start(at now: Date) {
        if lastSaveTime == nil { lastSaveTime = now }
    }

    /// Takes `metrics`' monitored value as the best when it is better than the best so far (used on
    /// resume with the metrics of earlier checkpoints); NaN, ±inf and a missing metric change nothing.
    public mutating func restoreBest(from metrics: [String: Double]) {
        guard let m = onImprovement, let v = m.value(in: metrics) else { return }
        if best.map({ m.isBetter(v, than: $0) }) ?? true { best = v }
    }

    /// Whether a save is due now, and why; nil when no trigger fires. Pure.
    public func shouldSave(step: Int, epoch: Int, now: Date, metrics: [String: Double]) -> Reason? {
        if let m = onImprovement, let v = m.value(in: metrics) {
            if best.map({ m.isBetter(v, than: $0, minDelta: minDelta) }) ?? true {
                return .improved(metric: m.metric, previous: best, current: v)
            }
        }
        if lastSavedStep == step { return nil }
        if let n = everyNEpochs, epoch > 0, epoch % n == 0, lastSavedEpoch != epoch {
            return .everyNEpochs(epoch: epoch)
        }
        if let n = everyNSteps, step > 0, step % n == 0 {
            return .everyNSteps(step: step)
        }
        if let n = everyNSeconds, let last = lastSaveTime {
            let elapsed = now.timeIntervalSince(last)
            if elapsed >= n { return .everyNSeconds(elapsed: elapsed) }
        }
        return nil
    }

    /// Records a save (scheduled or forced) so triggers measure from it.
    public mutating func recordSave(step: Int, epoch: Int, now: Date, metrics: [String: Double]) {
        lastSavedStep = step
        if let n = everyNEpochs, epoch > 0, epoch % n == 0 { lastSavedEpoch = epoch }
        lastSaveTime = now
        if let m = onImprovement, let v = m.value(in: metrics) {
            if best.map({ m.isBetter(v, than: $0, minDelta: minDelta) }) ?? true { best = v }
        }
    }
}
