import CBLAS

// 2-d convolution as im2col + one OpenBLAS sgemm per group and batch chunk. The column matrix of a
// chunk holds its images side by side ([Cin·kH·kW, nb·L], L = output pixels per image), so even
// small layers on small images become one wide GEMM instead of many tiny ones. Chunks keep that
// buffer near `Tensor.convColumnBudget` floats whatever the batch size (with gradients on, each
// chunk's buffer is kept for the weight gradient, up to `convCachedColumnsLimit`). OpenBLAS threads
// the GEMMs; over both cores im2col splits the column rows, col2im the input channels and the
// layout copies the images.

/// Shape arithmetic of one conv2d call, shared by its forward and backward passes.
struct ConvGeometry {
    let n: Int, cin: Int, h: Int, w: Int
    let cout: Int, kh: Int, kw: Int
    let sh: Int, sw: Int, ph: Int, pw: Int, dh: Int, dw: Int
    let groups: Int
    let oh: Int, ow: Int

    /// Output pixels per image.
    var l: Int { oh * ow }
    /// Rows of the column matrix (all groups).
    var k: Int { cin * kh * kw }
    /// Rows of the column matrix per group.
    var kg: Int { (cin / groups) * kh * kw }
    /// Output channels per group.
    var coutg: Int { cout / groups }

    /// Images per chunk so that one column buffer stays within `budget` floats (at least one image).
    func chunk(budget: Int) -> Int {
        let perImage = Swift.max(k * l, 1)
        return Swift.max(1, Swift.min(n, budget / perImage))
    }

    /// Output columns `[lo, hi)` whose input column `o·s - p + j·d` falls inside `0..<size`.
    @inline(__always)
    static func validRange(out: Int, size: Int, stride s: Int, pad p: Int, offset jd: Int) -> (Int, Int) {
        // o·s ≥ p - jd  and  o·s ≤ size - 1 + p - jd
        let a = p - jd
        let lo = a <= 0 ? 0 : (a + s - 1) / s
        let b = size - 1 + p - jd
        let hi = b < 0 ? 0 : Swift.min(out, b / s + 1)
        return (Swift.min(lo, out), hi)
    }

    /// `validRange` of every kernel row and column, computed once per call: its integer divisions
    /// inside the per-channel loops cost more than the copying (measured).
    func validRanges() -> (rows: [(Int, Int)], cols: [(Int, Int)]) {
        ((0..<kh).map { ConvGeometry.validRange(out: oh, size: h, stride: sh, pad: ph, offset: $0 * dh) },
         (0..<kw).map { ConvGeometry.validRange(out: ow, size: w, stride: sw, pad: pw, offset: $0 * dw) })
    }

