import TensorCore

/// Decides which examples form each batch of an epoch, as a pure function of its settings and the epoch.
public protocol BatchSampler: Sendable {
    /// Number of batches in every epoch.
    var batchesPerEpoch: Int { get }
    /// Hash of the settings and dataset sizes that shape the plan (saved in loader positions).
    var fingerprint: UInt64 { get }
    /// The batches of `epoch`; the same inputs always give the same plan.
    func plan(epoch: Int) -> EpochPlan
}

extension BatchSampler {
    /// A permutation of 0..<count for `epoch`: the "shuffle" stream of `seed` positioned at Philox
    /// counter (hi: epoch, lo: lo), then Fisher–Yates (`RandomGenerator.permutation`).
    static func permutation(count: Int, seed: UInt64, epoch: Int, lo: UInt64 = 0) -> [Int] {
        var g = RandomGenerator(seed: seed, stream: RNGStreams.streamID(RNGStreams.shuffle))
        g.counter = (hi: UInt64(epoch), lo: lo)
        return g.permutation(count)
    }
}
