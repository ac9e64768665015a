import Foundation

// Softmax and log-softmax along an axis, max-shifted so large logits never overflow.

extension Tensor {
    /// Applies `body` to each softmax row (n values `inner` apart) of a contiguous copy.
    private static func rowwise(_ x: Tensor, axis a: Int,
                                _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void) -> Tensor {
        // A 0-d tensor is one row of one element.
        let c = x.rank == 0 ? x.reshaped([1]) : x.contiguous()
        let outer = c.shape[..<a].reduce(1, *), n = c.shape[a], inner = c.shape[(a + 1)...].reduce(1, *)
        let out = Storage(uninitialized: .float32, count: c.count)
        let po = out.base.assumingMemoryBound(to: Float.self)
        withExtendedLifetime(c) {
            let p = c.floatPointer
            for o in 0..<outer {
                for i in 0..<inner { body(p + o * n * inner + i, po + o * n * inner + i, n, inner) }
            }
        }
        return Tensor(storage: out, layout: Layout(shape: x.shape))
    }

    /// exp(x) / Σexp(x) along `axis`.
    public func softmax(axis: Int = -1) -> Tensor {
        precondition(dtype == .float32, "softmax: expected float32, got \(dtype)")
        let a = normalizeAxis(axis, op: "softmax")
        let y = Tensor.rowwise(self, axis: a) { p, q, n, s in
            var m = -Float.infinity
            for k in 0..<n { m = Swift.max(m, p[k * s]) }
            var z: Float = 0
            for k in 0..<n { let e = Foundation.exp(p[k * s] - m); q[k * s] = e; z += e }
            let inv = 1 / z
            for k in 0..<n { q[k * s] *= inv }
        }
        return Tensor.record("softmax", y, inputs: [self]) { g in
            let gy = g * y
            return [gy - y * gy.sum(axis: a, keepDims: true)]
        }
    }

    /// x − log Σexp(x) along `axis`.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        precondition(dtype == .float32, "logSoftmax: expected float32, got \(dtype)")
        let a = normalizeAxis(axis, op: "logSoftmax")
        let y = Tensor.rowwise(self, axis: a) { p, q, n, s in
            var m = -Float.infinity
            for k in 0..<n { m = Swift.max(m, p[k * s]) }
            var z: Float = 0
            for k in 0..<n { z += Foundation.exp(p[k * s] - m) }
            // (x - m) - log z, PyTorch's order: folding m into the log-sum-exp first would round
            // log z to the spacing of m (6e-5 at 1000).
            let logZ = Foundation.log(z)
            for k in 0..<n { q[k * s] = (p[k * s] - m) - logZ }
        }
        return Tensor.record("log_softmax", y, inputs: [self]) { g in
            [g - y.exp() * g.sum(axis: a, keepDims: true)]
        }
    }
}
