// 2-d max/average pooling over NCHW float32 tensors, with PyTorch's window placement, output sizes
// (including ceil_mode), NaN handling and accumulation order so results match bit for bit where
// PyTorch's CPU kernels are sequential. Each (image, channel) plane is independent, so large
// inputs are split over both cores by plane.

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

    /// Checks a pooling call's arguments and returns (planes, H, W, outH, outW); input is [N, C, H, W] or [C, H, W].
    private static func poolGeometry(_ op: String, _ input: Tensor, kernel: (Int, Int), stride: (Int, Int),
                                     padding: (Int, Int), dilation: (Int, Int), ceilMode: Bool)
        -> (planes: Int, h: Int, w: Int, oh: Int, ow: Int) {
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
        return (planes, h, w, oh, ow)
    }

    /// PyTorch `F.max_pool2d` on [N, C, H, W] or [C, H, W]; the gradient goes to each window's argmax.
    public static func maxPool2d(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) -> Tensor {
        let st = stride ?? kernel
        let (planes, h, w, oh, ow) = poolGeometry("maxPool2d", input, kernel: kernel, stride: st, padding: padding,
                                                  dilation: dilation, ceilMode: ceilMode)
        let x = input.contiguous().detach()
        let outCount = planes * oh * ow
        let out = Storage(uninitialized: .float32, count: outCount)
        // Argmax offsets within each plane, kept for the backward scatter.
        var indices = [Int32](repeating: 0, count: outCount)
        let (kh, kw) = kernel, (sh, sw) = st, (ph, pw) = padding, (dh, dw) = dilation
        withExtendedLifetime(x) {
            let px = UnsafePointer(x.floatPointer), po = out.base.assumingMemoryBound(to: Float.self)
            indices.withUnsafeMutableBufferPointer { ib in
                let pi = ib.baseAddress!
                parallelFor(planes, grain: Swift.max(1, 65_536 / (oh * ow * kh * kw))) { range in
                    for p in range {
                        let src = px + p * h * w
                        let dst = po + p * oh * ow, idx = pi + p * oh * ow
                        for y in 0..<oh {
                            var y0 = y * sh - ph
                            let y1 = Swift.min(y0 + (kh - 1) * dh + 1, h)
                            while y0 < 0 { y0 += dh }
                            for xo in 0..<ow {
                                var x0 = xo * sw - pw
                                let x1 = Swift.min(x0 + (kw - 1) * dw + 1, w)
                                while x0 < 0 { x0 += dw }
                                // PyTorch's rule: a later element wins when strictly greater or NaN.
                                var best = y0 * w + x0
                                var m = -Float.infinity
                                var iy = y0
                                while iy < y1 {
                                    var ix = x0
                                    while ix < x1 {
                                        let v = src[iy * w + ix]
                                        if v > m || v.isNaN { m = v; best = iy * w + ix }
                                        ix += dw
                                    }
                                    iy += dh
                                }
                                dst[y * ow + xo] = m
                                idx[y * ow + xo] = Int32(best)
                            }
                        }
                    }
                }
            }
        }
        let shape = Array(input.shape.dropLast(2)) + [oh, ow]
        let result = Tensor(storage: out, layout: Layout(shape: shape))
        let inShape = input.shape
        return record("maxPool2d", result, inputs: [input]) { g in
            let gc = g.contiguous()
            let gi = Storage(dtype: .float32, count: planes * h * w)
            let pgi = gi.base.assumingMemoryBound(to: Float.self)
            withExtendedLifetime(gc) {
                let pg = UnsafePointer(gc.floatPointer)
                indices.withUnsafeBufferPointer { ib in
                    let pi = ib.baseAddress!
                    parallelFor(planes, grain: Swift.max(1, 65_536 / (oh * ow))) { range in
                        for p in range {
                            let d = pgi + p * h * w, s = pg + p * oh * ow, ix = pi + p * oh * ow
                            for j in 0..<(oh * ow) { d[Int(ix[j])] += s[j] }
                        }
                    }
                }
            }
            return [Tensor(storage: gi, layout: Layout(shape: inShape))]
        }
    }

    /// PyTorch `F.avg_pool2d` on [N, C, H, W] or [C, H, W].
    public static func avgPool2d(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
        let st = stride ?? kernel
        let (planes, h, w, oh, ow) = poolGeometry("avgPool2d", input, kernel: kernel, stride: st, padding: padding,
                                                  dilation: (1, 1), ceilMode: ceilMode)
        if let d = divisorOverride { precondition(d != 0, "avgPool2d: divisorOverride must not be zero") }
        let (kh, kw) = kernel, (sh, sw) = st, (ph, pw) = padding
        // Clipped window of output (y, x) and its divisor, exactly as PyTorch's cpu_avg_pool computes them.
        @inline(__always) func window(_ y: Int, _ xo: Int) -> (y0: Int, y1: Int, x0: Int, x1: Int, div: Float) {
            var y0 = y * sh - ph, x0 = xo * sw - pw
            var y1 = Swift.min(y0 + kh, h + ph), x1 = Swift.min(x0 + kw, w + pw)
            let poolSize = (y1 - y0) * (x1 - x0)
            y0 = Swift.max(y0, 0); x0 = Swift.max(x0, 0)
            y1 = Swift.min(y1, h); x1 = Swift.min(x1, w)
            let div = divisorOverride ?? (countIncludePad ? poolSize : (y1 - y0) * (x1 - x0))
            return (y0, y1, x0, x1, Float(div))
        }
        let x = input.contiguous().detach()
        let out = Storage(uninitialized: .float32, count: planes * oh * ow)
        withExtendedLifetime(x) {
            let px = UnsafePointer(x.floatPointer), po = out.base.assumingMemoryBound(to: Float.self)
            parallelFor(planes, grain: Swift.max(1, 65_536 / (oh * ow * kh * kw))) { range in
                for p in range {
                    let src = px + p * h * w, dst = po + p * oh * ow
                    for y in 0..<oh {
                        for xo in 0..<ow {
                            let win = window(y, xo)
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
        }
        let shape = Array(input.shape.dropLast(2)) + [oh, ow]
        let result = Tensor(storage: out, layout: Layout(shape: shape))
        let inShape = input.shape
        return record("avgPool2d", result, inputs: [input]) { g in
            let gc = g.contiguous()
            let gi = Storage(dtype: .float32, count: planes * h * w)
            let pgi = gi.base.assumingMemoryBound(to: Float.self)
            withExtendedLifetime(gc) {
                let pg = UnsafePointer(gc.floatPointer)
                parallelFor(planes, grain: Swift.max(1, 65_536 / (oh * ow * kh * kw))) { range in
                    for p in range {
                        let d = pgi + p * h * w, s = pg + p * oh * ow
                        for y in 0..<oh {
                            for xo in 0..<ow {
                                let win = window(y, xo)
                                if win.y0 >= win.y1 || win.x0 >= win.x1 { continue }
                                let delta = s[y * ow + xo] / win.div
                                for iy in win.y0..<win.y1 {
                                    for ix in win.x0..<win.x1 { d[iy * w + ix] += delta }
                                }
                            }
                        }
                    }
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
        let planes = input.shape.dropLast(2).reduce(1, *)
        @inline(__always) func start(_ i: Int, _ o: Int, _ n: Int) -> Int { (i * n) / o }
        @inline(__always) func end(_ i: Int, _ o: Int, _ n: Int) -> Int { ((i + 1) * n + o - 1) / o }
        let x = input.contiguous().detach()
        let out = Storage(uninitialized: .float32, count: planes * oh * ow)
        withExtendedLifetime(x) {
            let px = UnsafePointer(x.floatPointer), po = out.base.assumingMemoryBound(to: Float.self)
            parallelFor(planes, grain: Swift.max(1, 65_536 / Swift.max(h * w, 1))) { range in
                for p in range {
                    let src = px + p * h * w, dst = po + p * oh * ow
                    for y in 0..<oh {
                        let y0 = start(y, oh, h), y1 = end(y, oh, h)
                        for xo in 0..<ow {
                            let x0 = start(xo, ow, w), x1 = end(xo, ow, w)
                            var s: Float = 0
                            for iy in y0..<y1 {
                                for ix in x0..<x1 { s += src[iy * w + ix] }
                            }
                            // Two divisions, not one by the area: PyTorch's rounding.
                            dst[y * ow + xo] = s / Float(y1 - y0) / Float(x1 - x0)
                        }
                    }
                }
            }
        }
        let shape = Array(input.shape.dropLast(2)) + [oh, ow]
        let result = Tensor(storage: out, layout: Layout(shape: shape))
        let inShape = input.shape
        return record("adaptiveAvgPool2d", result, inputs: [input]) { g in
            let gc = g.contiguous()
            let gi = Storage(dtype: .float32, count: planes * h * w)
            let pgi = gi.base.assumingMemoryBound(to: Float.self)
            withExtendedLifetime(gc) {
                let pg = UnsafePointer(gc.floatPointer)
                parallelFor(planes, grain: Swift.max(1, 65_536 / Swift.max(h * w, 1))) { range in
                    for p in range {
                        let d = pgi + p * h * w, s = pg + p * oh * ow
                        for y in 0..<oh {
                            let y0 = start(y, oh, h), y1 = end(y, oh, h)
                            for xo in 0..<ow {
                                let x0 = start(xo, ow, w), x1 = end(xo, ow, w)
                                let delta = s[y * ow + xo] / Float(y1 - y0) / Float(x1 - x0)
                                for iy in y0..<y1 {
                                    for ix in x0..<x1 { d[iy * w + ix] += delta }
                                }
                            }
                        }
                    }
                }
            }
            return [Tensor(storage: gi, layout: Layout(shape: inShape))]
        }
    }
}
