/// Produces batches from one dataset, or from new and old data mixed for rehearsal, with
/// per-epoch shuffling, optional background decoding, and an O(1) resumable `LoaderPosition`.
///
/// Every batch is a pure function of (datasets, settings, seed, epoch, batch index): the epoch's
/// plan comes from the sampler, each example's augmentation from its own generator, and prefetched
/// batches are handed out strictly in order. So prefetching on or off, any number of workers, and
/// resuming from a saved position all give bit-identical batches.
///
/// Typical loop: `while let batch = try loader.next() { … }` runs one epoch; `next()` returns nil
/// once at the end and moves to the next epoch. Between epochs the dataset may be replaced (e.g.
/// an `ImageFolder` after `rescan()`); the position records the new size and fingerprint.
public final class DataLoader {
    /// Batching, shuffling, prefetch and augmentation settings. Missing keys decode to the defaults.
    public struct Config: Codable, Equatable, Sendable {
        /// Examples per batch.
        public var batchSize: Int
        /// Whether each epoch uses a fresh permutation of the (new) data.
        public var shuffle: Bool
        /// Whether a last batch smaller than `batchSize` is dropped.
        public var dropLast: Bool
        /// Batches decoded ahead in the background; 0 decodes on the caller's thread inside `next()`.
        public var prefetch: Int
        /// Background threads building whole batches in parallel (used when `prefetch > 0`; at most
        /// `prefetch` batches are in flight, so more workers than that would idle).
        public var workers: Int
        /// Seed of the shuffle and augment streams (a restored position's seed replaces it).
        public var seed: UInt64
        /// Seeded augmentations applied to every example, in order, before normalization.
        public var augmentations: [Augmentation]

        /// Settings with the given batch size and defaults for the rest.
        public init(batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, prefetch: Int = 2, workers: Int = 1,
                    seed: UInt64 = 0, augmentations: [Augmentation] = []) {
            self.batchSize = batchSize
            self.shuffle = shuffle
            self.dropLast = dropLast
            self.prefetch = prefetch
            self.workers = workers
            self.seed = seed
            self.augmentations = augmentations
        }

        private enum CodingKeys: String, CodingKey { case batchSize, shuffle, dropLast, prefetch, workers, seed, augmentations }

        /// Decodes `batchSize` (required) and any other settings.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(batchSize: try c.decode(Int.self, forKey: .batchSize))
            shuffle = try c.decodeIfPresent(Bool.self, forKey: .shuffle) ?? shuffle
            dropLast = try c.decodeIfPresent(Bool.self, forKey: .dropLast) ?? dropLast
            prefetch = try c.decodeIfPresent(Int.self, forKey: .prefetch) ?? prefetch
            workers = try c.decodeIfPresent(Int.self, forKey: .workers) ?? workers
            seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
            augmentations = try c.decodeIfPresent([Augmentation].self, forKey: .augmentations) ?? augmentations
        }

