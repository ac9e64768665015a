/// The `checkpoint:` section: when to save, what to keep, how files are named.
///
/// ```yaml
/// checkpoint: {every_n_steps: 50, keep_last: 3, keep_best: {monitor: val_accuracy, mode: max, k: 1}}
/// ```
/// With no `every_n_*` trigger, a checkpoint is saved at the end of every epoch.
public struct CheckpointConfig: Codable, Equatable, Sendable {
    /// Keep the `k` checkpoints with the best value of a metric (in addition to the last ones).
    public struct KeepBest: Codable, Equatable, Sendable {
        /// Metric to rank by (e.g. val_accuracy).
        public var monitor: String
        /// Whether lower or higher is better (default: from the name).
        public var mode: MetricMode
        /// How many to keep (default 1).
        public var k: Int

        /// A keep-best rule.
        public init(monitor: String, mode: MetricMode? = nil, k: Int = 1) {
            self.monitor = monitor
            self.mode = mode ?? MetricMode.inferred(for: monitor)
            self.k = k
        }

        enum CodingKeys: String, CodingKey { case monitor, mode, k }

        /// Decodes; `monitor` is required.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let monitor = try c.decode(String.self, forKey: .monitor)
            try c.check(!monitor.isEmpty, .monitor, "must name a metric")
            self.init(monitor: monitor, mode: try c.choice(.mode, or: MetricMode.inferred(for: monitor)), k: try c.value(.k, or: 1))
            try c.check(k >= 1, .k, "must be at least 1, got \(k)")
        }
    }

    /// Save every this many optimizer steps; nil: not by steps.
    public var everyNSteps: Int?
    /// Save every this many epochs; nil: not by epochs (1 when no trigger is set at all).
    public var everyNEpochs: Int?
    /// Save when this many seconds have passed since the last save; nil: not by time.
    public var everyNSeconds: Double?
    /// Keep the newest this many checkpoints (default 3); nil (`keep_last: null`): keep every one.
    public var keepLast: Int?
    /// Also keep the best `k` by a metric; nil: no such rule.
    public var keepBest: KeepBest?
    /// Checkpoint name template; fields `{epoch}`, `{step}` and metrics, with Python format specs.
    public var filename: String
    /// Save only model weights (no optimizer, scheduler or loop state: such a checkpoint cannot resume a run).
    public var weightsOnly: Bool
    /// Write checkpoints on a background thread (the step continues while the snapshot is written).
    public var asynchronous: Bool

    /// The default template, as `Checkpoint.FilenameTemplate.default`.
    public static let defaultFilename = "ckpt-{epoch:04d}-{step:06d}"

    /// A checkpoint section with the defaults (save every epoch, keep the last 3).
    public init(everyNSteps: Int? = nil, everyNEpochs: Int? = nil, everyNSeconds: Double? = nil, keepLast: Int? = 3,
                keepBest: KeepBest? = nil, filename: String = CheckpointConfig.defaultFilename, weightsOnly: Bool = false,
                asynchronous: Bool = false) {
        self.everyNSteps = everyNSteps
        self.everyNEpochs = everyNSteps == nil && everyNSeconds == nil && everyNEpochs == nil ? 1 : everyNEpochs
        self.everyNSeconds = everyNSeconds
        self.keepLast = keepLast
        self.keepBest = keepBest
        self.filename = filename
        self.weightsOnly = weightsOnly
        self.asynchronous = asynchronous
    }

    enum CodingKeys: String, CodingKey {
        case everyNSteps = "every_n_steps", everyNEpochs = "every_n_epochs", everyNSeconds = "every_n_seconds"
        case keepLast = "keep_last", keepBest = "keep_best", filename, weightsOnly = "weights_only", asynchronous = "async"
    }

    /// Decodes and checks ranges; `keep_last: null` keeps every checkpoint.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let steps = try c.decodeIfPresent(Int.self, forKey: .everyNSteps)
        let epochs = try c.decodeIfPresent(Int.self, forKey: .everyNEpochs)
        let seconds = try c.decodeIfPresent(Double.self, forKey: .everyNSeconds)
        try c.check((steps ?? 1) > 0, .everyNSteps, "must be positive, got \(steps ?? 0)")
        try c.check((epochs ?? 1) > 0, .everyNEpochs, "must be positive, got \(epochs ?? 0)")
        try c.check((seconds ?? 1) > 0 && (seconds ?? 1).isFinite, .everyNSeconds, "must be positive, got \(seconds ?? 0)")
        let keepLast: Int? = try c.contains(.keepLast) && c.decodeNil(forKey: .keepLast) ? nil : c.value(.keepLast, or: 3)
        try c.check((keepLast ?? 1) >= 1, .keepLast, "must be at least 1 (or null to keep every checkpoint), got \(keepLast ?? 0)")
        self.init(everyNSteps: steps, everyNEpochs: epochs, everyNSeconds: seconds, keepLast: keepLast,
                  keepBest: try c.decodeIfPresent(KeepBest.self, forKey: .keepBest),
                  filename: try c.value(.filename, or: CheckpointConfig.defaultFilename),
                  weightsOnly: try c.value(.weightsOnly, or: false), asynchronous: try c.value(.asynchronous, or: false))
        try c.check(!filename.isEmpty && !filename.contains("/") && !filename.hasPrefix("."), .filename,
                    "must be a file name template without '/' or a leading '.', got \"\(filename)\"")
    }

    /// Encodes every key (`keep_last: null` when every checkpoint is kept).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let everyNSteps { try c.encode(everyNSteps, forKey: .everyNSteps) }
        if let everyNEpochs { try c.encode(everyNEpochs, forKey: .everyNEpochs) }
        if let everyNSeconds { try c.encode(everyNSeconds, forKey: .everyNSeconds) }
        if let keepLast { try c.encode(keepLast, forKey: .keepLast) } else { try c.encodeNil(forKey: .keepLast) }
        if let keepBest { try c.encode(keepBest, forKey: .keepBest) }
        try c.encode(filename, forKey: .filename)
        try c.encode(weightsOnly, forKey: .weightsOnly)
        try c.encode(asynchronous, forKey: .asynchronous)
    }
}
