/// Batches that mix new data with rehearsed old data in a fixed proportion (to limit forgetting
/// while fine-tuning on new classes).
///
/// `ratio` is the fraction of each batch drawn from the old data: a full batch holds
/// `oldPerBatch = round(ratio × batchSize)` old examples (rounded to nearest, halves away from zero:
/// ratio 0.3, batch 32 → 9.6 → 10 old + 22 new) and `newPerBatch = batchSize − oldPerBatch` new ones.
/// An epoch is one pass over the new data (shuffled per epoch as in `DefaultBatchSampler`, source 0).
/// A last partial batch with m < newPerBatch new examples (kept unless `dropLast`) gets
/// round(m × oldPerBatch / newPerBatch) old ones, keeping the proportion.
/// Old examples (source 1) are always shuffled: epoch e draws them from the permutations
/// P(e, 0), P(e, 1), … of the old data laid end to end, where P(e, k) comes from the "shuffle"
/// stream at counter (hi: e, lo: 2^63 | k << 32). Each batch lists its new examples first, then the old.
public struct MixedBatchSampler: BatchSampler {
    /// Examples in the new dataset.
    public let newCount: Int
    /// Examples in the old dataset.
    public let oldCount: Int
    /// Examples per full batch.
    public let batchSize: Int
    /// Fraction of each batch taken from the old data, in [0, 1).
    public let ratio: Double
    /// Whether the new data is shuffled each epoch.
    public let shuffle: Bool
    /// Whether a last partial batch is dropped.
    public let dropLast: Bool
    /// Seed of the shuffle stream.
    public let seed: UInt64

    /// A mixing sampler; throws `DataError.invalidConfig` if the ratio leaves no room for new data
    /// or asks for old data that is empty.
    public init(newCount: Int, oldCount: Int, batchSize: Int, ratio: Double, shuffle: Bool = true,
                dropLast: Bool = false, seed: UInt64) throws {
        guard batchSize > 0, newCount >= 0, oldCount >= 0 else {
            throw DataError.invalidConfig("rehearsal needs a positive batch size, got \(batchSize)")
        }
        guard ratio >= 0, ratio < 1 else {
            throw DataError.invalidConfig("rehearsal ratio \(ratio) must be in [0, 1)")
        }
        self.newCount = newCount
        self.oldCount = oldCount
        self.batchSize = batchSize
        self.ratio = ratio
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        guard newPerBatch > 0 else {
            throw DataError.invalidConfig("rehearsal ratio \(ratio) leaves no new examples in a batch of \(batchSize)")
        }
        guard oldPerBatch == 0 || oldCount > 0 else {
            throw DataError.invalidConfig("rehearsal ratio \(ratio) needs old examples, but the old dataset is empty")
        }
    }

    /// Old examples in a full batch.
    public var oldPerBatch: Int { Int((ratio * Double(batchSize)).rounded(.toNearestOrAwayFromZero)) }

    /// New examples in a full batch.
    public var newPerBatch: Int { batchSize - oldPerBatch }

    /// Batches needed for one pass over the new data.
    public var batchesPerEpoch: Int { dropLast ? newCount / newPerBatch : (newCount + newPerBatch - 1) / newPerBatch }

    /// Hash of the settings (not the seed).
    public var fingerprint: UInt64 {
        var h = Fingerprint()
        h.string("MixedBatchSampler")
        for v in [newCount, oldCount, batchSize, shuffle ? 1 : 0, dropLast ? 1 : 0] { h.int(v) }
        h.u64(ratio.bitPattern)
        return h.value
    }

    /// Old examples that go with `m` new ones in a batch.
    public func oldCount(forNew m: Int) -> Int {
        m == newPerBatch ? oldPerBatch : Int((Double(m * oldPerBatch) / Double(newPerBatch)).rounded(.toNearestOrAwayFromZero))
    }

    /// The new examples of the epoch in batch order, then the old ones drawn to accompany them.
    public func plan(epoch: Int) -> EpochPlan {
        let newOrder = shuffle ? Self.permutation(count: newCount, seed: seed, epoch: epoch) : Array(0..<newCount)
        let n = batchesPerEpoch
        var newSizes = [Int](repeating: newPerBatch, count: n)
        if n > 0 { newSizes[n - 1] = min(newPerBatch, newCount - (n - 1) * newPerBatch) }
        let oldSizes = newSizes.map { oldCount(forNew: $0) }
        let oldNeeded = oldSizes.reduce(0, +)
        var oldSequence: [Int] = []
        oldSequence.reserveCapacity(oldNeeded)
        var cycle: UInt64 = 0
        while oldSequence.count < oldNeeded {
            let p = Self.permutation(count: oldCount, seed: seed, epoch: epoch, lo: 1 << 63 | cycle << 32)
            oldSequence.append(contentsOf: p.prefix(oldNeeded - oldSequence.count))
            cycle += 1
        }
        var refs: [ExampleRef] = []
        refs.reserveCapacity(newCount + oldNeeded)
        var starts = [0]
        var nextNew = 0, nextOld = 0
        for b in 0..<n {
            for i in newOrder[nextNew..<(nextNew + newSizes[b])] { refs.append(ExampleRef(source: 0, index: i)) }
            for i in oldSequence[nextOld..<(nextOld + oldSizes[b])] { refs.append(ExampleRef(source: 1, index: i)) }
            nextNew += newSizes[b]
            nextOld += oldSizes[b]
            starts.append(refs.count)
        }
        return EpochPlan(epoch: epoch, refs: refs, batchStarts: starts)
    }
}
