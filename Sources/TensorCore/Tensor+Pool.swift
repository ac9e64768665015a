import Foundation

// 2-d max/average pooling over NCHW float32 tensors, with PyTorch's window placement, output sizes
// (including ceil_mode), NaN handling and accumulation order, so results match PyTorch's CPU
// kernels bit for bit. Each (image, channel) plane is independent, so large inputs are split over
// both cores by plane.

/// Window arithmetic shared by every plane of one 2-d pooling call.
struct PoolGeometry {
    let planes: Int, h: Int, w: Int, oh: Int, ow: Int
    let kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int, dh: Int, dw: Int

    // Kernels copy the fields into locals first: stores through the output pointers would
    // otherwise make the compiler reload them from `self` inside the innermost loops.

    /// Max over each window of planes `range`; `idx` gets the argmax offset within the plane.
    func maxForward(_ range: Range<Int>, _ px: UnsafePointer<Float>, _ po: UnsafeMutablePointer<Float>,
                    _ pi: UnsafeMutablePointer<Int32>) {
        let h = h, w = w, oh = oh, ow = ow, kh = kh, kw = kw, sh = sh, sw = sw, ph = ph, pw = pw, dh = dh, dw = dw
        if isPlain2x2 {
            maxForward2x2(range, px, po, pi)
            return
        }
        for p in range {
            let src = px + p * h * w, dst = po + p * oh * ow, idx = pi + p * oh * ow
            for y in 0..<oh {
                var y0 = y * sh - ph
                let y1 = Swift.min(y0 + (kh - 1) * dh + 1, h)
                while y0 < 0 { y0 += dh }
                for xo in 0..<ow {
                    var x0 = xo * sw - pw
                    let x1 = Swift.min(x0 + (kw - 1) * dw + 1, w)
                    while x0 < 0 { x0 += dw }
                    // Selects instead of branches: on real data `v > m` is a coin flip the CPU
                    // mispredicts (measured 4x slower). The first strict maximum wins ties.
                    var best = y0 * w + x0
                    var m = -Float.infinity
                    var sawNaN = false
                    var iy = y0
                    while iy < y1 {
                        var ix = x0
                        while ix < x1 {
                            let v = src[iy * w + ix]
                            if v.isNaN { sawNaN = true }
                            let gt = v > m
                            best = gt ? iy * w + ix : best
                            m = gt ? v : m
                            ix += dw
                        }
                        iy += dh
                    }
                    if sawNaN {
                        // PyTorch's rule: a later element also wins when it is NaN, so the last NaN is chosen.
                        iy = y0
                        while iy < y1 {
                            var ix = x0
                            while ix < x1 {
                                if src[iy * w + ix].isNaN { m = .nan; best = iy * w + ix }
                                ix += dw
                            }
                            iy += dh
                        }
                    }
                    dst[y * ow + xo] = m
                    idx[y * ow + xo] = Int32(truncatingIfNeeded: best)
                }
            }
        }
    }

    /// Whether every window is a whole 2×2 block at stride 2 (no padding, no dilation, and no
    /// ceil-mode window hanging over the edge): the windows then tile the input without overlap.
    var isPlain2x2: Bool {
        kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1
            && 2 * oh <= h && 2 * ow <= w
    }

    /// `maxForward` for the common 2×2, stride-2, unpadded window, unrolled: the same comparisons
    /// in the same order (first strict maximum wins, the last NaN wins over everything).
    private func maxForward2x2(_ range: Range<Int>, _ px: UnsafePointer<Float>, _ po: UnsafeMutablePointer<Float>,
                               _ pi: UnsafeMutablePointer<Int32>) {
        let h = h, w = w, oh = oh, ow = ow
        for p in range {
            let src = px + p * h * w, dst = po + p * oh * ow, idx = pi + p * oh * ow
            for y in 0..<oh {
                let r0 = src + 2 * y * w, r1 = r0 + w
                let d = dst + y * ow, ix = idx + y * ow
                let top = Int32(truncatingIfNeeded: 2 * y * w), bottom = top + Int32(truncatingIfNeeded: w)
                for xo in 0..<ow {
                    let a = r0[2 * xo], b = r0[2 * xo + 1], c = r1[2 * xo], e = r1[2 * xo + 1]
                    let x0 = Int32(truncatingIfNeeded: 2 * xo)
                    var m = -Float.infinity, best = top + x0
                    if a > m { m = a }
                    if b > m { m = b; best = top + x0 + 1 }
                    if c > m { m = c; best = bottom + x0 }
                    if e > m { m = e; best = bottom + x0 + 1 }
                    if a.isNaN || b.isNaN || c.isNaN || e.isNaN {
                        best = e.isNaN ? bottom + x0 + 1 : c.isNaN ? bottom + x0 : b.isNaN ? top + x0 + 1 : top + x0
                        m = .nan
                    }
                    d[xo] = m
                    ix[xo] = best
                }
            }
        }
    }

