import CBLAS

// Matrix products on OpenBLAS sgemm. A transposed view is passed to BLAS as a transpose flag
// rather than copied, which is what makes the backward passes (A^T·G, G·B^T) cheap.

extension Tensor {
    /// How BLAS should read a 2-d float32 view without copying, or nil when it must be copied.
    private func blasOperand() -> (trans: Bool, ld: Int)? {
        let s0 = layout.strides[0], s1 = layout.strides[1]
        let (r, c) = (shape[0], shape[1])
        if (s1 == 1 || c == 1) && (s0 >= Swift.max(c, 1) || r == 1) { return (false, Swift.max(r == 1 ? c : s0, 1)) }
        if (s0 == 1 || r == 1) && (s1 >= Swift.max(r, 1) || c == 1) { return (true, Swift.max(c == 1 ? r : s1, 1)) }
        return nil
    }

    /// C[m,n] (+)= A[m,k]·B[k,n] for 2-d float32 tensors, forward only.
    static func gemm2d(_ a: Tensor, _ b: Tensor, into c: UnsafeMutablePointer<Float>, beta: Float = 0) {
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        if m == 0 || n == 0 { return }
        if k == 0 { if beta == 0 { c.update(repeating: 0, count: m * n) }; return }
        let aa = a.blasOperand() == nil ? a.contiguousCopy() : a
        let bb = b.blasOperand() == nil ? b.contiguousCopy() : b
        let (ta, lda) = aa.blasOperand()!, (tb, ldb) = bb.blasOperand()!
        withExtendedLifetime((aa, bb)) {
            // A single row or column is a matrix-vector product: sgemv skips sgemm's packing of the
            // whole matrix, which dominates batch-1 inference. (Output zeroed first for beta 0: some
            // OpenBLAS versions scale it by beta, and NaN·0 from uninitialized memory is NaN.)
            if (m == 1 || n == 1) && beta == 0 { c.update(repeating: 0, count: m * n) }
            if m == 1 {
                cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, Int32(tb ? n : k), Int32(tb ? k : n), 1,
                            bb.floatPointer, Int32(ldb), aa.floatPointer, Int32(ta ? lda : 1), beta, c, 1)
                return
            }
            if n == 1 {
                cblas_sgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, Int32(ta ? k : m), Int32(ta ? m : k), 1,
                            aa.floatPointer, Int32(lda), bb.floatPointer, Int32(tb ? 1 : ldb), beta, c, 1)
                return
            }
            if n <= 16 && m >= 64 {
                // A narrow output (a classifier head): OpenBLAS splits C = A·B badly over threads when
                // C has few columns (measured 0.09 ms vs 0.035 ms for 128×512 by 512×10), so compute
                // Cᵀ = Bᵀ·Aᵀ into scratch and transpose it back.
                let t = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
                defer { t.deallocate() }
                cblas_sgemm(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, ta ? CblasNoTrans : CblasTrans,
                            Int32(n), Int32(m), Int32(k), 1, bb.floatPointer, Int32(ldb), aa.floatPointer, Int32(lda),
                            0, t, Int32(m))
                for i in 0..<m {
                    for j in 0..<n { c[i * n + j] = beta == 0 ? t[j * m + i] : beta * c[i * n + j] + t[j * m + i] }
                }
                return
            }
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, aa.floatPointer, Int32(lda), bb.floatPointer, Int32(ldb),
                        beta, c, Int32(n))
        }
    }

    /// Forward-only matrix product with PyTorch's `matmul` broadcasting of batch dimensions.
    static func matmulForward(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank >= 2 && b.rank >= 2, "matmul: internal call needs rank ≥ 2")
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], k2 = b.shape[b.rank - 2], n = b.shape[b.rank - 1]
        precondition(k == k2, "matmul: shapes \(a.shape) and \(b.shape) do not fit (inner dims \(k) vs \(k2))")
        if a.rank == 2 && b.rank == 2 {
            let out = Storage(uninitialized: .float32, count: m * n)
            gemm2d(a, b, into: out.base.assumingMemoryBound(to: Float.self))
            return Tensor(storage: out, layout: Layout(shape: [m, n]))
        }
        let batch = Kernels.broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: "matmul")
        let ea = a.expanded(to: batch + [m, k]), eb = b.expanded(to: batch + [k, n])
        let nb = batch.reduce(1, *)
        let out = Storage(uninitialized: .float32, count: nb * m * n)
        let po = out.base.assumingMemoryBound(to: Float.self)
        var idx = [Int](repeating: 0, count: batch.count)
        for bi in 0..<nb {
            var rem = bi
            for d in stride(from: batch.count - 1, through: 0, by: -1) { idx[d] = rem % batch[d]; rem /= batch[d] }
            var la = Layout(shape: [m, k], strides: Array(ea.layout.strides.suffix(2)), offset: ea.layout.offset)
            var lb = Layout(shape: [k, n], strides: Array(eb.layout.strides.suffix(2)), offset: eb.layout.offset)
            for d in 0..<batch.count { la.offset += idx[d] * ea.layout.strides[d]; lb.offset += idx[d] * eb.layout.strides[d] }
            gemm2d(Tensor(storage: ea.storage, layout: la), Tensor(storage: eb.storage, layout: lb), into: po + bi * m * n)
        }
        return Tensor(storage: out, layout: Layout(shape: batch + [m, n]))
    }

    /// Matrix product with PyTorch `matmul` semantics (1-d operands, batched and broadcast).
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(dtype == .float32 && other.dtype == .float32, "matmul: expected float32 operands, got \(dtype) and \(other.dtype)")
        precondition(rank >= 1 && other.rank >= 1, "matmul: operands must be at least 1-d, got \(shape) and \(other.shape)")
        // 1-d × 1-d is a dot product: [1,k]·[k,1] → 0-d (squeezing twice by position).
        if rank == 1 && other.rank == 1 { return unsqueezed(0).matmul(other.unsqueezed(1)).reshaped([]) }
        if rank == 1 { return unsqueezed(0).matmul(other).squeezed(-2) }
        if other.rank == 1 { return matmul(other.unsqueezed(1)).squeezed(-1) }
        let a = self, b = other
        let r = Tensor.matmulForward(a, b)
        return Tensor.record("matmul", r, inputs: [a, b]) { g in
            [a.node == nil ? nil : Tensor.matmulForward(g, b.detach().transposed()).sumTo(a.shape),
             b.node == nil ? nil : Tensor.matmulForward(a.detach().transposed(), g).sumTo(b.shape)]
        }
    }

    /// y = x·Wᵀ + b in one GEMM (bias pre-filled, beta = 1), the `Linear` layer's forward.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(x.dtype == .float32 && weight.dtype == .float32 && (bias?.dtype ?? .float32) == .float32,
                     "linear: expected float32 input, weight and bias, got \(x.dtype), \(weight.dtype), \(bias?.dtype ?? .float32)")
        precondition(x.rank >= 1 && weight.rank == 2 && x.shape.last == weight.shape[1],
                     "linear: input \(x.shape) does not fit weight \(weight.shape) (expects last dim \(weight.shape.count == 2 ? weight.shape[1] : -1))")
        let lead = Array(x.shape.dropLast())
        let x2 = x.rank == 2 ? x : x.reshaped([-1, weight.shape[1]])
        let m = x2.shape[0], n = weight.shape[0]
        let out = Storage(uninitialized: .float32, count: m * n)
        let po = out.base.assumingMemoryBound(to: Float.self)
        if let bias {
            precondition(bias.shape == [n], "linear: bias shape \(bias.shape) != [\(n)]")
            bias.withContiguousFloats { pb in for i in 0..<m { (po + i * n).update(from: pb, count: n) } }
        }
        gemm2d(x2.detach(), weight.detach().transposed(), into: po, beta: bias == nil ? 0 : 1)
        let y = Tensor(storage: out, layout: Layout(shape: [m, n]))
        let inputs = bias.map { [x2, weight, $0] } ?? [x2, weight]
        let r = record("linear", y, inputs: inputs) { g in
            [x2.node == nil ? nil : matmulForward(g, weight.detach()),
             weight.node == nil ? nil : matmulForward(g.transposed(), x2.detach()),
             bias == nil ? nil : g.sum(axes: [0])]
        }
        return x.rank == 2 ? r : r.reshaped(lead + [n])
    }
}
