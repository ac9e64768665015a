// float32 sums rounded exactly as PyTorch's CPU kernel rounds them (aten/src/ATen/native/cpu/
// SumKernel.cpp, `cascade_sum`, single-threaded, AVX2 build). PyTorch accumulates in float32, but
// in a fixed pattern: the TensorIterator puts reduced dimensions innermost and coalesces, then
// each 2-d block is summed by one of four loops that split rows into 4 interleaved partial sums
// ("ILP") and/or 8 vector lanes, and add in a 4-level cascade every 16 elements. Reproducing that
// pattern, rather than summing more accurately, is what makes losses and bias gradients match
// PyTorch bit for bit. (With several threads and more than 32768 elements PyTorch splits the
// work per thread, and AVX-512 builds use 16 lanes; those results differ from PyTorch's own
// single-threaded AVX2 ones too.)

extension Kernels {
    /// Float lanes of `Vectorized<float>` in PyTorch's AVX2 kernels.
    static let sumLanes = 8

    /// One dimension of the reduction loop: size and strides in elements (output stride 0 = reduced).
    struct ReduceDim: Equatable {
        var size: Int
        var inStride: Int
        var outStride: Int
    }

    /// Sum of `x` over `axes`, keeping them as size 1; bitwise equal to single-threaded `torch.sum`.
    static func torchSum(_ x: Tensor, axes: Set<Int>) -> Tensor {
        precondition(x.dtype == .float32, "sum: expected float32, got \(x.dtype)")
        let keptShape = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let out = Storage(dtype: .float32, count: keptShape.reduce(1, *))
        if x.count == 0 { return Tensor(storage: out, layout: Layout(shape: keptShape)) }
        // Broadcast (stride-0) inputs are made dense; PyTorch's ordering for them is not modelled.
        let src = zip(x.shape, x.layout.strides).contains { $0 > 1 && $1 == 0 } ? x.contiguousCopy() : x
        let outStrides = Layout.contiguousStrides(keptShape)
        // TensorIterator starts from the reversed dims (innermost first) and drops nothing yet;
        // size-1 dims only ever coalesce away, so they are left out here.
        var dims: [ReduceDim] = []
        for d in stride(from: src.rank - 1, through: 0, by: -1) where src.shape[d] > 1 {
            dims.append(ReduceDim(size: src.shape[d], inStride: src.layout.strides[d],
                                  outStride: axes.contains(d) ? 0 : outStrides[d]))
        }
        dims = coalesce(reorder(dims))
        let po = out.base.assumingMemoryBound(to: Float.self)
        withExtendedLifetime(src) {
            let pi = UnsafePointer(src.storage.base.assumingMemoryBound(to: Float.self)) + src.layout.offset
            if dims.isEmpty { po[0] += pi[0]; return }
            let d0 = dims[0], d1 = dims.count > 1 ? dims[1] : ReduceDim(size: 1, inStride: 0, outStride: 0)
            let outer = Array(dims.dropFirst(2))
            var idx = [Int](repeating: 0, count: outer.count)
            var inBase = 0, outBase = 0
            while true {
                sumPlane(pi + inBase, po + outBase, d0, d1)
                var k = 0
                while k < outer.count {
                    idx[k] += 1
                    inBase += outer[k].inStride
                    outBase += outer[k].outStride
                    if idx[k] < outer[k].size { break }
                    inBase -= outer[k].inStride * outer[k].size
                    outBase -= outer[k].outStride * outer[k].size
                    idx[k] = 0
                    k += 1
                }
                if k == outer.count { break }
            }
        }
        return Tensor(storage: out, layout: Layout(shape: keptShape))
    }

    /// TensorIterator's `reorder_dimensions` for a reduction: reduced dims first, then by the
    /// output's strides, then the input's; an insertion sort that skips ambiguous comparisons.
    static func reorder(_ dims: [ReduceDim]) -> [ReduceDim] {
        func shouldSwap(_ a: ReduceDim, _ b: ReduceDim) -> Int {
            if (a.outStride == 0) != (b.outStride == 0) { return b.outStride == 0 ? 1 : -1 }
            for (s0, s1) in [(a.outStride, b.outStride), (a.inStride, b.inStride)] {
                if s0 == 0 || s1 == 0 { continue }
                if s0 < s1 { return -1 }
                if s0 > s1 { return 1 }
                if a.size > b.size { return 1 }
            }
            return 0
        }
        var d = dims
        for i in d.indices.dropFirst() {
            var j1 = i
            var j0 = i - 1
            while j0 >= 0 {
                let c = shouldSwap(d[j0], d[j1])
                if c > 0 {
                    d.swapAt(j0, j1)
                    j1 = j0
                } else if c < 0 {
                    break
                }
                j0 -= 1
            }
        }
        return d
    }