    /// Scatters the output gradient of planes `range` onto the recorded argmax positions.
    func maxBackward(_ range: Range<Int>, _ pg: UnsafePointer<Float>, _ pi: UnsafePointer<Int32>,
                     _ pgi: UnsafeMutablePointer<Float>) {
        let hw = h * w, ohw = oh * ow
        if isPlain2x2 {
            // Non-overlapping windows: every input element is written once (its window's gradient at
            // the argmax, 0 elsewhere; rows/columns no window covers get 0), so no zero-fill first.
            let w = w, oh = oh, ow = ow
            for p in range {
                let d = pgi + p * hw, s = pg + p * ohw, ix = pi + p * ohw
                for y in 0..<oh {
                    let top = d + 2 * y * w
                    for xo in 0..<ow {
                        top[2 * xo] = 0; top[2 * xo + 1] = 0; top[w + 2 * xo] = 0; top[w + 2 * xo + 1] = 0
                        d[Int(ix[y * ow + xo])] = s[y * ow + xo]
                    }
                    for x in (2 * ow)..<w { top[x] = 0; top[w + x] = 0 }
                }
                for x in (2 * oh * w)..<hw { d[x] = 0 }
            }
            return
        }
        for p in range {
            let d = pgi + p * hw, s = pg + p * ohw, ix = pi + p * ohw
            for j in 0..<ohw { d[Int(ix[j])] += s[j] }
        }
    }

    /// The clipped window of output (y, x) and its divisor, exactly as PyTorch's cpu_avg_pool computes them.
    @inline(__always)
    static func avgWindow(_ y: Int, _ xo: Int, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int,
                          countIncludePad: Bool, divisorOverride: Int?) -> (y0: Int, y1: Int, x0: Int, x1: Int, div: Float) {
        var y0 = y * sh - ph, x0 = xo * sw - pw
        var y1 = Swift.min(y0 + kh, h + ph), x1 = Swift.min(x0 + kw, w + pw)
        let poolSize = (y1 - y0) * (x1 - x0)
        y0 = Swift.max(y0, 0); x0 = Swift.max(x0, 0)
        y1 = Swift.min(y1, h); x1 = Swift.min(x1, w)
        let div = divisorOverride ?? (countIncludePad ? poolSize : (y1 - y0) * (x1 - x0))
        return (y0, y1, x0, x1, Float(div))
    }

    /// Window averages of planes `range` (sums in row-major order, then one division, like PyTorch).
    func avgForward(_ range: Range<Int>, _ px: UnsafePointer<Float>, _ po: UnsafeMutablePointer<Float>,
                    countIncludePad: Bool, divisorOverride: Int?) {
        let h = h, w = w, oh = oh, ow = ow, kh = kh, kw = kw, sh = sh, sw = sw, ph = ph, pw = pw
        for p in range {
            let src = px + p * h * w, dst = po + p * oh * ow
            for y in 0..<oh {
                for xo in 0..<ow {
                    let win = PoolGeometry.avgWindow(y, xo, h: h, w: w, kh: kh, kw: kw, sh: sh, sw: sw, ph: ph, pw: pw,
                                                     countIncludePad: countIncludePad, divisorOverride: divisorOverride)
                    if win.y0 >= win.y1 || win.x0 >= win.x1 { dst[y * ow + xo] = 0; continue }
                    var s: Float = 0
                    for iy in win.y0..<win.y1 {
                        for ix in win.x0..<win.x1 { s += src[iy * w + ix] }
                    }
                    dst[y * ow + xo] = s / win.div
                }
            }
        }
    }

