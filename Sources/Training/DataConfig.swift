/// The `data:` section: where examples come from and how they are batched.
///
/// ```yaml
/// data:
///   train: {image_folder: data/train, size: [28, 28], grayscale: true, rescan: every_epoch}
///   val:   {image_folder: data/val}
///   batch_size: 32
///   shuffle: true
/// ```
public struct DataConfig: Codable, Equatable, Sendable {
    /// Training examples (required).
    public var train: DataSourceConfig
    /// Validation examples, evaluated every `training.validate_every_n_epochs`; nil: no validation.
    public var val: DataSourceConfig?
    /// Test examples, evaluated once after training; nil: none.
    public var test: DataSourceConfig?
    /// Examples per training batch (default 32).
    public var batchSize: Int
    /// Examples per validation/test batch; nil: `batchSize`.
    public var evalBatchSize: Int?
    /// Reshuffle the training set every epoch (default true; validation is never shuffled).
    public var shuffle: Bool
    /// Drop the last incomplete training batch (default false).
    public var dropLast: Bool
    /// Batches prepared ahead of the training step (default 2; 0: load synchronously).
    public var prefetch: Int
    /// Number of classes; nil: inferred from the training source (class folders, or largest CSV label + 1).
    public var numClasses: Int?

    /// A data section with the defaults for everything but the sources.
    public init(train: DataSourceConfig, val: DataSourceConfig? = nil, test: DataSourceConfig? = nil, batchSize: Int = 32,
                evalBatchSize: Int? = nil, shuffle: Bool = true, dropLast: Bool = false, prefetch: Int = 2, numClasses: Int? = nil) {
        self.train = train
        self.val = val
        self.test = test
        self.batchSize = batchSize
        self.evalBatchSize = evalBatchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.prefetch = prefetch
        self.numClasses = numClasses
    }

    enum CodingKeys: String, CodingKey {
        case train, val, test, batchSize = "batch_size", evalBatchSize = "eval_batch_size", shuffle
        case dropLast = "drop_last", prefetch, numClasses = "num_classes"
    }

    /// Decodes the section, checking sizes.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DataConfig(train: .imageFolder(ImageFolderSource(path: "")))
        train = try c.decode(DataSourceConfig.self, forKey: .train)
        val = try c.decodeIfPresent(DataSourceConfig.self, forKey: .val)
        test = try c.decodeIfPresent(DataSourceConfig.self, forKey: .test)
        batchSize = try c.value(.batchSize, or: d.batchSize)
        try c.check(batchSize > 0, .batchSize, "must be positive, got \(batchSize)")
        evalBatchSize = try c.decodeIfPresent(Int.self, forKey: .evalBatchSize)
        try c.check((evalBatchSize ?? 1) > 0, .evalBatchSize, "must be positive, got \(evalBatchSize ?? 0)")
        shuffle = try c.value(.shuffle, or: d.shuffle)
        dropLast = try c.value(.dropLast, or: d.dropLast)
        prefetch = try c.value(.prefetch, or: d.prefetch)
        try c.check(prefetch >= 0, .prefetch, "must be 0 or more batches, got \(prefetch)")
        numClasses = try c.decodeIfPresent(Int.self, forKey: .numClasses)
        try c.check((numClasses ?? 2) >= 2, .numClasses, "must be at least 2, got \(numClasses ?? 0)")
    }

    /// Encodes every key; absent sources and inferred values as null.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(train, forKey: .train)
        if let val { try c.encode(val, forKey: .val) }
        if let test { try c.encode(test, forKey: .test) }
        try c.encode(batchSize, forKey: .batchSize)
        if let evalBatchSize { try c.encode(evalBatchSize, forKey: .evalBatchSize) }
        try c.encode(shuffle, forKey: .shuffle)
        try c.encode(dropLast, forKey: .dropLast)
        try c.encode(prefetch, forKey: .prefetch)
        if let numClasses { try c.encode(numClasses, forKey: .numClasses) }
    }
}
