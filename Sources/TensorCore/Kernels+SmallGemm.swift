import CKernels

extension Kernels {
    /// Whether C = A·Bᵀ of an m×n output over k, read in segments of `segment` columns, goes to
    /// `smallOutputGemm` rather than OpenBLAS: a convolution's weight gradient has a few hundred
    /// outputs over tens of thousands of pixels, where OpenBLAS ran at ~35 GFLOPS and the
    /// register-blocked C kernel at ~65 per core (measured); short segments would waste its blocks.
    static func prefersSmallOutputGemm(m: Int, n: Int, k: Int, segment: Int) -> Bool {
        m * n <= 1024 && k >= 2048 && segment >= 64
    }

    /// C = Σ_s A_s·B_sᵀ (C += … when `accumulate`), row-major, for a small m×n output: `segments`
    /// pairs of k-column blocks, A_s at `a(s)` with row stride `lda`, B_s at `b(s)` with `ldb` (a
    /// convolution's images, read where they lie). Each core sums half of the segments into its
    /// own 16-lane partial sums, reduced to C once at the end.
    static func smallOutputGemm(m: Int, n: Int, k: Int, segments: Int,
                                a: (Int) -> UnsafePointer<Float>, lda: Int,
                                b: (Int) -> UnsafePointer<Float>, ldb: Int,
                                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        let size = m * n * 16
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 2 * size * 4, alignment: 64)
        defer { raw.deallocate() }
        let parts = raw.initializeMemory(as: Float.self, repeating: 0, count: 2 * size)
        inTwo(segments, split: segments / 2, parallel: m * n * k * segments >= 1 << 18) { r in
            let out = parts + (r.lowerBound == 0 ? 0 : size)
            for s in r { cairn_sgemm_nt_accumulate(m, n, k, a(s), lda, b(s), ldb, out) }
        }
        for i in 0..<m {
            for j in 0..<n {
                let p = parts + (i * n + j) * 16
                var s: Float = 0
                for lane in 0..<16 { s += p[lane] + p[size + lane] }
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s
            }
        }
    }
}