    /// Spreads each output gradient of planes `range` evenly (gradient / divisor) over its window.
    func avgBackward(_ range: Range<Int>, _ pg: UnsafePointer<Float>, _ pgi: UnsafeMutablePointer<Float>,
                     countIncludePad: Bool, divisorOverride: Int?) {
        let h = h, w = w, oh = oh, ow = ow, kh = kh, kw = kw, sh = sh, sw = sw, ph = ph, pw = pw
        for p in range {
            let d = pgi + p * h * w, s = pg + p * oh * ow
            for y in 0..<oh {
                for xo in 0..<ow {
                    let win = PoolGeometry.avgWindow(y, xo, h: h, w: w, kh: kh, kw: kw, sh: sh, sw: sw, ph: ph, pw: pw,
                                                     countIncludePad: countIncludePad, divisorOverride: divisorOverride)
                    if win.y0 >= win.y1 || win.x0 >= win.x1 { continue }
                    let delta = s[y * ow + xo] / win.div
                    for iy in win.y0..<win.y1 {
                        for ix in win.x0..<win.x1 { d[iy * w + ix] += delta }
                    }
                }
            }
        }
    }

    /// Adaptive windows: output i covers input ⌊i·n/o⌋ ..< ⌈(i+1)·n/o⌉.
    @inline(__always) static func adaptiveStart(_ i: Int, _ o: Int, _ n: Int) -> Int { (i * n) / o }
    @inline(__always) static func adaptiveEnd(_ i: Int, _ o: Int, _ n: Int) -> Int { ((i + 1) * n + o - 1) / o }

    /// Adaptive averages of planes `range`; divides by the window height, then its width, as PyTorch does.
    func adaptiveForward(_ range: Range<Int>, _ px: UnsafePointer<Float>, _ po: UnsafeMutablePointer<Float>) {
        let h = h, w = w, oh = oh, ow = ow
        for p in range {
            let src = px + p * h * w, dst = po + p * oh * ow
            for y in 0..<oh {
                let y0 = PoolGeometry.adaptiveStart(y, oh, h), y1 = PoolGeometry.adaptiveEnd(y, oh, h)
                for xo in 0..<ow {
                    let x0 = PoolGeometry.adaptiveStart(xo, ow, w), x1 = PoolGeometry.adaptiveEnd(xo, ow, w)
                    var s: Float = 0
                    for iy in y0..<y1 {
                        for ix in x0..<x1 { s += src[iy * w + ix] }
                    }
                    dst[y * ow + xo] = s / Float(y1 - y0) / Float(x1 - x0)
                }
            }
        }
    }

    /// Spreads each adaptive output gradient evenly over its window.
    func adaptiveBackward(_ range: Range<Int>, _ pg: UnsafePointer<Float>, _ pgi: UnsafeMutablePointer<Float>) {
        let h = h, w = w, oh = oh, ow = ow
        for p in range {
            let d = pgi + p * h * w, s = pg + p * oh * ow
            for y in 0..<oh {
                let y0 = PoolGeometry.adaptiveStart(y, oh, h), y1 = PoolGeometry.adaptiveEnd(y, oh, h)
                for xo in 0..<ow {
                    let x0 = PoolGeometry.adaptiveStart(xo, ow, w), x1 = PoolGeometry.adaptiveEnd(xo, ow, w)
                    let delta = s[y * ow + xo] / Float(y1 - y0) / Float(x1 - x0)
                    for iy in y0..<y1 {
                        for ix in x0..<x1 { d[iy * w + ix] += delta }
                    }
                }
            }
        }
    }

    /// Runs `body` over the planes, split across both cores when each gets at least ~256K element visits
    /// (below that, thread hand-off measured slower than one core on the shared machine).
    func forPlanes(workPerPlane: Int, _ body: (Range<Int>) -> Void) {
        let perWorker = 1 << 18
        let workers = Swift.min(Kernels.cores,
                                planes * Swift.max(workPerPlane, 1) / perWorker)
        if workers <= 1 { body(0..<planes); return }
        let per = (planes + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { t in
            let lo = t * per, hi = Swift.min(planes, lo + per)
            if lo < hi { body(lo..<hi) }
        }
    }
}

extension Tensor {
    /// PyTorch's `pooling_output_shape`: floor or ceil division, and a ceil-mode window must start
    /// inside the input or its left padding.
    static func poolOutputSize(_ size: Int, kernel: Int, pad: Int, stride: Int, dilation: Int, ceilMode: Bool) -> Int {
        let num = size + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)
        // Division rounding toward negative infinity, like PyTorch's div_rtn.
        var out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1
        if ceilMode && (out - 1) * stride >= size + pad { out -= 1 }
        return out
    }

