/// Batches of one dataset: in order or shuffled by a per-epoch permutation, with or without the
/// last partial batch.
///
/// The permutation of epoch `e` is `RandomGenerator(seed: seed, stream: streamID("shuffle"))`
/// positioned at counter (hi: e, lo: 0), then `permutation(count)`: a pure function of
/// (seed, epoch, count), so a resumed run needs no replay.
public struct DefaultBatchSampler: BatchSampler {
    /// Examples in the dataset.
    public let count: Int
    /// Examples per batch.
    public let batchSize: Int
    /// Whether each epoch uses a fresh permutation.
    public let shuffle: Bool
    /// Whether a last batch smaller than `batchSize` is dropped.
    public let dropLast: Bool
    /// Seed of the shuffle stream.
    public let seed: UInt64

    /// A sampler over `count` examples.
    public init(count: Int, batchSize: Int, shuffle: Bool, dropLast: Bool, seed: UInt64) {
        precondition(count >= 0 && batchSize > 0, "DefaultBatchSampler: count \(count), batch size \(batchSize)")
        self.count = count
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
    }

    /// ⌊count / batchSize⌋ with `dropLast`, else ⌈count / batchSize⌉.
    public var batchesPerEpoch: Int { dropLast ? count / batchSize : (count + batchSize - 1) / batchSize }

    /// Hash of the settings (not the seed, which positions carry separately).
    public var fingerprint: UInt64 {
        var h = Fingerprint()
        h.string("DefaultBatchSampler")
        for v in [count, batchSize, shuffle ? 1 : 0, dropLast ? 1 : 0] { h.int(v) }
        return h.value
    }

    /// The example order of `epoch` (identity without shuffle).
    public func order(epoch: Int) -> [Int] {
        shuffle ? Self.permutation(count: count, seed: seed, epoch: epoch) : Array(0..<count)
    }

    /// Consecutive `batchSize` slices of the epoch's order.
    public func plan(epoch: Int) -> EpochPlan {
        let order = order(epoch: epoch)
        let n = batchesPerEpoch
        let used = min(count, n * batchSize)
        let refs = order[0..<used].map { ExampleRef(source: 0, index: $0) }
        let starts = (0...n).map { min($0 * batchSize, used) }
        return EpochPlan(epoch: epoch, refs: refs, batchStarts: starts)
    }
}