    /// Sum of n floats in eight lanes (one output plane of the bias gradient); each plane's sum is
    /// then accumulated in Double, so the order here only moves the last float bits.
    @inline(__always)
    static func planeSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        let raw = UnsafeRawPointer(p)
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n { acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self); i += 8 }
        var t = acc.sum()
        while i < n { t += p[i]; i += 1 }
        return t
    }

    /// dst[0..<n] = src[0..<n] eight floats at a time: image rows here are short (often 8 to 28
    /// floats), where a memcpy call or a vectorized loop's alias checks cost more than the copy.
    @inline(__always)
    static func copyRow(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        let rd = UnsafeMutableRawPointer(dst), rs = UnsafeRawPointer(src)
        var i = 0
        while i + 8 <= n {
            rd.storeBytes(of: rs.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self), toByteOffset: i * 4,
                          as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { dst[i] = src[i]; i += 1 }
    }

    /// dst[0..<n] += src[0..<n], eight floats at a time (the adjoint of `copyRow`).
    @inline(__always)
    static func addRow(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        let rd = UnsafeMutableRawPointer(dst), rs = UnsafeRawPointer(src)
        var i = 0
        while i + 8 <= n {
            let v = rd.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                + rs.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            rd.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { dst[i] += src[i]; i += 1 }
    }

    /// Copies images `n0..<n0+nb` of `input` into `cols` ([k, nb·l], zero where the window hits padding).
    func im2col(_ input: UnsafePointer<Float>, n0: Int, nb: Int, into cols: UnsafeMutablePointer<Float>) {
        Kernels.inTwo(k, split: k / 2, parallel: k >= 2 && nb * k * l >= 1 << 17) {
            im2col(input, n0: n0, nb: nb, rows: $0, into: cols)
        }
    }

    /// Runs `body` over image ranges covering `0..<nb` (the layout copies, where each image's
    /// planes are written by one thread): on both cores when the chunk is large.
    static func splitImages(_ nb: Int, work perImage: Int, _ body: (Range<Int>) -> Void) {
        Kernels.inTwo(nb, split: (nb + 1) / 2, parallel: nb >= 2 && nb * perImage >= 1 << 17, body)
    }

    /// `im2col` of the column-matrix rows `rows` (one row per channel and kernel offset), each
    /// written start to end across the chunk's images: sequential stores, while the chunk's input
    /// planes stay in cache (image by image, every row's 256-byte piece landed on a different
    /// page of a cold buffer, and the stores dominated the step's profile).
    private func im2col(_ input: UnsafePointer<Float>, n0: Int, nb: Int, rows: Range<Int>,
                        into cols: UnsafeMutablePointer<Float>) {
        // Locals, not properties: stores through `cols` would otherwise force reloads of `self`.
        let cin = cin, h = h, w = w, oh = oh, ow = ow, kh = kh, kw = kw
        let sh = sh, sw = sw, ph = ph, pw = pw, dh = dh, dw = dw, l = l
        let ld = nb * l, hw = h * w
        let (yRanges, xRanges) = validRanges()
        for r in rows {
            let c = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw
            let (ylo, yhi) = yRanges[ki], (xlo, xhi) = xRanges[kj]
            let x0 = xlo * sw - pw + kj * dw
            for i in 0..<nb {
                let src = input + ((n0 + i) * cin + c) * hw
                let dst = cols + r * ld + i * l
                if xhi <= xlo || yhi <= ylo { dst.update(repeating: 0, count: l); continue }
                if ylo > 0 { dst.update(repeating: 0, count: ylo * ow) }
                if yhi < oh { (dst + yhi * ow).update(repeating: 0, count: (oh - yhi) * ow) }
                // Plain loops rather than memcpy: rows are often only a few floats long.
                for y in ylo..<yhi {
                    let row = dst + y * ow
                    let s = src + (y * sh - ph + ki * dh) * w + x0
                    for x in 0..<xlo { row[x] = 0 }
                    if sw == 1 {
                        ConvGeometry.copyRow(row + xlo, s, xhi - xlo)
                    } else {
                        var q = s
                        for x in xlo..<xhi { row[x] = q.pointee; q += sw }
                    }
                    for x in xhi..<ow { row[x] = 0 }
                }
            }
        }
    }

    /// Adds the columns `cols` ([k, nb·l]) back onto images `n0..<n0+nb` of `gradInput` (the adjoint of im2col).
    func col2im(_ cols: UnsafePointer<Float>, n0: Int, nb: Int, into gradInput: UnsafeMutablePointer<Float>) {
        // Each input plane is written by one thread: split the channels, or the images when there is one channel.
        let parallel = nb * k * l >= 1 << 17
        if cin >= 2 {
            Kernels.inTwo(cin, split: cin / 2, parallel: parallel) {
                col2im(cols, n0: n0, nb: nb, channels: $0, images: 0..<nb, into: gradInput)
            }
        } else {
            Kernels.inTwo(nb, split: nb / 2, parallel: parallel && nb >= 2) {
                col2im(cols, n0: n0, nb: nb, channels: 0..<cin, images: $0, into: gradInput)
            }
        }
    }

    /// `col2im` of the given channels and images, reading each column row start to end (as
    /// `im2col` writes them). Every gradient element still gets its terms in kernel-offset order.
    private func col2im(_ cols: UnsafePointer<Float>, n0: Int, nb: Int, channels: Range<Int>, images: Range<Int>,
                        into gradInput: UnsafeMutablePointer<Float>) {
        let cin = cin, h = h, w = w, ow = ow, kh = kh, kw = kw
        let sh = sh, sw = sw, ph = ph, pw = pw, dh = dh, dw = dw, l = l
        let ld = nb * l, hw = h * w
        let (yRanges, xRanges) = validRanges()
        for c in channels {
            for ki in 0..<kh {
                let (ylo, yhi) = yRanges[ki]
                for kj in 0..<kw {
                    let (xlo, xhi) = xRanges[kj]
                    if xhi <= xlo || yhi <= ylo { continue }
                    let x0 = xlo * sw - pw + kj * dw
                    for i in images {
                        let dst = gradInput + ((n0 + i) * cin + c) * hw
                        let src = cols + ((c * kh + ki) * kw + kj) * ld + i * l
                        for y in ylo..<yhi {
                            let row = src + y * ow
                            var q = dst + (y * sh - ph + ki * dh) * w + x0
                            if sw == 1 {
                                ConvGeometry.addRow(q, row + xlo, xhi - xlo)
                            } else {
                                for x in xlo..<xhi { q.pointee += row[x]; q += sw }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// Floats one chunk's column matrix may hold (2 MB). Small enough to stay in cache between im2col
    /// and the GEMM and to be recycled by malloc (larger scratch measured slower: fresh pages fault on
    /// every call), yet wide enough (e.g. 1280 columns for 16→32 channels, 5×5 on 12×12) for BLAS.
    static let convColumnBudget = 512 << 10

    /// PyTorch `F.conv2d`: input [N, Cin, H, W] (or unbatched [Cin, H, W]), weight [Cout, Cin/groups, kH, kW], bias [Cout]?.
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
               columnBudget: convColumnBudget)
    }

    /// `conv2d` with an explicit column-buffer budget in floats (tests shrink it to exercise chunking).
    static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
                       dilation: (Int, Int), groups: Int, columnBudget: Int) -> Tensor {
        precondition(input.rank == 3 || input.rank == 4,
                     "conv2d: input must be [N, C, H, W] or [C, H, W], got \(input.shape)")
        if input.rank == 3 {
            return conv2d(input.unsqueezed(0), weight: weight, bias: bias, stride: stride, padding: padding,
                          dilation: dilation, groups: groups, columnBudget: columnBudget).squeezed(0)
        }
        precondition(input.dtype == .float32 && weight.dtype == .float32 && (bias?.dtype ?? .float32) == .float32,
                     "conv2d: expected float32 tensors, got input \(input.dtype), weight \(weight.dtype)\(bias.map { ", bias \($0.dtype)" } ?? "")")
        precondition(weight.rank == 4, "conv2d: weight must be [Cout, Cin/groups, kH, kW], got \(weight.shape)")
        precondition(groups >= 1, "conv2d: groups must be positive, got \(groups)")
        precondition(stride.0 >= 1 && stride.1 >= 1, "conv2d: stride must be positive, got \(stride)")
        precondition(padding.0 >= 0 && padding.1 >= 0, "conv2d: padding must be non-negative, got \(padding)")
        precondition(dilation.0 >= 1 && dilation.1 >= 1, "conv2d: dilation must be positive, got \(dilation)")
        let (n, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (cout, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        precondition(weight.shape[1] >= 1, "conv2d: weight \(weight.shape) has no input channels")
        precondition(cin == weight.shape[1] * groups,
                     "conv2d: input \(input.shape) has \(cin) channels but weight \(weight.shape) expects \(weight.shape[1] * groups) (groups \(groups))")
        precondition(cout % groups == 0,
                     "conv2d: weight \(weight.shape) has \(cout) output channels, not divisible by groups \(groups)")
        if let bias {
            precondition(bias.shape == [cout], "conv2d: bias shape \(bias.shape) does not match weight \(weight.shape) (expects [\(cout)])")
        }
        let ekh = dilation.0 * (kh - 1) + 1, ekw = dilation.1 * (kw - 1) + 1
        let padH = h + 2 * padding.0, padW = w + 2 * padding.1
        precondition(kh >= 1 && kw >= 1 && ekh <= padH && ekw <= padW,
                     "conv2d: kernel \(kh)x\(kw) (dilation \(dilation), effective \(ekh)x\(ekw)) is larger than the padded input \(padH)x\(padW) of input \(input.shape)")
        let g = ConvGeometry(n: n, cin: cin, h: h, w: w, cout: cout, kh: kh, kw: kw,
                             sh: stride.0, sw: stride.1, ph: padding.0, pw: padding.1, dh: dilation.0, dw: dilation.1,
                             groups: groups, oh: (padH - ekh) / stride.0 + 1, ow: (padW - ekw) / stride.1 + 1)

        let x = input.contiguous().detach(), wt = weight.contiguous().detach(), b = bias?.contiguous().detach()
        let needsWeightGrad = GradMode.isEnabled && (weight.node != nil)
        let (out, cached) = convForward(g, x, wt, b, budget: columnBudget, keepColumns: needsWeightGrad)
        let inputs = [input, weight] + (bias.map { [$0] } ?? [])
        let needInput = input.node != nil, needWeight = weight.node != nil, needBias = bias?.node != nil
        let hasBias = bias != nil
        return record("conv2d", out, inputs: inputs) { gout in
            let grads = convBackward(g, x, wt, gout.contiguous(), budget: columnBudget, cachedColumns: cached,
                                     needInput: needInput, needWeight: needWeight, needBias: needBias)
            return [grads.input, grads.weight] + (hasBias ? [grads.bias] : [])
        }
    }

    /// Floats of column matrices a conv may keep from forward to backward (64 MiB); above that the
    /// weight gradient rebuilds them chunk by chunk instead of holding them.
    static let convCachedColumnsLimit = 16 << 20

    /// Forward pass on contiguous operands; returns the output and, when `keepColumns` and the whole
    /// batch's columns fit `convCachedColumnsLimit`, each chunk's column matrix, so the weight
    /// gradient need not rebuild them (as PyTorch's slow_conv2d keeps `finput`).
    private static func convForward(_ g: ConvGeometry, _ x: Tensor, _ wt: Tensor, _ b: Tensor?, budget: Int,
                                    keepColumns: Bool) -> (Tensor, [Storage]?) {
        let out = Storage(uninitialized: .float32, count: g.n * g.cout * g.l)
        let po = out.base.assumingMemoryBound(to: Float.self)
        let result = Tensor(storage: out, layout: Layout(shape: [g.n, g.cout, g.oh, g.ow]))
        if g.n * g.cout * g.l == 0 { return (result, nil) }
        let nbMax = g.chunk(budget: budget)
        let keep = keepColumns && g.k * g.n * g.l <= convCachedColumnsLimit
        var kept: [Storage] = []
        var cols = Storage(uninitialized: .float32, count: g.k * nbMax * g.l)
        // One image per chunk lets the GEMM write straight into the output; wider chunks go via scratch.
        let tmp = nbMax > 1 ? Storage(uninitialized: .float32, count: g.cout * nbMax * g.l) : nil
        let pb = b?.floatPointer
        withExtendedLifetime((x, wt, b)) {
            let px = x.floatPointer, pw = wt.floatPointer
            var n0 = 0
            while n0 < g.n {
                let nb = Swift.min(nbMax, g.n - n0)
                let ldc = nb * g.l
                if keep && n0 > 0 { cols = Storage(uninitialized: .float32, count: g.k * nbMax * g.l) }
                if keep { kept.append(cols) }
                let pc = cols.base.assumingMemoryBound(to: Float.self)
                g.im2col(px, n0: n0, nb: nb, into: pc)
                let dst = tmp.map { $0.base.assumingMemoryBound(to: Float.self) } ?? (po + n0 * g.cout * g.l)
                if tmp == nil, let pb {
                    for co in 0..<g.cout { (dst + co * g.l).update(repeating: pb[co], count: g.l) }
                }
                for gi in 0..<g.groups {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                                Int32(g.coutg), Int32(ldc), Int32(g.kg), 1,
                                pw + gi * g.coutg * g.kg, Int32(g.kg),
                                pc + gi * g.kg * ldc, Int32(ldc),
                                tmp == nil && pb != nil ? 1 : 0, dst + gi * g.coutg * ldc, Int32(ldc))
                }
                if tmp != nil {
                    // [Cout, nb·L] scratch -> [nb, Cout, L] output, adding the bias on the way.
                    let l = g.l, cout = g.cout
                    ConvGeometry.splitImages(nb, work: cout * l) { images in
                        for i in images {
                            for co in 0..<cout {
                                let s = dst + co * ldc + i * l
                                let d = po + ((n0 + i) * cout + co) * l
                                let bv = pb?[co] ?? 0
                                for j in 0..<l { d[j] = s[j] + bv }
                            }
                        }
                    }
                }
                n0 += nb
            }
        }
        return (result, keep ? kept : nil)
    }

    /// Gradients of conv2d with respect to its input, weight and bias (only those asked for).
    private static func convBackward(_ g: ConvGeometry, _ x: Tensor, _ wt: Tensor, _ gout: Tensor, budget: Int, cachedColumns: [Storage]?,
                                     needInput: Bool, needWeight: Bool, needBias: Bool)
        -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        let gi = needInput ? Storage(dtype: .float32, count: g.n * g.cin * g.h * g.w) : nil
        let gw = needWeight ? Storage(dtype: .float32, count: g.cout * g.kg) : nil
        var gb: Tensor? = nil
        let pg = gout.floatPointer
        if needBias {
            let s = Storage(uninitialized: .float32, count: g.cout)
            let ps = s.base.assumingMemoryBound(to: Float.self)
            let l = g.l, cout = g.cout
            for co in 0..<cout {
                var acc: Double = 0
                for i in 0..<g.n { acc += Double(ConvGeometry.planeSum(pg + (i * cout + co) * l, l)) }
                ps[co] = Float(acc)
            }
            gb = Tensor(storage: s, layout: Layout(shape: [g.cout]))
        }
        if (needInput || needWeight) && g.n * g.cout * g.l > 0 {
            let nbMax = g.chunk(budget: budget)
            let scratch = cachedColumns == nil || needInput ? Storage(uninitialized: .float32, count: g.k * nbMax * g.l) : nil
            // The weight gradient reads a chunk's columns before the input gradient overwrites the
            // scratch; cached columns are never overwritten (the graph may be back-propagated again).
            let pd = scratch?.base.assumingMemoryBound(to: Float.self)  // present whenever needInput
            let gT = Storage(uninitialized: .float32, count: g.cout * nbMax * g.l)
            let pt = gT.base.assumingMemoryBound(to: Float.self)
            withExtendedLifetime((x, wt, gout, cachedColumns, scratch, gT)) {
                var n0 = 0, chunkIndex = 0
                while n0 < g.n {
                    let nb = Swift.min(nbMax, g.n - n0)
                    let ldc = nb * g.l
                    let l = g.l, cout = g.cout
                    // Weight gradients with few outputs read the gradient where it lies, image by image.
                    let direct = Kernels.prefersSmallOutputGemm(m: g.coutg, n: g.kg, k: ldc, segment: l)
                    if needInput || !direct {
                        // [nb, Cout, L] gradient -> [Cout, nb·L], the layout of the forward GEMM's output.
                        ConvGeometry.splitImages(nb, work: cout * l) { images in
                            for i in images {
                                for co in 0..<cout {
                                    ConvGeometry.copyRow(pt + co * ldc + i * l, pg + ((n0 + i) * cout + co) * l, l)
                                }
                            }
                        }
                    }
                    if let gw {
                        let pc = (cachedColumns?[chunkIndex] ?? scratch!).base.assumingMemoryBound(to: Float.self)
                        if cachedColumns == nil { g.im2col(x.floatPointer, n0: n0, nb: nb, into: pc) }
                        let pgw = gw.base.assumingMemoryBound(to: Float.self)
                        for gr in 0..<g.groups {
                            if direct {
                                let a0 = UnsafePointer(pg) + (n0 * cout + gr * g.coutg) * l, b0 = UnsafePointer(pc) + gr * g.kg * ldc
                                Kernels.smallOutputGemm(m: g.coutg, n: g.kg, k: l, segments: nb,
                                                        a: { a0 + $0 * cout * l }, lda: l, b: { b0 + $0 * l }, ldb: ldc,
                                                        c: pgw + gr * g.coutg * g.kg, ldc: g.kg, accumulate: n0 > 0)
                            } else {
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                                            Int32(g.coutg), Int32(g.kg), Int32(ldc), 1,
                                            pt + gr * g.coutg * ldc, Int32(ldc),
                                            pc + gr * g.kg * ldc, Int32(ldc),
                                            n0 == 0 ? 0 : 1, pgw + gr * g.coutg * g.kg, Int32(g.kg))
                            }
                        }
                    }
                    if let gi {
                        for gr in 0..<g.groups {
                            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
                                        Int32(g.kg), Int32(ldc), Int32(g.coutg), 1,
                                        wt.floatPointer + gr * g.coutg * g.kg, Int32(g.kg),
                                        pt + gr * g.coutg * ldc, Int32(ldc),
                                        0, pd! + gr * g.kg * ldc, Int32(ldc))
                        }
                        g.col2im(pd!, n0: n0, nb: nb, into: gi.base.assumingMemoryBound(to: Float.self))
                    }
                    n0 += nb; chunkIndex += 1
                }
            }
        }
        return (gi.map { Tensor(storage: $0, layout: Layout(shape: [g.n, g.cin, g.h, g.w])) },
                gw.map { Tensor(storage: $0, layout: Layout(shape: [g.cout, g.cin / g.groups, g.kh, g.kw])) },
                gb)
    }
}