    /// Checks a pooling call's arguments (input [N, C, H, W] or [C, H, W]) and returns its window geometry.
    private static func poolGeometry(_ op: String, _ input: Tensor, kernel: (Int, Int), stride: (Int, Int),
                                     padding: (Int, Int), dilation: (Int, Int), ceilMode: Bool)
        -> PoolGeometry {
        precondition(input.rank == 3 || input.rank == 4, "\(op): input must be [N, C, H, W] or [C, H, W], got \(input.shape)")
        precondition(input.dtype == .float32, "\(op): expected a float32 input, got \(input.dtype)")
        precondition(kernel.0 >= 1 && kernel.1 >= 1, "\(op): kernel size must be positive, got \(kernel)")
        precondition(stride.0 >= 1 && stride.1 >= 1, "\(op): stride must be positive, got \(stride)")
        precondition(dilation.0 >= 1 && dilation.1 >= 1, "\(op): dilation must be positive, got \(dilation)")
        precondition(padding.0 >= 0 && padding.1 >= 0 && padding.0 <= kernel.0 / 2 && padding.1 <= kernel.1 / 2,
                     "\(op): padding \(padding) must be non-negative and at most half of kernel size \(kernel)")
        let h = input.shape[input.rank - 2], w = input.shape[input.rank - 1]
        let planes = input.shape.dropLast(2).reduce(1, *)
        precondition(input.shape.dropLast(2).dropFirst(input.rank - 3).allSatisfy { $0 > 0 } && h > 0 && w > 0,
                     "\(op): input \(input.shape) must have non-empty channel and spatial dimensions")
        let oh = poolOutputSize(h, kernel: kernel.0, pad: padding.0, stride: stride.0, dilation: dilation.0, ceilMode: ceilMode)
        let ow = poolOutputSize(w, kernel: kernel.1, pad: padding.1, stride: stride.1, dilation: dilation.1, ceilMode: ceilMode)
        precondition(oh >= 1 && ow >= 1,
                     "\(op): input \(input.shape) with kernel \(kernel), stride \(stride), padding \(padding), dilation \(dilation) gives output size \(oh)x\(ow), which is too small")
        return PoolGeometry(planes: planes, h: h, w: w, oh: oh, ow: ow, kh: kernel.0, kw: kernel.1, sh: stride.0, sw: stride.1,
                            ph: padding.0, pw: padding.1, dh: dilation.0, dw: dilation.1)
    }

    /// PyTorch `F.max_pool2d` on [N, C, H, W] or [C, H, W]; the gradient goes to each window's argmax.
    public static func maxPool2d(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) -> Tensor {
        let g = poolGeometry("maxPool2d", input, kernel: kernel, stride: stride ?? kernel, padding: padding,
                             dilation: dilation, ceilMode: ceilMode)
        let x = input.contiguous().detach()
        let out = Storage(uninitialized: .float32, count: g.planes * g.oh * g.ow)
        // Argmax offsets within each plane, kept for the backward scatter.
        let indices = Storage(uninitialized: .int32, count: g.planes * g.oh * g.ow)
        let pi = indices.base.assumingMemoryBound(to: Int32.self)
        withExtendedLifetime(x) {
            let px = UnsafePointer(x.floatPointer), po = out.base.assumingMemoryBound(to: Float.self)
            g.forPlanes(workPerPlane: g.oh * g.ow * kernel.0 * kernel.1) { g.maxForward($0, px, po, pi) }
        }
        let result = Tensor(storage: out, layout: Layout(shape: Array(input.shape.dropLast(2)) + [g.oh, g.ow]))
        let inShape = input.shape
        return record("maxPool2d", result, inputs: [input]) { grad in
            let gc = grad.contiguous()
            // The plain 2×2 backward writes every element itself; other windows accumulate onto zeros.
            let gi = g.isPlain2x2 ? Storage(uninitialized: .float32, count: g.planes * g.h * g.w)
                                  : Storage(dtype: .float32, count: g.planes * g.h * g.w)
            withExtendedLifetime((gc, indices)) {
                let pg = UnsafePointer(gc.floatPointer), pgi = gi.base.assumingMemoryBound(to: Float.self)
                g.forPlanes(workPerPlane: g.oh * g.ow) { g.maxBackward($0, pg, UnsafePointer(pi), pgi) }
            }
            return [Tensor(storage: gi, layout: Layout(shape: inShape))]
        }
    }

