/// How a tensor's elements sit in its storage: shape, strides (in elements) and offset.
public struct Layout: Equatable, Sendable, Hashable {
    /// Size of each dimension, outermost first.
    public var shape: [Int]
    /// Elements to skip for one step along each dimension (0 for broadcast dimensions).
    public var strides: [Int]
    /// Index of the first element in the storage.
    public var offset: Int

    /// Row-major contiguous layout of `shape`.
    public init(shape: [Int], offset: Int = 0) {
        self.shape = shape
        self.strides = Layout.contiguousStrides(shape)
        self.offset = offset
    }

    /// Layout with explicit strides (a view).
    public init(shape: [Int], strides: [Int], offset: Int) {
        precondition(shape.count == strides.count, "Layout: \(shape.count) dims but \(strides.count) strides")
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// Row-major strides for `shape`.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc *= shape[i]
        }
        return strides
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// True when elements are row-major and dense from `offset` on.
    ///
    /// Size-1 dimensions may carry any stride, and a tensor with no elements is always contiguous
    /// (as in PyTorch), since no element can be out of place.
    public var isContiguous: Bool {
        if shape.contains(0) { return true }
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != acc { return false }
            acc *= shape[i]
        }
        return true
    }

    /// Largest storage index touched plus one (for bounds checks of views).
    public var storageExtent: Int {
        if count == 0 { return offset }
        var hi = offset
        for (d, s) in zip(shape, strides) { hi += (d - 1) * s }
        return hi + 1
    }
}
