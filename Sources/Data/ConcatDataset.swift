/// Several datasets of the same input shape, one after another (indices run through the first, then the second, …).
public struct ConcatDataset: Dataset {
    /// The parts, in order.
    public let parts: [any Dataset]
    /// Index of the first example of each part, plus the total at the end.
    public let offsets: [Int]
    /// Hash of the parts' fingerprints and counts.
    public let fingerprint: UInt64

    /// Concatenates `parts` (at least one; all must share an input shape).
    public init(_ parts: [any Dataset]) {
        precondition(!parts.isEmpty, "ConcatDataset: needs at least one dataset")
        let shape = parts[0].exampleShape
        for (i, p) in parts.enumerated() {
            precondition(p.exampleShape == shape,
                         "ConcatDataset: part \(i) has example shape \(p.exampleShape), part 0 has \(shape)")
        }
        self.parts = parts
        var offsets = [0]
        var h = Fingerprint()
        h.string("ConcatDataset")
        for p in parts {
            offsets.append(offsets.last! + p.count)
            h.int(p.count)
            h.u64(p.fingerprint)
        }
        self.offsets = offsets
        fingerprint = h.value
    }

    /// Total number of examples.
    public var count: Int { offsets.last! }

    /// The shared input shape.
    public var exampleShape: [Int] { parts[0].exampleShape }

    /// (part, index within part) of global index `index`, by binary search over the offsets.
    public func locate(_ index: Int) -> (part: Int, index: Int) {
        precondition(index >= 0 && index < count, "ConcatDataset: index \(index) out of range 0..<\(count)")
        var lo = 0, hi = parts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if offsets[mid] <= index { lo = mid } else { hi = mid - 1 }
        }
        return (lo, index - offsets[lo])
    }

    /// Loads from the part that holds `index`.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>) throws -> ExampleLoad {
        let (p, i) = locate(index)
        return try parts[p].load(i, into: destination)
    }

    /// Normalizes as the part that holds `index` does.
    public func normalize(_ values: UnsafeMutableBufferPointer<Float>, at index: Int) {
        let (p, i) = locate(index)
        parts[p].normalize(values, at: i)
    }
}
