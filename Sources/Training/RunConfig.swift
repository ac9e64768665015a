import NN

/// A whole training run, as written in a YAML file (see `docs/config.md`): the model, data,
/// optimizer, scheduler, loop, checkpointing and, for `cairn finetune`, the fine-tune plan.
///
/// Parse with `RunConfig.load(path:overrides:)` or `RunConfig.parse(yaml:source:overrides:)`;
/// values that follow from others (image size and channels from `model.input`, a fine-tune head's
/// negative index) are filled in, so `yaml()` writes the effective configuration. The type is
/// `Codable` with the YAML's keys, so the same structure goes into a checkpoint's
/// `trainer_state.json`.
public struct RunConfig: Codable, Equatable, Sendable {
    /// Seed of every random stream of the run (init, dropout, shuffle, augment); default 0.
    public var seed: UInt64
    /// The network.
    public var model: ModelConfig
    /// The examples.
    public var data: DataConfig
    /// The optimizer (default adam, lr 0.001).
    public var optimizer: OptimizerConfig
    /// The LR scheduler; nil: constant LR.
    public var scheduler: SchedulerConfig?
    /// The loop.
    public var training: TrainingConfig
    /// Checkpointing (default: every epoch, keep the last 3).
    public var checkpoint: CheckpointConfig
    /// The fine-tune plan; nil for a run from scratch.
    public var finetune: FinetuneConfig?

    /// A run with the defaults for the optional sections.
    public init(seed: UInt64 = 0, model: ModelConfig, data: DataConfig, optimizer: OptimizerConfig = OptimizerConfig(),
                scheduler: SchedulerConfig? = nil, training: TrainingConfig, checkpoint: CheckpointConfig = CheckpointConfig(),
                finetune: FinetuneConfig? = nil) {
        self.seed = seed
        self.model = model
        self.data = data
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.training = training
        self.checkpoint = checkpoint
        self.finetune = finetune
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case seed, model, data, optimizer, scheduler, training, checkpoint, finetune
    }

    /// Decodes every section; `model`, `data` and `training` are required.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seed = try c.value(.seed, or: 0)
        model = try c.decode(ModelConfig.self, forKey: .model)
        data = try c.decode(DataConfig.self, forKey: .data)
        optimizer = try c.value(.optimizer, or: OptimizerConfig())
        scheduler = try c.decodeIfPresent(SchedulerConfig.self, forKey: .scheduler)
        training = try c.decode(TrainingConfig.self, forKey: .training)
        checkpoint = try c.value(.checkpoint, or: CheckpointConfig())
        finetune = try c.decodeIfPresent(FinetuneConfig.self, forKey: .finetune)
    }

    /// Encodes every section in a fixed order.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seed, forKey: .seed)
        try c.encode(model, forKey: .model)
        try c.encode(data, forKey: .data)
        try c.encode(optimizer, forKey: .optimizer)
        if let scheduler { try c.encode(scheduler, forKey: .scheduler) }
        try c.encode(training, forKey: .training)
        try c.encode(checkpoint, forKey: .checkpoint)
        if let finetune { try c.encode(finetune, forKey: .finetune) }
    }

    /// The index of the fine-tune head: `finetune.head.layer`, else the last linear layer (nil when none).
    public var headLayer: Int? {
        if let h = finetune?.head { return h.layer < 0 ? model.layers.count + h.layer : h.layer }
        return model.layers.lastIndex { if case .linear = $0 { return true } else { return false } }
    }

    /// The model that is trained: `model` with the fine-tune head's `out` set to `head.classes`.
    public var modelSpec: ModelSpec {
        var spec = model.spec
        if let h = finetune?.head, let i = headLayer, spec.layers.indices.contains(i), case let .linear(_, bias) = spec.layers[i] {
            spec.layers[i] = .linear(outFeatures: h.classes, bias: bias)
        }
        return spec
    }
}