    /// TensorIterator's `coalesce_dimensions`: merges neighbours that step like one dimension.
    static func coalesce(_ dims: [ReduceDim]) -> [ReduceDim] {
        var out: [ReduceDim] = []
        for d in dims {
            if var p = out.last, p.inStride * p.size == d.inStride, p.outStride * p.size == d.outStride {
                p.size *= d.size
                out[out.count - 1] = p
            } else {
                out.append(d)
            }
        }
        return out
    }

    /// One 2-d block of `cascade_sum`: picks the loop PyTorch picks and adds into the output.
    private static func sumPlane(_ pi: UnsafePointer<Float>, _ po: UnsafeMutablePointer<Float>,
                                 _ a: ReduceDim, _ b: ReduceDim) {
        var (d0, d1) = (a, b)
        if d0.outStride != 0 && d1.outStride == 0 { swap(&d0, &d1) }
        if d0.outStride != 0 && d1.outStride != 0 {
            // Not a reduction at all (only size-1 dims were reduced): out += in.
            for j in 0..<d1.size {
                for i in 0..<d0.size { po[i * d0.outStride + j * d1.outStride] += pi[i * d0.inStride + j * d1.inStride] }
            }
            return
        }
        let lanes = sumLanes
        let n = d0.size
        if d0.inStride == 1 && n >= lanes {
            // vectorized_inner_sum: each row as 8 lanes (ILP over vectors), the tail, then the lanes.
            let vecs = n / lanes
            for j in 0..<d1.size {
                let row = pi + j * d1.inStride
                var acc: Float = 0
                for k in (vecs * lanes)..<n { acc += row[k] }
                let v = vectorILPRowSum(row, vecs)
                for l in 0..<lanes { acc += v[l] }
                po[j * d1.outStride] += acc
            }
        } else if d1.inStride == 1 && d1.size >= lanes {
            // vectorized_outer_sum: columns in blocks of 4 vectors (plain cascade down the rows),
            // then single vectors and single columns (ILP down the rows).
            let block = 4 * lanes
            let blocked = d1.size / block * block
            // Eight neighbouring columns at a time, lane l running column j + l's own cascade.
            for j in stride(from: 0, to: blocked, by: lanes) {
                let v = vectorCascadeColumns(pi + j, n, d0.inStride)
                for l in 0..<lanes { po[(j + l) * d1.outStride] += v[l] }
            }
            for j in blocked..<d1.size {
                let col = pi + j
                po[j * d1.outStride] += ilpRowSum(n) { col[$0 * d0.inStride] }
            }
        } else if d0.inStride < d1.inStride {
            // scalar_inner_sum: ILP along each row.
            for j in 0..<d1.size {
                let row = pi + j * d1.inStride
                po[j * d1.outStride] += ilpRowSum(n) { row[$0 * d0.inStride] }
            }
        } else {
            // scalar_outer_sum: columns in groups of 4 (plain cascade), leftovers with ILP.
            let grouped = d1.size / 4 * 4
            for j in 0..<d1.size {
                let col = pi + j * d1.inStride
                let v = j < grouped ? cascade(n) { col[$0 * d0.inStride] } : ilpRowSum(n) { col[$0 * d0.inStride] }
                po[j * d1.outStride] += v
            }
        }
    }

    /// `multi_row_sum` for one lane: sequential float adds, folded into 4 cascade levels every
    /// 2^max(4, ⌈log2 n⌉/4) elements.
    @inline(__always)
    static func cascade(_ n: Int, _ load: (Int) -> Float) -> Float {
        let ceilLog2 = n <= 2 ? 1 : (Int.bitWidth - (n - 1).leadingZeroBitCount)
        let power = Swift.max(4, ceilLog2 / 4)
        let step = 1 << power, mask = step - 1
        var acc: (Float, Float, Float, Float) = (0, 0, 0, 0)
        var i = 0
        while i + step <= n {
            for _ in 0..<step { acc.0 += load(i); i += 1 }
            acc.1 += acc.0; acc.0 = 0
            if i & (mask << power) != 0 { continue }
            acc.2 += acc.1; acc.1 = 0
            if i & (mask << (2 * power)) != 0 { continue }
            acc.3 += acc.2; acc.2 = 0
        }
        while i < n { acc.0 += load(i); i += 1 }
        acc.0 += acc.1
        acc.0 += acc.2
        acc.0 += acc.3
        return acc.0
    }

