/// Random float32 tensors drawn from a `RandomGenerator`.
///
/// Each fill consumes exactly the draws the matching scalar calls would (`uniform` and
/// `bernoulliMask`: one `nextUInt32()` per element; `normal`: one Box–Muller pair per two elements),
/// so results do not depend on how the generator was positioned inside a block. Whole blocks are
/// generated straight into the new storage.
extension RandomGenerator {
    /// Uniform values in [low, high), element i equal to `low + (high - low) * nextFloat()` (clamped below `high`).
    public mutating func uniform(_ shape: [Int], low: Float = 0, high: Float = 1) -> Tensor {
        Tensor.checkShape(shape, op: "uniform")
        precondition(low.isFinite && high.isFinite && low <= high,
                     "uniform: need finite low <= high, got low \(low), high \(high) for shape \(shape)")
        let scale = high - low
        let top = high > low ? high.nextDown : low
        return fill(shape) { x in Swift.min(low + scale * RandomGenerator.unitFloat(x), top) }
    }

    /// Normal values with the given mean and standard deviation (Box–Muller in Double, both halves used).
    public mutating func normal(_ shape: [Int], mean: Float = 0, std: Float = 1) -> Tensor {
        Tensor.checkShape(shape, op: "normal")
        precondition(mean.isFinite && std.isFinite && std >= 0,
                     "normal: need finite mean and std >= 0, got mean \(mean), std \(std) for shape \(shape)")
        let n = shape.reduce(1, *)
        let s = Storage(uninitialized: .float32, count: n)
        let p = s.base.bindMemory(to: Float.self, capacity: n)
        let m = Double(mean), sd = Double(std)
        var i = 0
        if lane == 4 {
            // Block-aligned: each block is exactly one pair of 53-bit uniforms.
            while n - i >= 2 {
                let (x0, x1, x2, x3) = nextBlock()
                let (z0, z1) = RandomGenerator.boxMuller(UInt64(x0) | UInt64(x1) << 32, UInt64(x2) | UInt64(x3) << 32)
                p[i] = Float(m + sd * z0)
                p[i + 1] = Float(m + sd * z1)
                i += 2
            }
        }
        while i < n {
            let (z0, z1) = nextNormalPair()
            p[i] = Float(m + sd * z0)
            if i + 1 < n { p[i + 1] = Float(m + sd * z1) }
            i += 2
        }
        return Tensor(storage: s, layout: Layout(shape: shape))
    }

    /// A float32 mask of 1s (with probability `keepProbability`) and 0s: element i is `nextFloat() < keepProbability`.
    public mutating func bernoulliMask(_ shape: [Int], keepProbability: Float) -> Tensor {
        Tensor.checkShape(shape, op: "bernoulliMask")
        precondition(keepProbability >= 0 && keepProbability <= 1,
                     "bernoulliMask: keepProbability must be in [0, 1], got \(keepProbability) for shape \(shape)")
        let p = keepProbability
        return fill(shape) { x in RandomGenerator.unitFloat(x) < p ? 1 : 0 }
    }

    /// A new contiguous float32 tensor whose element i is `transform` of the i-th next 32-bit draw.
    @inline(__always)
    mutating func fill(_ shape: [Int], _ transform: (UInt32) -> Float) -> Tensor {
        let n = shape.reduce(1, *)
        let s = Storage(uninitialized: .float32, count: n)
        let p = s.base.bindMemory(to: Float.self, capacity: n)
        var i = 0
        while i < n && lane < 4 {
            p[i] = transform(nextUInt32())
            i += 1
        }
        while n - i >= 4 {
            let (x0, x1, x2, x3) = nextBlock()
            p[i] = transform(x0)
            p[i + 1] = transform(x1)
            p[i + 2] = transform(x2)
            p[i + 3] = transform(x3)
            i += 4
        }
        while i < n {
            p[i] = transform(nextUInt32())
            i += 1
        }
        return Tensor(storage: s, layout: Layout(shape: shape))
    }
}
