/// Conversion of decoded 8-bit samples to planar float channels in [0, 1].
extension DecodedImage {
    /// Byte value → value / 255, computed by division as `ToTensor` does (so results match it bit for bit).
    static let unitScale: [Float] = (0..<256).map { Float($0) / 255 }

    /// Whether any pixel has alpha below 255.
    var hasTranslucentPixels: Bool {
        guard hasAlpha else { return false }
        let step = channels
        return pixels.withUnsafeBufferPointer { p in
            var i = step - 1
            while i < p.count {
                if p[i] != 255 { return true }
                i += step
            }
            return false
        }
    }

    /// Writes `outChannels` (1 or 3) planes of `height * width` floats to `dst`, dropping alpha and
    /// converting gray ↔ RGB as `ColorMode` documents.
    func writePlanar(channels outChannels: Int, to dst: UnsafeMutablePointer<Float>) {
        let n = width * height
        let step = channels
        DecodedImage.unitScale.withUnsafeBufferPointer { lut in
            pixels.withUnsafeBufferPointer { px in
                let src = px.baseAddress!
                if outChannels == 1 {
                    if !isColor {
                        for i in 0..<n { dst[i] = lut[Int(src[i * step])] }
                    } else {
                        for i in 0..<n {
                            let p = src + i * step
                            let l = (UInt32(p[0]) &* 19595 &+ UInt32(p[1]) &* 38470 &+ UInt32(p[2]) &* 7471 &+ 0x8000) >> 16
                            dst[i] = lut[Int(l)]
                        }
                    }
                } else {
                    let r = dst, g = dst + n, b = dst + 2 * n
                    if !isColor {
                        for i in 0..<n {
                            let v = lut[Int(src[i * step])]
                            r[i] = v; g[i] = v; b[i] = v
                        }
                    } else {
                        for i in 0..<n {
                            let p = src + i * step
                            r[i] = lut[Int(p[0])]; g[i] = lut[Int(p[1])]; b[i] = lut[Int(p[2])]
                        }
                    }
                }
            }
        }
    }
}