        func validate() throws {
            guard batchSize > 0 else { throw DataError.invalidConfig("batch size \(batchSize) must be positive") }
            guard prefetch >= 0, workers >= 1 else {
                throw DataError.invalidConfig("prefetch \(prefetch) must be >= 0 and workers \(workers) >= 1")
            }
        }
    }

    /// The settings.
    public let config: Config
    /// Fraction of each batch drawn from the old data, when rehearsing (see `MixedBatchSampler`).
    public let rehearsalRatio: Double?
    /// The datasets: [dataset], or [new, old] when rehearsing.
    public private(set) var sources: [any Dataset]
    /// Decides the batches of each epoch.
    public private(set) var sampler: any BatchSampler
    /// The next batch to produce.
    public private(set) var position: LoaderPosition
    /// Files skipped in the batches produced so far, in batch order.
    public private(set) var warnings: [DataWarning] = []
    private var assembler: BatchAssembler
    private var plan: EpochPlan?
    private var prefetcher: Prefetcher?

    /// A loader over one dataset, at epoch 0, batch 0.
    public convenience init(dataset: any Dataset, config: Config) throws {
        try self.init(sources: [dataset], rehearsalRatio: nil, config: config)
    }

    /// A rehearsal loader: each batch mixes `new` data with a `rehearsalRatio` fraction of `old`
    /// data (see `MixedBatchSampler` for the counts and rounding); an epoch is one pass over `new`.
    public convenience init(new: any Dataset, old: any Dataset, rehearsalRatio: Double, config: Config) throws {
        try self.init(sources: [new, old], rehearsalRatio: rehearsalRatio, config: config)
    }

    private init(sources: [any Dataset], rehearsalRatio: Double?, config: Config) throws {
        try config.validate()
        self.config = config
        self.rehearsalRatio = rehearsalRatio
        self.sources = sources
        sampler = try DataLoader.makeSampler(sources, ratio: rehearsalRatio, config: config, seed: config.seed)
        assembler = try BatchAssembler(sources: sources, augmentations: config.augmentations, seed: config.seed)
        position = LoaderPosition(epoch: 0, batchIndex: 0, seed: config.seed, batchSize: config.batchSize,
                                  datasetSize: 0, fingerprint: 0)
        stamp()
    }

    deinit { prefetcher?.cancel() }

    static func makeSampler(_ sources: [any Dataset], ratio: Double?, config: Config, seed: UInt64) throws -> any BatchSampler {
        if let ratio {
            return try MixedBatchSampler(newCount: sources[0].count, oldCount: sources[1].count, batchSize: config.batchSize,
                                         ratio: ratio, shuffle: config.shuffle, dropLast: config.dropLast, seed: seed)
        }
        return DefaultBatchSampler(count: sources[0].count, batchSize: config.batchSize, shuffle: config.shuffle,
                                   dropLast: config.dropLast, seed: seed)
    }

    /// Hash of the datasets and the sampler settings.
    var currentFingerprint: UInt64 {
        var h = Fingerprint()
        h.string("DataLoader")
        h.u64(sampler.fingerprint)
        for s in sources {
            h.int(s.count)
            h.u64(s.fingerprint)
        }
        return h.value
    }

    /// Records the current datasets' size and fingerprint in the position.
    private func stamp() {
        position.datasetSize = sources.reduce(0) { $0 + $1.count }
        position.fingerprint = currentFingerprint
    }

    /// Batches in each epoch.
    public var batchesPerEpoch: Int { sampler.batchesPerEpoch }

    /// Shape of one example in a batch (after augmentation).
    public var exampleShape: [Int] { assembler.outShape }

    /// The next batch of the current epoch, or nil when the epoch is used up (the position then
    /// moves to batch 0 of the next epoch). Bad files are skipped (smaller batch, warnings) or thrown
    /// per the dataset's policy; after a throw the position is unchanged.
    public func next() throws -> Batch? {
        if position.batchIndex >= sampler.batchesPerEpoch {
            stopPrefetch()
            plan = nil
            position.epoch += 1
            position.batchIndex = 0
            return nil
        }
        let epochPlan = currentPlan()
        let b = position.batchIndex
        let batch: Batch
        if config.prefetch > 0 {
            if prefetcher == nil || prefetcher!.plan.epoch != epochPlan.epoch || prefetcher!.nextIndex != b {
                stopPrefetch()
                prefetcher = Prefetcher(assembler: assembler, plan: epochPlan, start: b, depth: config.prefetch,
                                        workers: config.workers)
            }
            do { batch = try prefetcher!.take(b) } catch {
                stopPrefetch()
                throw error
            }
        } else {
            batch = try assembler.assemble(epochPlan, batch: b)
        }
        position.batchIndex = b + 1
        warnings.append(contentsOf: batch.warnings)
        return batch
    }

    /// All remaining batches of the current epoch (then the position is at the next epoch).
    public func remainingBatches() throws -> [Batch] {
        var out: [Batch] = []
        while let b = try next() { out.append(b) }
        return out
    }

    private func currentPlan() -> EpochPlan {
        if let plan, plan.epoch == position.epoch { return plan }
        let p = sampler.plan(epoch: position.epoch)
        plan = p
        return p
    }

    private func stopPrefetch() {
        prefetcher?.cancel()
        prefetcher = nil
    }

    /// Continues from a saved position without replaying batches: adopts its epoch, batch and seed.
    /// Mid-epoch the datasets and sampling settings must be the ones it was saved with (size and
    /// fingerprint match); at the start of an epoch they may have changed (e.g. a grown folder).
    public func restore(_ saved: LoaderPosition) throws {
        guard saved.batchSize == config.batchSize else {
            throw DataError.positionMismatch(field: "batch size", saved: "\(saved.batchSize)", current: "\(config.batchSize)")
        }
        let size = sources.reduce(0) { $0 + $1.count }, fingerprint = currentFingerprint
        if saved.batchIndex > 0 {
            guard saved.datasetSize == size else {
                throw DataError.positionMismatch(field: "dataset size", saved: "\(saved.datasetSize)", current: "\(size)")
            }
            guard saved.fingerprint == fingerprint else {
                throw DataError.positionMismatch(
                    field: "dataset fingerprint", saved: Fingerprint.hex(saved.fingerprint),
                    current: Fingerprint.hex(fingerprint) + " (the data or sampling settings changed mid-epoch)")
            }
            guard saved.batchIndex <= sampler.batchesPerEpoch else {
                throw DataError.positionMismatch(field: "batch index", saved: "\(saved.batchIndex)",
                                                 current: "\(sampler.batchesPerEpoch) batches per epoch")
            }
        }
        let newSampler = try DataLoader.makeSampler(sources, ratio: rehearsalRatio, config: config, seed: saved.seed)
        let newAssembler = try BatchAssembler(sources: sources, augmentations: config.augmentations, seed: saved.seed)
        stopPrefetch()
        plan = nil
        sampler = newSampler
        assembler = newAssembler
        position = LoaderPosition(epoch: saved.epoch, batchIndex: saved.batchIndex, seed: saved.seed,
                                  batchSize: config.batchSize, datasetSize: size, fingerprint: fingerprint)
    }

    /// Replaces the dataset (e.g. after `ImageFolder.rescan()`); only between epochs.
    public func replaceDataset(_ dataset: any Dataset) throws {
        precondition(rehearsalRatio == nil, "DataLoader.replaceDataset: a rehearsal loader needs replaceDatasets(new:old:)")
        try replaceSources([dataset])
    }

    /// Replaces the new and old datasets of a rehearsal loader; only between epochs.
    public func replaceDatasets(new: any Dataset, old: any Dataset) throws {
        precondition(rehearsalRatio != nil, "DataLoader.replaceDatasets: not a rehearsal loader; use replaceDataset(_:)")
        try replaceSources([new, old])
    }

    private func replaceSources(_ newSources: [any Dataset]) throws {
        if position.batchIndex >= sampler.batchesPerEpoch && position.batchIndex > 0 {
            position.epoch += 1
            position.batchIndex = 0
        }
        guard position.batchIndex == 0 else {
            throw DataError.invalidConfig("datasets can only be replaced between epochs, not at \(position)")
        }
        let newSampler = try DataLoader.makeSampler(newSources, ratio: rehearsalRatio, config: config, seed: position.seed)
        let newAssembler = try BatchAssembler(sources: newSources, augmentations: config.augmentations, seed: position.seed)
        stopPrefetch()
        plan = nil
        sources = newSources
        sampler = newSampler
        assembler = newAssembler
        stamp()
    }
}
