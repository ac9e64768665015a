import TensorCore

/// Examples held in memory as one stacked tensor and their labels.
public struct TensorDataset: Dataset {
    /// Inputs stacked along the first axis (contiguous float32).
    public let inputs: Tensor
    /// One class index per example.
    public let labels: [Int]
    /// Hash of the shape, labels and values.
    public let fingerprint: UInt64

    /// Pairs stacked inputs with labels (counts must agree); other dtypes convert to float32.
    public init(inputs: Tensor, labels: [Int]) {
        precondition(inputs.rank >= 1 && inputs.shape[0] == labels.count,
                     "TensorDataset: \(inputs.shape) inputs but \(labels.count) labels")
        let f = inputs.dtype == .float32 ? inputs : inputs.to(.float32)
        // A private contiguous copy: `load` reads it from several threads through a raw pointer.
        let c = f.contiguousCopy()
        self.inputs = c
        self.labels = labels
        var h = Fingerprint()
        h.string("TensorDataset")
        for d in c.shape { h.int(d) }
        for l in labels { h.int(l) }
        h.bytes(UnsafeRawBufferPointer(start: c.storage.base, count: c.count * 4))
        fingerprint = h.value
    }

    /// Number of examples.
    public var count: Int { labels.count }

    /// Shape of one example: the inputs' shape without the first axis.
    public var exampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    /// Copies row `index` into `destination`.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>) throws -> ExampleLoad {
        precondition(index >= 0 && index < count, "TensorDataset.load: index \(index) out of range 0..<\(count)")
        let n = exampleElementCount
        precondition(destination.count == n, "TensorDataset.load: destination holds \(destination.count), example has \(n)")
        let src = inputs.storage.base.assumingMemoryBound(to: Float.self) + index * n
        if n > 0 { destination.baseAddress!.update(from: src, count: n) }
        return .loaded(label: labels[index])
    }
}