    /// PyTorch `F.avg_pool2d` on [N, C, H, W] or [C, H, W].
    public static func avgPool2d(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
        let g = poolGeometry("avgPool2d", input, kernel: kernel, stride: stride ?? kernel, padding: padding,
                             dilation: (1, 1), ceilMode: ceilMode)
        if let d = divisorOverride { precondition(d != 0, "avgPool2d: divisorOverride must not be zero") }
        let x = input.contiguous().detach()
        let out = Storage(uninitialized: .float32, count: g.planes * g.oh * g.ow)
        let work = g.oh * g.ow * kernel.0 * kernel.1
        withExtendedLifetime(x) {
            let px = UnsafePointer(x.floatPointer), po = out.base.assumingMemoryBound(to: Float.self)
            g.forPlanes(workPerPlane: work) {
                g.avgForward($0, px, po, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
            }
        }
        let result = Tensor(storage: out, layout: Layout(shape: Array(input.shape.dropLast(2)) + [g.oh, g.ow]))
        let inShape = input.shape
        return record("avgPool2d", result, inputs: [input]) { grad in
            let gc = grad.contiguous()
            let gi = Storage(dtype: .float32, count: g.planes * g.h * g.w)
            withExtendedLifetime(gc) {
                let pg = UnsafePointer(gc.floatPointer), pgi = gi.base.assumingMemoryBound(to: Float.self)
                g.forPlanes(workPerPlane: work) {
                    g.avgBackward($0, pg, pgi, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
                }
            }
            return [Tensor(storage: gi, layout: Layout(shape: inShape))]
        }
    }

    /// PyTorch `F.adaptive_avg_pool2d` on [N, C, H, W] or [C, H, W]: output cell i averages rows ⌊i·H/oH⌋..<⌈(i+1)·H/oH⌉.
    public static func adaptiveAvgPool2d(_ input: Tensor, outputSize: (Int, Int)) -> Tensor {
        precondition(input.rank == 3 || input.rank == 4,
                     "adaptiveAvgPool2d: input must be [N, C, H, W] or [C, H, W], got \(input.shape)")
        precondition(input.dtype == .float32, "adaptiveAvgPool2d: expected a float32 input, got \(input.dtype)")
        let (oh, ow) = outputSize
        precondition(oh >= 0 && ow >= 0, "adaptiveAvgPool2d: output size \(outputSize) must be non-negative")
        let h = input.shape[input.rank - 2], w = input.shape[input.rank - 1]
        precondition(input.shape.dropFirst(input.rank - 3).allSatisfy { $0 > 0 },
                     "adaptiveAvgPool2d: input \(input.shape) must have non-empty channel and spatial dimensions")
        // Kernel, stride and padding fields are unused by the adaptive kernels.
        let g = PoolGeometry(planes: input.shape.dropLast(2).reduce(1, *), h: h, w: w, oh: oh, ow: ow,
                             kh: 0, kw: 0, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1)
        let x = input.contiguous().detach()
        let out = Storage(uninitialized: .float32, count: g.planes * oh * ow)
        let work = h * w + oh * ow
        withExtendedLifetime(x) {
            let px = UnsafePointer(x.floatPointer), po = out.base.assumingMemoryBound(to: Float.self)
            g.forPlanes(workPerPlane: work) { g.adaptiveForward($0, px, po) }
        }
        let result = Tensor(storage: out, layout: Layout(shape: Array(input.shape.dropLast(2)) + [oh, ow]))
        let inShape = input.shape
        return record("adaptiveAvgPool2d", result, inputs: [input]) { grad in
            let gc = grad.contiguous()
            let gi = Storage(dtype: .float32, count: g.planes * h * w)
            withExtendedLifetime(gc) {
                let pg = UnsafePointer(gc.floatPointer), pgi = gi.base.assumingMemoryBound(to: Float.self)
                g.forPlanes(workPerPlane: work) { g.adaptiveBackward($0, pg, pgi) }
            }
            return [Tensor(storage: gi, layout: Layout(shape: inShape))]
        }
    }
}
