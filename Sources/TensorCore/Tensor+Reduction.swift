import Foundation

// Reductions over axes. The loop views a contiguous tensor as [outer, reduced, inner] per axis,
// and accumulates in Double so long sums stay within PyTorch's float32 error.

extension Tensor {
    /// Reduces one axis with `combine` over rows of the [outer, n, inner] view (forward only).
    static func reduceAxis(_ x: Tensor, axis a: Int, _ body: (UnsafePointer<Float>, Int, Int) -> Float) -> Tensor {
        let c = x.contiguous()
        let outer = c.shape[..<a].reduce(1, *), n = c.shape[a], inner = c.shape[(a + 1)...].reduce(1, *)
        var outShape = c.shape
        outShape[a] = 1
        let out = Storage(uninitialized: .float32, count: outer * inner)
        let po = out.base.assumingMemoryBound(to: Float.self)
        withExtendedLifetime(c) {
            let p = c.floatPointer
            for o in 0..<outer {
                for i in 0..<inner { po[o * inner + i] = body(p + o * n * inner + i, n, inner) }
            }
        }
        return Tensor(storage: out, layout: Layout(shape: outShape))
    }

    /// Sum over `axes` (all when nil); `keepDims` keeps them as size 1.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        precondition(dtype == .float32, "sum: expected float32, got \(dtype)")
        let ax = Set((axes ?? Array(0..<rank)).map { normalizeAxis($0, op: "sum") }).sorted()
        var r: Tensor
        if ax.count == rank {
            var acc = 0.0
            withContiguousFloats { p in
                // 8 partial sums: fewer dependent adds, and pairwise-like accuracy.
                var part = [Double](repeating: 0, count: 8)
                let n = count, m = n & ~7
                var i = 0
                while i < m {
                    for k in 0..<8 { part[k] += Double(p[i + k]) }
                    i += 8
                }
                while i < n { part[0] += Double(p[i]); i += 1 }
                acc = part.reduce(0, +)
            }
            r = Tensor([Float(acc)], shape: keepDims ? [Int](repeating: 1, count: rank) : [])
        } else {
            r = self.detach()
            for a in ax.reversed() {
                r = Tensor.reduceAxis(r, axis: a) { p, n, inner in
                    var s = 0.0
                    for k in 0..<n { s += Double(p[k * inner]) }
                    return Float(s)
                }
            }
            if !keepDims { r = r.reshaped(shape.enumerated().filter { !ax.contains($0.offset) }.map { $0.element }) }
        }
        let inShape = shape
        let keptShape = inShape.enumerated().map { ax.contains($0.offset) ? 1 : $0.element }
        return Tensor.record("sum", r.detach(), inputs: [self]) { g in [g.reshaped(keptShape).expanded(to: inShape)] }
    }

    /// Sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// Mean over `axes` (all when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = (axes ?? Array(0..<rank)).map { normalizeAxis($0, op: "mean") }
        let n = Set(ax).reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDims: keepDims) / Float(n)
    }

    /// Mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Variance over `axes` with Bessel's `correction` (1 = unbiased, PyTorch's default).
    public func variance(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        let ax = (axes ?? Array(0..<rank)).map { normalizeAxis($0, op: "var") }
        let n = Set(ax).reduce(1) { $0 * shape[$1] }
        let d = self - mean(axes: ax, keepDims: true)
        return (d * d).sum(axes: ax, keepDims: keepDims) / Float(Swift.max(n - correction, 0))
    }

    /// Maximum and its (first) index along `axis`; the gradient flows to that index.
    public func max(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        let a = normalizeAxis(axis, op: "max")
        precondition(shape[a] > 0, "max: axis \(axis) is empty in shape \(shape)")
        var idx: [Int64] = []
        let v = Tensor.reduceAxis(self, axis: a) { p, n, inner in
            var best = p[0], bi = 0
            if !best.isNaN {
                for k in 1..<n {
                    let x = p[k * inner]
                    if x.isNaN { best = x; bi = k; break }
                    if x > best { best = x; bi = k }
                }
            }
            idx.append(Int64(bi))
            return best
        }
        var keptShape = shape
        keptShape[a] = 1
        let outShape = keepDims ? keptShape : shape.enumerated().filter { $0.offset != a }.map { $0.element }
        let indices = Tensor(int64: idx, shape: outShape)
        let inShape = shape
        let values = Tensor.record("max", v.reshaped(outShape).detach(), inputs: [self]) { g in
            let gi = Tensor.scatterAlong(axis: a, shape: inShape, indices: indices.reshaped(keptShape), source: g.reshaped(keptShape))
            return [gi]
        }
        return (values, indices)
    }

    /// Maximum of all elements (gradient shared among ties, as PyTorch).
    public func max() -> Tensor {
        let m = GradMode.noGrad { flattened().max(axis: 0).values }.item
        let mask = (self.detach() .== Tensor(scalar: m)).to(.float32)
        let ties = mask.sum().item
        return Tensor.record("max_all", Tensor(scalar: m), inputs: [self]) { g in [mask * (g / ties)] }
    }

    /// Index of the maximum along `axis` (int64).
    public func argmax(axis: Int, keepDims: Bool = false) -> Tensor {
        GradMode.noGrad { max(axis: axis, keepDims: keepDims).indices }
    }

    /// Places `source` values at `indices` along `axis` into zeros of `shape` (adding on repeats).
    static func scatterAlong(axis a: Int, shape: [Int], indices: Tensor, source: Tensor) -> Tensor {
        var out = Tensor(zeros: shape)
        let idx = indices.toInt64Array()
        let src = source.contiguous()
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *), n = shape[a]
        let m = indices.shape[a]
        out.withMutableFloats { po in
            src.withContiguousFloats { ps in
                for o in 0..<outer {
                    for k in 0..<m {
                        for i in 0..<inner {
                            let j = (o * m + k) * inner + i
                            let t = Int(idx[j])
                            precondition(t >= 0 && t < n, "scatter: index \(t) out of range for axis of size \(n)")
                            po[(o * n + t) * inner + i] += ps[j]
                        }
                    }
                }
            }
        }
        return out
    }
}
