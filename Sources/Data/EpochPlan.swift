/// Every batch of one epoch, as example references: what a `BatchSampler` computes once per epoch
/// so that any batch of the epoch can then be produced, in any order, in O(batch size).
public struct EpochPlan: Sendable, Equatable {
    /// The epoch planned.
    public let epoch: Int
    /// All batches' examples, back to back.
    public let refs: [ExampleRef]
    /// Start of each batch in `refs`, followed by `refs.count`.
    public let batchStarts: [Int]

    /// A plan from flattened batches; `batchStarts` must start at 0, rise, and end at `refs.count`.
    public init(epoch: Int, refs: [ExampleRef], batchStarts: [Int]) {
        precondition(batchStarts.first == 0 && batchStarts.last == refs.count,
                     "EpochPlan: batch starts \(batchStarts.prefix(3))… do not cover \(refs.count) examples")
        self.epoch = epoch
        self.refs = refs
        self.batchStarts = batchStarts
    }

    /// Number of batches.
    public var batchCount: Int { batchStarts.count - 1 }

    /// The examples of batch `b`.
    public func batch(_ b: Int) -> ArraySlice<ExampleRef> {
        precondition(b >= 0 && b < batchCount, "EpochPlan.batch: batch \(b) out of range 0..<\(batchCount)")
        return refs[batchStarts[b]..<batchStarts[b + 1]]
    }
}
