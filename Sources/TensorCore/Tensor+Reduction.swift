import Foundation

// Reductions over axes, rounded the way PyTorch's CPU kernels round them: sums in float32 in
// PyTorch's cascade order (`Kernels.torchSum`), mean = sum / n, variance and standard deviation
// in double (Welford per output, or two passes around the float mean for a single output),
// max/min exact. The arg-extremum loop views a contiguous tensor as [outer, reduced, inner].

extension Tensor {
    /// Reduces one axis with `combine` over rows of the [outer, n, inner] view (forward only).
    static func reduceAxis(_ x: Tensor, axis a: Int, _ body: (UnsafePointer<Float>, Int, Int) -> Float) -> Tensor {
        precondition(x.dtype == .float32, "reduce: expected float32, got \(x.dtype) (shape \(x.shape))")
        // A 0-d tensor reduces like a 1-element vector; the result is 0-d again.
        if x.rank == 0 { return reduceAxis(x.reshaped([1]), axis: 0, body).reshaped([]) }
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

    /// Sum over `axes` (all when nil); `keepDims` keeps them as size 1. Bitwise equal to
    /// single-threaded `torch.sum` (see `Kernels.torchSum`).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        precondition(dtype == .float32, "sum: expected float32, got \(dtype) (shape \(shape))")
        let ax = Set((axes ?? Array(0..<rank)).map { normalizeAxis($0, op: "sum") }).intersection(0..<rank)
        let inShape = shape
        var r = Kernels.torchSum(self, axes: ax)
        let keptShape = r.shape
        if !keepDims { r = r.reshaped(inShape.enumerated().filter { !ax.contains($0.offset) }.map { $0.element }) }
        return Tensor.record("sum", r, inputs: [self]) { g in [g.reshaped(keptShape).expanded(to: inShape)] }
    }

