/// The `training:` section: how long to train and how the loop behaves.
///
/// ```yaml
/// training:
///   epochs: 5                    # and/or max_steps: 1000 (training stops at whichever comes first)
///   grad_clip: {norm: 1.0}       # or {value: 0.5}
///   early_stopping: {monitor: val_loss, patience: 3}
/// ```
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// Gradient clipping before each optimizer step.
    public enum GradClip: Codable, Equatable, Sendable {
        /// `clip_grad_norm_(max_norm, norm_type)`.
        case norm(Double, type: Double)
        /// `clip_grad_value_(clip_value)`.
        case value(Double)

        enum CodingKeys: String, CodingKey { case norm, normType = "norm_type", value }

        /// Decodes `{norm: x}` (with optional `norm_type`, default 2) or `{value: x}`.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let norm = try c.decodeIfPresent(Double.self, forKey: .norm), value = try c.decodeIfPresent(Double.self, forKey: .value)
            switch (norm, value) {
            case let (n?, nil):
                let t = try c.value(.normType, or: 2.0)
                try c.check(n > 0 && n.isFinite, .norm, "must be a positive number, got \(n)")
                try c.check(t > 0, .normType, "must be positive (or .inf), got \(t)")
                self = .norm(n, type: t)
            case let (nil, v?):
                try c.check(!c.contains(.normType), .normType, "goes with norm, not value")
                try c.check(v > 0 && v.isFinite, .value, "must be a positive number, got \(v)")
                self = .value(v)
            case (_?, _?): throw c.invalid(.value, "clip by norm or by value, not both")
            case (nil, nil): throw c.missing(.norm, "missing 'norm: <max norm>' or 'value: <clip value>'")
            }
        }

        /// Encodes `{norm, norm_type}` or `{value}`.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case let .norm(n, t): try c.encode(n, forKey: .norm); try c.encode(t, forKey: .normType)
            case let .value(v): try c.encode(v, forKey: .value)
            }
        }
    }

    /// What to do when the loss is NaN or infinite.
    public enum NaNPolicy: String, Codable, Sendable, CaseIterable {
        /// Stop the run with an error naming the step (default); the last checkpoint is kept.
        case stop
        /// Skip that batch's update and count it in the log.
        case skip
    }

    /// The training loss.
    public enum LossName: String, Codable, Sendable, CaseIterable {
        /// `nn.CrossEntropyLoss` on logits and class indices (default).
        case crossEntropy = "cross_entropy"
        /// `nn.NLLLoss` on log-probabilities.
        case nll
        /// `nn.MSELoss`.
        case mse
        /// `nn.L1Loss`.
        case l1
        /// `nn.BCEWithLogitsLoss`.
        case bceWithLogits = "bce_with_logits"
    }

    /// Stop when a monitored metric stops improving (Lightning's `EarlyStopping`).
    public struct EarlyStopping: Codable, Equatable, Sendable {
        /// Metric to watch (default val_loss).
        public var monitor: String
        /// Whether it should go down or up (default: from the name, `max` for accuracy-like names).
        public var mode: MetricMode
        /// Validations without improvement before stopping (default 3).
        public var patience: Int
        /// Least change that counts as improvement (default 0).
        public var minDelta: Double

        /// Early stopping with Lightning's defaults.
        public init(monitor: String = "val_loss", mode: MetricMode? = nil, patience: Int = 3, minDelta: Double = 0) {
            self.monitor = monitor
            self.mode = mode ?? MetricMode.inferred(for: monitor)
            self.patience = patience
            self.minDelta = minDelta
        }

        enum CodingKeys: String, CodingKey { case monitor, mode, patience, minDelta = "min_delta" }

        /// Decodes and checks ranges.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let monitor = try c.value(.monitor, or: "val_loss")
            try c.check(!monitor.isEmpty, .monitor, "must name a metric")
            self.init(monitor: monitor, mode: try c.choice(.mode, or: MetricMode.inferred(for: monitor)),
                      patience: try c.value(.patience, or: 3), minDelta: try c.value(.minDelta, or: 0.0))
            try c.check(patience >= 1, .patience, "must be at least 1, got \(patience)")
            try c.check(minDelta >= 0, .minDelta, "must be ≥ 0, got \(minDelta)")
        }
    }

    /// Epochs to train; nil: until `maxSteps`.
    public var epochs: Int?
    /// Optimizer steps to train; nil: until `epochs`.
    public var maxSteps: Int?
    /// The loss (default cross_entropy).
    public var loss: LossName
    /// Cross-entropy label smoothing in [0, 1) (default 0).
    public var labelSmoothing: Double
    /// Gradient clipping; nil: none.
    public var gradClip: GradClip?
    /// Steps between training-log lines (default 10).
    public var logEveryNSteps: Int
    /// Epochs between validations (default 1).
    public var validateEveryNEpochs: Int
    /// Non-finite loss handling (default stop).
    public var nanPolicy: NaNPolicy
    /// Early stopping; nil: none.
    public var earlyStopping: EarlyStopping?

    /// A training section; at least one of `epochs` and `maxSteps` must be set.
    public init(epochs: Int? = nil, maxSteps: Int? = nil, loss: LossName = .crossEntropy, labelSmoothing: Double = 0,
                gradClip: GradClip? = nil, logEveryNSteps: Int = 10, validateEveryNEpochs: Int = 1, nanPolicy: NaNPolicy = .stop,
                earlyStopping: EarlyStopping? = nil) {
        self.epochs = epochs
        self.maxSteps = maxSteps
        self.loss = loss
        self.labelSmoothing = labelSmoothing
        self.gradClip = gradClip
        self.logEveryNSteps = logEveryNSteps
        self.validateEveryNEpochs = validateEveryNEpochs
        self.nanPolicy = nanPolicy
        self.earlyStopping = earlyStopping
    }

    enum CodingKeys: String, CodingKey {
        case epochs, maxSteps = "max_steps", loss, labelSmoothing = "label_smoothing", gradClip = "grad_clip"
        case logEveryNSteps = "log_every_n_steps", validateEveryNEpochs = "validate_every_n_epochs", nanPolicy = "nan_policy"
        case earlyStopping = "early_stopping"
    }

    /// Decodes and checks ranges; needs `epochs` or `max_steps`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfig()
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs)
        maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps)
        guard epochs != nil || maxSteps != nil else {
            throw c.missing(c.presentKeys.contains { ConfigError.isNearMiss($0, "max_steps") } ? .maxSteps : .epochs,
                            "missing 'epochs' or 'max_steps' (how long to train)")
        }
        try c.check((epochs ?? 1) > 0, .epochs, "must be positive, got \(epochs ?? 0)")
        try c.check((maxSteps ?? 1) > 0, .maxSteps, "must be positive, got \(maxSteps ?? 0)")
        loss = try c.choice(.loss, or: d.loss)
        labelSmoothing = try c.value(.labelSmoothing, or: d.labelSmoothing)
        try c.check(labelSmoothing >= 0 && labelSmoothing < 1, .labelSmoothing, "must be in [0, 1), got \(labelSmoothing)")
        try c.check(labelSmoothing == 0 || loss == .crossEntropy, .labelSmoothing, "applies to the cross_entropy loss only")
        gradClip = try c.decodeIfPresent(GradClip.self, forKey: .gradClip)
        logEveryNSteps = try c.value(.logEveryNSteps, or: d.logEveryNSteps)
        try c.check(logEveryNSteps > 0, .logEveryNSteps, "must be positive, got \(logEveryNSteps)")
        validateEveryNEpochs = try c.value(.validateEveryNEpochs, or: d.validateEveryNEpochs)
        try c.check(validateEveryNEpochs > 0, .validateEveryNEpochs, "must be positive, got \(validateEveryNEpochs)")
        nanPolicy = try c.choice(.nanPolicy, or: d.nanPolicy)
        earlyStopping = try c.decodeIfPresent(EarlyStopping.self, forKey: .earlyStopping)
    }

    /// Encodes every key that has a value.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let epochs { try c.encode(epochs, forKey: .epochs) }
        if let maxSteps { try c.encode(maxSteps, forKey: .maxSteps) }
        try c.encode(loss, forKey: .loss)
        try c.encode(labelSmoothing, forKey: .labelSmoothing)
        if let gradClip { try c.encode(gradClip, forKey: .gradClip) }
        try c.encode(logEveryNSteps, forKey: .logEveryNSteps)
        try c.encode(validateEveryNEpochs, forKey: .validateEveryNEpochs)
        try c.encode(nanPolicy, forKey: .nanPolicy)
        if let earlyStopping { try c.encode(earlyStopping, forKey: .earlyStopping) }
    }
}
