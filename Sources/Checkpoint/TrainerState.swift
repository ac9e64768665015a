import Foundation
import TensorCore

/// Everything about a training run that is not a tensor: progress, metrics, random streams, the
/// data-loader position, scheduler states, the run config and user state (`trainer_state.json`).
public struct TrainerState: Codable, Sendable, Equatable {
    /// Layout version of the checkpoint that holds this state.
    public var formatVersion: Int
    /// Epochs completed (or the current epoch, as the trainer counts it).
    public var epoch: Int
    /// Optimizer steps taken.
    public var globalStep: Int
    /// Named metrics at save time (loss, accuracy, …); non-finite values are kept.
    public var metrics: [String: Double]
    /// The run's named random streams.
    public var rng: RNGStreams?
    /// Generators owned by individual modules (Dropout layers' `rng`), by module path.
    public var moduleRNG: [String: RandomGenerator]
    /// Where the data loader stands (its own JSON form).
    public var loader: JSONValue?
    /// Each scheduler's state: `{"type": name, "state": <HyperDict JSON>}`, in the order given.
    public var schedulers: [JSONValue]
    /// The run configuration.
    public var config: JSONValue?
    /// Toolkit version that wrote the checkpoint.
    public var cairnVersion: String
    /// Names, shapes and dtypes of the saved model.
    public var fingerprint: ArchitectureFingerprint
    /// Anything else the user wants back on resume.
    public var extra: [String: JSONValue]
    /// When the checkpoint was captured (whole seconds: the file stores ISO 8601 without fractions).
    public var savedAt: Date

    /// A state with the given fields; the rest take neutral values.
    public init(epoch: Int = 0, globalStep: Int = 0, metrics: [String: Double] = [:], rng: RNGStreams? = nil,
                moduleRNG: [String: RandomGenerator] = [:], loader: JSONValue? = nil, schedulers: [JSONValue] = [],
                config: JSONValue? = nil, cairnVersion: String = CheckpointVersion.toolkit,
                fingerprint: ArchitectureFingerprint, extra: [String: JSONValue] = [:], savedAt: Date = Date(),
                formatVersion: Int = CheckpointVersion.format) {
        self.formatVersion = formatVersion
        self.epoch = epoch
        self.globalStep = globalStep
        self.metrics = metrics
        self.rng = rng
        self.moduleRNG = moduleRNG
        self.loader = loader
        self.schedulers = schedulers
        self.config = config
        self.cairnVersion = cairnVersion
        self.fingerprint = fingerprint
        self.extra = extra
        self.savedAt = Date(timeIntervalSince1970: savedAt.timeIntervalSince1970.rounded(.down))
    }

    private enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", epoch, globalStep = "global_step", metrics, rng
        case moduleRNG = "module_rng", loader, schedulers, config, cairnVersion = "cairn_version"
        case fingerprint, extra, savedAt = "saved_at"
    }

    /// Decodes `trainer_state.json`; optional members may be absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        epoch = try c.decode(Int.self, forKey: .epoch)
        globalStep = try c.decode(Int.self, forKey: .globalStep)
        metrics = try c.decodeIfPresent([String: Double].self, forKey: .metrics) ?? [:]
        rng = try c.decodeIfPresent(RNGStreams.self, forKey: .rng)
        moduleRNG = try c.decodeIfPresent([String: RandomGenerator].self, forKey: .moduleRNG) ?? [:]
        loader = try c.decodeIfPresent(JSONValue.self, forKey: .loader)
        schedulers = try c.decodeIfPresent([JSONValue].self, forKey: .schedulers) ?? []
        config = try c.decodeIfPresent(JSONValue.self, forKey: .config)
        cairnVersion = try c.decode(String.self, forKey: .cairnVersion)
        fingerprint = try c.decode(ArchitectureFingerprint.self, forKey: .fingerprint)
        extra = try c.decodeIfPresent([String: JSONValue].self, forKey: .extra) ?? [:]
        savedAt = try c.decode(Date.self, forKey: .savedAt)
    }
}