    /// Sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// Mean over `axes` (all when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = (axes ?? Array(0..<rank)).map { normalizeAxis($0, op: "mean") }
        let n = rank == 0 ? 1 : Set(ax).reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDims: keepDims) / Float(n)
    }

    /// Mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Variance over `axes` (all when nil) with Bessel's `correction` (1 = unbiased, PyTorch's
    /// default); computed in double like PyTorch, so the float32 result matches it.
    public func variance(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        moment(axes: axes, correction: correction, keepDims: keepDims, takeSqrt: false, op: "var")
    }

    /// Variance over one axis.
    public func variance(axis: Int, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        variance(axes: [axis], correction: correction, keepDims: keepDims)
    }

    /// Standard deviation over `axes` (all when nil) with Bessel's `correction`; the square root
    /// is taken in double before rounding, as PyTorch does.
    public func std(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        moment(axes: axes, correction: correction, keepDims: keepDims, takeSqrt: true, op: "std")
    }

    /// Standard deviation over one axis.
    public func std(axis: Int, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        std(axes: [axis], correction: correction, keepDims: keepDims)
    }

    /// var/std forward as `std_var_out` computes it on the CPU, with `var_backward`/`std_backward`.
    private func moment(axes: [Int]?, correction: Int, keepDims: Bool, takeSqrt: Bool, op: String) -> Tensor {
        precondition(dtype == .float32, "\(op): expected float32, got \(dtype) (shape \(shape))")
        let all = axes == nil
        let ax = Set((axes ?? Array(0..<rank)).map { normalizeAxis($0, op: op) }).intersection(0..<rank)
        let inShape = shape
        let keptShape = inShape.enumerated().map { ax.contains($0.offset) ? 1 : $0.element }
        let outShape = keepDims ? keptShape : inShape.enumerated().filter { !ax.contains($0.offset) }.map { $0.element }
        let outCount = keptShape.reduce(1, *)
        let n = outCount == 0 ? 0 : count / outCount
        let dof = Double(n) - Double(correction)
        let x = self.detach()
        var values = [Float](repeating: .nan, count: outCount)
        if count == 0 {
            // PyTorch fills an empty reduction with NaN.
        } else if outCount == 1 {
            // std_var_all_cpu: float mean, then Σ(x − mean)² in double over memory order.
            let mean = Double(x.mean().item)
            var ss = 0.0
            x.withContiguousFloats { p in for i in 0..<count { let d = Double(p[i]) - mean; ss += d * d } }
            let v = ss / Swift.max(0, dof)
            values[0] = Float(takeSqrt ? v.squareRoot() : v)
        } else {
            // WelfordOps<float, double>: one pass per output, reduced elements in row-major order.
            let keptAxes = (0..<rank).filter { !ax.contains($0) }, redAxes = (0..<rank).filter { ax.contains($0) }
            let rows = x.permuted(keptAxes + redAxes).contiguous()
            rows.withContiguousFloats { p in
                for o in 0..<outCount {
                    var mean = 0.0, m2 = 0.0
                    for k in 0..<n {
                        let v = Double(p[o * n + k])
                        let delta = v - mean
                        mean += delta / Double(k + 1)
                        m2 += delta * (v - mean)
                    }
                    let v = m2 / (Double(n) > Double(correction) ? dof : 0)
                    values[o] = Float(takeSqrt ? v.squareRoot() : v)
                }
            }
        }
        let result = Tensor(values, shape: outShape)
        return Tensor.record(op, result, inputs: [self]) { g in
            var gv = g.reshaped(keptShape)
            if takeSqrt {
                // std_backward: grad / (2·std), zero where std is zero.
                let r = result.reshaped(keptShape)
                gv = Kernels.binary(gv, r, op: "std_backward") { $1 == 0 ? 0 : $0 / ($1 * 2) }
            }
            let centered = x - x.mean(axes: Array(ax), keepDims: true)
            if all && dof <= 0 {
                let mask = Kernels.unary(centered) { $0 == 0 ? .nan : .infinity }
                return [gv * mask]
            }
            return [(gv * Float(2.0 / dof)) * centered]
        }
    }

    /// Maximum and its (first) index along `axis`; a NaN wins (first NaN), as in PyTorch.
    /// The gradient flows to that index.
    public func max(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        extremum(axis: axis, keepDims: keepDims, op: "max") { $0 > $1 }
    }

    /// Minimum and its (first) index along `axis`; a NaN wins (first NaN), as in PyTorch.
    public func min(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: Tensor) {
        extremum(axis: axis, keepDims: keepDims, op: "min") { $0 < $1 }
    }

    /// The element along `axis` that no later one `beats`, with its index, and the backward
    /// rule routing the gradient to that index.
    private func extremum(axis: Int, keepDims: Bool, op: String,
                          beats: @escaping (Float, Float) -> Bool) -> (values: Tensor, indices: Tensor) {
        precondition(dtype == .float32, "\(op): expected float32, got \(dtype) (shape \(shape))")
        let a = normalizeAxis(axis, op: op)
        if rank == 0 {
            return (self, Tensor(int64: [0], shape: []))
        }
        precondition(shape[a] > 0, "\(op): axis \(axis) is empty in shape \(shape)")
        // reduceAxis visits rows in output order (outer-major, then inner), so appending keeps
        // each index beside its value.
        var idx: [Int64] = []
        idx.reserveCapacity(count / shape[a])
        let v = Tensor.reduceAxis(self, axis: a) { p, n, inner in
            var best = p[0], bi = 0
            if !best.isNaN {
                for k in 1..<n {
                    let x = p[k * inner]
                    if x.isNaN { best = x; bi = k; break }
                    if beats(x, best) { best = x; bi = k }
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
        let values = Tensor.record(op, v.reshaped(outShape).detach(), inputs: [self]) { g in
            [Tensor.scatterAlong(axis: a, shape: inShape, indices: indices.reshaped(keptShape), source: g.reshaped(keptShape))]
        }
        return (values, indices)
    }

    /// Maximum of all elements (gradient shared evenly among ties, as PyTorch).
    public func max() -> Tensor { extremumAll(op: "max_all") { $0.max(axis: 0).values } }

    /// Minimum of all elements (gradient shared evenly among ties, as PyTorch).
    public func min() -> Tensor { extremumAll(op: "min_all") { $0.min(axis: 0).values } }

    private func extremumAll(op: String, _ reduce: (Tensor) -> Tensor) -> Tensor {
        precondition(count > 0, "\(op): tensor of shape \(shape) is empty")
        let m = GradMode.noGrad { reduce(self.detach().flattened()) }.item
        let x = self.detach()
        // PyTorch's evenly_distribute_backward: a NaN result sends the gradient to the NaNs.
        let mask = m.isNaN ? Kernels.unary(x) { $0.isNaN ? 1 : 0 } : Kernels.unary(x) { $0 == m ? 1 : 0 }
        let ties = mask.sum().item
        return Tensor.record(op, Tensor(scalar: m), inputs: [self]) { g in [mask * (g / ties)] }
    }

    /// Index of the maximum along `axis` (int64).
    public func argmax(axis: Int, keepDims: Bool = false) -> Tensor {
        GradMode.noGrad { max(axis: axis, keepDims: keepDims).indices }
    }

    /// Index of the minimum along `axis` (int64).
    public func argmin(axis: Int, keepDims: Bool = false) -> Tensor {
        GradMode.noGrad { min(axis: axis, keepDims: keepDims).indices }
    }

    /// Index of the maximum in the flattened tensor (0-d int64, PyTorch `argmax()`).
    public func argmax() -> Tensor { GradMode.noGrad { detach().flattened().max(axis: 0).indices } }

    /// Index of the minimum in the flattened tensor (0-d int64, PyTorch `argmin()`).
    public func argmin() -> Tensor { GradMode.noGrad { detach().flattened().min(axis: 0).indices } }

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

// MARK: - Whole-tensor checks

extension Tensor {
    /// True when any element is NaN or ±inf (float32 fast loop; the trainer's NaN guard).
    public var hasNonFinite: Bool {
        if count == 0 { return false }
        if dtype != .float32 { return dtype.isFloatingPoint ? to(.float32).hasNonFinite : false }
        return withContiguousFloats { p in
            // An exponent field of all ones is exactly inf or NaN; OR-ing the masked bits keeps the
            // loop branch-free so it vectorizes.
            let bits = UnsafeRawPointer(p).assumingMemoryBound(to: UInt32.self)
            var acc: UInt32 = 0
            for i in 0..<count { acc |= (~bits[i] & 0x7F80_0000) == 0 ? 1 : 0 }
            return acc != 0
        }
    }

    /// Element-wise finiteness as a bool tensor (PyTorch `isfinite`).
    public func isFinite() -> Tensor {
        (dtype == .float32 ? self : to(.float32)).elementTest(op: "isfinite") { $0.isFinite }
    }

    /// Element-wise NaN test as a bool tensor (PyTorch `isnan`).
    public func isNaN() -> Tensor {
        (dtype == .float32 ? self : to(.float32)).elementTest(op: "isnan") { $0.isNaN }
    }

    private func elementTest(op: String, _ test: (Float) -> Bool) -> Tensor {
        let out = Storage(uninitialized: .bool, count: count)
        let po = out.base.assumingMemoryBound(to: UInt8.self)
        withContiguousFloats { p in for i in 0..<count { po[i] = test(p[i]) ? 1 : 0 } }
        return Tensor(storage: out, layout: Layout(shape: shape))
    }

    /// True when any element is non-zero (true for bool tensors; NaN counts); false when empty.
    public func any() -> Bool {
        dtype.isFloatingPoint ? toArray().contains { $0 != 0 } : toInt64Array().contains { $0 != 0 }
    }

    /// True when every element is non-zero (true for bool tensors; NaN counts); true when empty.
    public func all() -> Bool {
        dtype.isFloatingPoint ? toArray().allSatisfy { $0 != 0 } : toInt64Array().allSatisfy { $0 != 0 }
    }

    /// PyTorch `allclose`: same broadcast values within |a − b| ≤ atol + rtol·|b| everywhere;
    /// NaNs compare equal only with `equalNaN`, and infinities only to themselves.
    public func allClose(_ other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-8, equalNaN: Bool = false) -> Bool {
        let a = dtype == .float32 ? self.detach() : to(.float32)
        let b = other.dtype == .float32 ? other.detach() : other.to(.float32)
        let close = Kernels.binary(a, b, op: "allClose") { x, y in
            if x == y { return 1 }
            if x.isNaN || y.isNaN { return equalNaN && x.isNaN && y.isNaN ? 1 : 0 }
            if !x.isFinite || !y.isFinite { return 0 }
            return Swift.abs(x - y) <= atol + rtol * Swift.abs(y) ? 1 : 0
        }
        return close.toArray().allSatisfy { $0 == 1 }
    }
}