    /// `cascade(n)` down eight adjacent columns at once (rows `rowStride` apart): lane l of the
    /// result is bitwise `cascade(n) { col[$0 * rowStride + l] }`, read a row vector at a time.
    @inline(__always)
    static func vectorCascadeColumns(_ col: UnsafePointer<Float>, _ n: Int, _ rowStride: Int) -> SIMD8<Float> {
        let raw = UnsafeRawPointer(col)
        @inline(__always) func load(_ i: Int) -> SIMD8<Float> {
            raw.loadUnaligned(fromByteOffset: i * rowStride * 4, as: SIMD8<Float>.self)
        }
        let ceilLog2 = n <= 2 ? 1 : (Int.bitWidth - (n - 1).leadingZeroBitCount)
        let power = Swift.max(4, ceilLog2 / 4)
        let step = 1 << power, mask = step - 1
        var c = LaneCascade()
        var i = 0
        while i + step <= n {
            for _ in 0..<step { c.a0 += load(i); i += 1 }
            c.foldLevel1()
            if i & (mask << power) != 0 { continue }
            c.foldLevel2()
            if i & (mask << (2 * power)) != 0 { continue }
            c.foldLevel3()
        }
        while i < n { c.a0 += load(i); i += 1 }
        return c.total
    }

    /// `row_sum`: 4 interleaved partial sums (each a cascade), the tail into the first, then
    /// the partials added in order.
    @inline(__always)
    static func ilpRowSum(_ n: Int, _ load: (Int) -> Float) -> Float {
        let m = n / 4
        var p0 = cascade(m) { load($0 * 4) }
        let p1 = cascade(m) { load($0 * 4 + 1) }
        let p2 = cascade(m) { load($0 * 4 + 2) }
        let p3 = cascade(m) { load($0 * 4 + 3) }
        for i in (m * 4)..<n { p0 += load(i) }
        p0 += p1
        p0 += p2
        p0 += p3
        return p0
    }

    /// The four cascade levels of one ILP partial sum, eight lanes wide.
    private struct LaneCascade {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()

        @inline(__always) mutating func foldLevel1() { a1 += a0; a0 = SIMD8() }
        @inline(__always) mutating func foldLevel2() { a2 += a1; a1 = SIMD8() }
        @inline(__always) mutating func foldLevel3() { a3 += a2; a2 = SIMD8() }
        @inline(__always) var total: SIMD8<Float> { var t = a0; t += a1; t += a2; t += a3; return t }
    }

    /// `ilpRowSum(vecs)` for all 8 lanes at once: lane l of the result is bitwise what
    /// `ilpRowSum(vecs) { row[$0 * 8 + l] }` returns, but the row is read once, in order, with the
    /// 32 independent cascades (4 ILP partials × 8 lanes) kept in SIMD registers.
    @inline(__always)
    static func vectorILPRowSum(_ row: UnsafePointer<Float>, _ vecs: Int) -> SIMD8<Float> {
        let raw = UnsafeRawPointer(row)
        @inline(__always) func load(_ v: Int) -> SIMD8<Float> {
            raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self)
        }
        let m = vecs / 4
        let ceilLog2 = m <= 2 ? 1 : (Int.bitWidth - (m - 1).leadingZeroBitCount)
        let power = Swift.max(4, ceilLog2 / 4)
        let step = 1 << power, mask = step - 1
        var c0 = LaneCascade(), c1 = LaneCascade(), c2 = LaneCascade(), c3 = LaneCascade()
        var i = 0
        while i + step <= m {
            for _ in 0..<step {
                c0.a0 += load(4 * i); c1.a0 += load(4 * i + 1); c2.a0 += load(4 * i + 2); c3.a0 += load(4 * i + 3)
                i += 1
            }
            c0.foldLevel1(); c1.foldLevel1(); c2.foldLevel1(); c3.foldLevel1()
            if i & (mask << power) != 0 { continue }
            c0.foldLevel2(); c1.foldLevel2(); c2.foldLevel2(); c3.foldLevel2()
            if i & (mask << (2 * power)) != 0 { continue }
            c0.foldLevel3(); c1.foldLevel3(); c2.foldLevel3(); c3.foldLevel3()
        }
        while i < m {
            c0.a0 += load(4 * i); c1.a0 += load(4 * i + 1); c2.a0 += load(4 * i + 2); c3.a0 += load(4 * i + 3)
            i += 1
        }
        var p0 = c0.total
        for t in (m * 4)..<vecs { p0 += load(t) }
        p0 += c1.total
        p0 += c2.total
        p0 += c3.total
        return p0
    }
}
