import TensorCore

/// One batch from a loader: stacked inputs, labels, and where each row came from.
public struct Batch: Sendable {
    /// Inputs [B, …example shape] (images: [B, C, H, W]), float32, normalized and augmented.
    public let inputs: Tensor
    /// Class indices [B], int64.
    public let labels: Tensor
    /// Dataset index of each row (within its source dataset).
    public let indices: [Int]
    /// Source of each row: 0 for the loader's dataset (the new data when rehearsing), 1 for the old (rehearsal) data.
    public let sources: [Int]
    /// Epoch the batch belongs to.
    public let epoch: Int
    /// Position of the batch within its epoch.
    public let batchIndex: Int
    /// Files skipped while assembling this batch (the batch is that much smaller).
    public let warnings: [DataWarning]

    /// Number of rows.
    public var count: Int { indices.count }

    /// The labels as Swift integers.
    public var labelValues: [Int] { labels.toInt64Array().map { Int($0) } }
}
