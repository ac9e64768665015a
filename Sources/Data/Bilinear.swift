/// Bilinear resizing with PyTorch's `F.interpolate(mode="bilinear", align_corners=False, antialias=False)` rule.
///
/// For an axis of `inSize` → `outSize` samples: if the sizes are equal the axis is copied; otherwise
/// `scale = Float(inSize) / Float(outSize)`, output sample `i` reads source position
/// `s = max(scale * (i + 0.5) - 0.5, 0)` (half-pixel centres), `i0 = min(floor(s), inSize - 1)`,
/// `i1 = min(i0 + 1, inSize - 1)`, `λ1 = clamp(s - i0, 0, 1)`, `λ0 = 1 - λ1`, and
/// `out = λ0_y·(λ0_x·p[y0][x0] + λ1_x·p[y0][x1]) + λ1_y·(λ0_x·p[y1][x0] + λ1_x·p[y1][x1])`, all in Float.
/// There is no antialiasing when shrinking (unlike Pillow's and torchvision's PIL `Resize`), so
/// downscaling by more than 2x skips source pixels.
enum Bilinear {
    /// Source indices and weights for every output position along one axis.
    struct Axis {
        var i0: [Int]
        var i1: [Int]
        var w0: [Float]
        var w1: [Float]

        init(inSize: Int, outSize: Int) {
            i0 = [Int](repeating: 0, count: outSize)
            i1 = i0
            w0 = [Float](repeating: 1, count: outSize)
            w1 = [Float](repeating: 0, count: outSize)
            if inSize == outSize {
                for i in 0..<outSize { i0[i] = i; i1[i] = i }
                return
            }
            let scale = Float(inSize) / Float(outSize)
            for i in 0..<outSize {
                let s = Swift.max(scale * (Float(i) + 0.5) - 0.5, 0)
                let a = Swift.min(Int(s.rounded(.down)), inSize - 1)
                let l1 = Swift.min(Swift.max(s - Float(a), 0), 1)
                i0[i] = a
                i1[i] = a < inSize - 1 ? a + 1 : a
                w1[i] = l1
                w0[i] = 1 - l1
            }
        }
    }

    /// Resizes `channels` planes of `inHeight`×`inWidth` floats at `src` into `outHeight`×`outWidth` planes at `dst`.
    static func resize(_ src: UnsafePointer<Float>, channels: Int, inHeight: Int, inWidth: Int,
                       into dst: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int) {
        let ys = Axis(inSize: inHeight, outSize: outHeight)
        let xs = Axis(inSize: inWidth, outSize: outWidth)
        xs.i0.withUnsafeBufferPointer { x0 in
        xs.i1.withUnsafeBufferPointer { x1 in
        xs.w0.withUnsafeBufferPointer { wx0 in
        xs.w1.withUnsafeBufferPointer { wx1 in
            for c in 0..<channels {
                let plane = src + c * inHeight * inWidth
                let out = dst + c * outHeight * outWidth
                for oy in 0..<outHeight {
                    let r0 = plane + ys.i0[oy] * inWidth, r1 = plane + ys.i1[oy] * inWidth
                    let wy0 = ys.w0[oy], wy1 = ys.w1[oy]
                    let o = out + oy * outWidth
                    for ox in 0..<outWidth {
                        let a = x0[ox], b = x1[ox], u = wx0[ox], v = wx1[ox]
                        let t0 = r0[a] * u + r0[b] * v
                        let t1 = r1[a] * u + r1[b] * v
                        o[ox] = t0 * wy0 + t1 * wy1
                    }
                }
            }
        }}}}
    }
}
