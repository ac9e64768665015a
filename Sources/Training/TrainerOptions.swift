import Foundation
import Checkpoint
import Data

/// Settings of a `Trainer` run: batching, length, stability, logging and checkpointing.
public struct TrainerOptions: Sendable {
    /// What to do when a step's loss (or clipped gradient norm) is NaN or ±inf.
    public enum NaNPolicy: String, Sendable, Codable {
        /// Throw `TrainerError.nonFiniteLoss`; no checkpoint of that state is written.
        case stop
        /// Skip the optimizer update for that batch and go on.
        case skip
    }

    /// When the LR scheduler steps.
    public enum SchedulerInterval: String, Sendable, Codable {
        /// After every optimizer step.
        case step
        /// After every epoch (with `val_loss` as the metric when there is validation data).
        case epoch
    }

    /// Checkpoint schedule and retention (used when there is a run directory).
    public struct CheckpointOptions: Sendable {
        /// Save when the global step is a multiple of this.
        public var everyNSteps: Int?
        /// Save after every n-th epoch.
        public var everyNEpochs: Int?
        /// Keep the newest n checkpoints.
        public var keepLast: Int?
        /// Keep the best k checkpoints by a metric (e.g. `val_loss`, `.min`).
        public var keepBest: RetentionPolicy.KeepBest?
        /// Save when `fit()` ends (finished, early-stopped or interrupted) unless that state is saved already.
        public var saveOnEnd: Bool
        /// Save when this many seconds have passed since the last save (checked after every step).
        public var everyNSeconds: Double?
        /// How checkpoint directories are named (`{epoch}`, `{step}`, metrics).
        public var filename: FilenameTemplate
        /// Save only the model weights (plus epoch, step and metrics): smaller, but cannot resume a run.
        public var weightsOnly: Bool
        /// Write checkpoints on a background thread while training continues (one save in flight).
        public var asynchronous: Bool

        /// Checkpoint options; by default one save at the end.
        public init(everyNSteps: Int? = nil, everyNEpochs: Int? = nil, keepLast: Int? = nil,
                    keepBest: RetentionPolicy.KeepBest? = nil, saveOnEnd: Bool = true, everyNSeconds: Double? = nil,
                    filename: FilenameTemplate = .default, weightsOnly: Bool = false, asynchronous: Bool = false) {
            self.everyNSteps = everyNSteps
            self.everyNEpochs = everyNEpochs
            self.keepLast = keepLast
            self.keepBest = keepBest
            self.saveOnEnd = saveOnEnd
            self.everyNSeconds = everyNSeconds
            self.filename = filename
            self.weightsOnly = weightsOnly
            self.asynchronous = asynchronous
        }
    }

    /// Examples per batch.
    public var batchSize: Int
    /// Whether each epoch uses a fresh permutation.
    public var shuffle: Bool
    /// Whether a last partial batch is dropped.
    public var dropLast: Bool
    /// Seed of every random stream of the run (shuffle, augment, dropout).
    public var seed: UInt64
    /// Stop after this many optimizer steps.
    public var maxSteps: Int?
    /// Stop after this many epochs.
    public var epochs: Int?
    /// Clip the gradients' total 2-norm to this.
    public var gradClipNorm: Double?
    /// Non-finite loss handling.
    public var nanPolicy: NaNPolicy
    /// Log a train record every n steps.
    public var logEvery: Int
    /// Validate every n epochs (when there is validation data).
    public var validateEvery: Int
    /// When the scheduler steps.
    public var schedulerInterval: SchedulerInterval
    /// Stop early on a validation metric.
    public var earlyStopping: EarlyStopping?
    /// Checkpointing.
    public var checkpoint: CheckpointOptions
    /// Where checkpoints (`checkpoints/`), logs (`logs/`) and the lock go; nil keeps the run in memory.
    public var runDirectory: URL?
    /// Batches decoded ahead by the loader (0: on the training thread).
    public var prefetch: Int
    /// Seeded augmentations of training examples.
    public var augmentations: [Augmentation]
    /// List the training `ImageFolder` again before every epoch, picking up added (and dropped)
    /// images; class folders beyond the model's classes are left out with a warning.
    public var rescanEveryEpoch: Bool
    /// Show progress on stdout.
    public var progress: Bool
    /// Plain progress line interval (when stdout is not a terminal).
    public var progressEvery: Int
    /// Turn SIGINT/SIGTERM into a clean stop with a checkpoint.
    public var handleSignals: Bool

    /// Options with the given batch size and length; the rest default.
    public init(batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64 = 0, maxSteps: Int? = nil,
                epochs: Int? = nil, gradClipNorm: Double? = nil, nanPolicy: NaNPolicy = .stop, logEvery: Int = 1,
                validateEvery: Int = 1, schedulerInterval: SchedulerInterval = .step, earlyStopping: EarlyStopping? = nil,
                checkpoint: CheckpointOptions = CheckpointOptions(), runDirectory: URL? = nil, prefetch: Int = 0,
                augmentations: [Augmentation] = [], progress: Bool = false, progressEvery: Int = 50,
                handleSignals: Bool = true, rescanEveryEpoch: Bool = false) {
        self.rescanEveryEpoch = rescanEveryEpoch
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.maxSteps = maxSteps
        self.epochs = epochs
        self.gradClipNorm = gradClipNorm
        self.nanPolicy = nanPolicy
        self.logEvery = logEvery
        self.validateEvery = validateEvery
        self.schedulerInterval = schedulerInterval
        self.earlyStopping = earlyStopping
        self.checkpoint = checkpoint
        self.runDirectory = runDirectory
        self.prefetch = prefetch
        self.augmentations = augmentations
        self.progress = progress
        self.progressEvery = progressEvery
        self.handleSignals = handleSignals
    }

    /// Throws `TrainerError.invalidOptions` naming the first bad setting.
    func validate() throws {
        guard batchSize > 0 else { throw TrainerError.invalidOptions("batchSize must be > 0, got \(batchSize)") }
        guard maxSteps != nil || epochs != nil else { throw TrainerError.invalidOptions("set maxSteps or epochs") }
        if let m = maxSteps, m < 0 { throw TrainerError.invalidOptions("maxSteps must be >= 0, got \(m)") }
        if let e = epochs, e < 0 { throw TrainerError.invalidOptions("epochs must be >= 0, got \(e)") }
        if let c = gradClipNorm, !(c > 0) { throw TrainerError.invalidOptions("gradClipNorm must be > 0, got \(c)") }
        guard logEvery > 0 else { throw TrainerError.invalidOptions("logEvery must be > 0, got \(logEvery)") }
        guard validateEvery > 0 else { throw TrainerError.invalidOptions("validateEvery must be > 0, got \(validateEvery)") }
        if let n = checkpoint.everyNSteps, n <= 0 { throw TrainerError.invalidOptions("checkpoint.everyNSteps must be > 0, got \(n)") }
        if let n = checkpoint.everyNEpochs, n <= 0 { throw TrainerError.invalidOptions("checkpoint.everyNEpochs must be > 0, got \(n)") }
        if let n = checkpoint.everyNSeconds, !(n > 0 && n.isFinite) {
            throw TrainerError.invalidOptions("checkpoint.everyNSeconds must be > 0, got \(n)")
        }
        if let n = checkpoint.keepLast, n < 0 { throw TrainerError.invalidOptions("checkpoint.keepLast must be >= 0, got \(n)") }
    }
}
