// Dtype conversions bit-identical to PyTorch on x86-64 CPUs. Floats round to nearest-even when
// narrowing; float64→f16/bf16 goes through float32 as c10 does (double rounding included);
// int64→float32 rounds once. Float→int truncates toward zero, and a NaN or out-of-range value
// gives what the x86 cvtt* instructions give (the "integer indefinite" minimum) — int8/int16/uint8
// are converted through int32 and then wrapped, like the C casts PyTorch compiles.

extension Tensor {
    /// A copy converted to `target` (self when already of that dtype).
    public func to(_ target: DType) -> Tensor {
        if target == dtype { return self }
        let src = contiguous()
        let n = count
        let out = Storage(uninitialized: target, count: n)
        withExtendedLifetime(src) {
            let p = UnsafeRawPointer(src.storage.base + src.layout.offset * dtype.byteSize)
            let from = dtype
            if DTypeCodec.convertFast(p, from, out.base, target, n) { return }
            if from.isFloatingPoint {
                for i in 0..<n { DTypeCodec.writeDouble(DTypeCodec.readDouble(p, i, from), out.base, i, target) }
            } else {
                for i in 0..<n { DTypeCodec.writeInt(DTypeCodec.readInt(p, i, from), out.base, i, target) }
            }
        }
        let r = Tensor(storage: out, layout: Layout(shape: shape))
        guard dtype.isFloatingPoint && target.isFloatingPoint else { return r }
        let from = dtype
        return Tensor.record("to", r, inputs: [self]) { g in [g.to(from)] }
    }
}

/// Reads and writes single elements of any dtype (slow path used for conversions only).
public enum DTypeCodec {
    /// Typed loops for the conversions checkpoints use most (f32 ⇄ f16/bf16/f64); false when
    /// the pair has no fast path. Results equal the element-wise path (and keep NaN payloads
    /// when widening, where a pass through Double could quiet a signalling NaN).
    static func convertFast(_ src: UnsafeRawPointer, _ from: DType, _ dst: UnsafeMutableRawPointer,
                            _ to: DType, _ n: Int) -> Bool {
        switch (from, to) {
        case (.float32, .float16):
            for i in 0..<n { dst.storeBytes(of: floatToHalf(src.loadUnaligned(fromByteOffset: i * 4, as: Float.self)), toByteOffset: i * 2, as: UInt16.self) }
        case (.float32, .bfloat16):
            for i in 0..<n { dst.storeBytes(of: floatToBF16(src.loadUnaligned(fromByteOffset: i * 4, as: Float.self)), toByteOffset: i * 2, as: UInt16.self) }
        case (.float16, .float32):
            for i in 0..<n { dst.storeBytes(of: halfToFloat(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)), toByteOffset: i * 4, as: Float.self) }
        case (.bfloat16, .float32):
            for i in 0..<n { dst.storeBytes(of: bf16ToFloat(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)), toByteOffset: i * 4, as: Float.self) }
        case (.float32, .float64):
            for i in 0..<n { dst.storeBytes(of: Double(src.loadUnaligned(fromByteOffset: i * 4, as: Float.self)), toByteOffset: i * 8, as: Double.self) }
        case (.float64, .float32):
            for i in 0..<n { dst.storeBytes(of: Float(src.loadUnaligned(fromByteOffset: i * 8, as: Double.self)), toByteOffset: i * 4, as: Float.self) }
        default:
            return false
        }
        return true
    }

    /// Element `i` as Double.
    @inline(__always)
    public static func readDouble(_ p: UnsafeRawPointer, _ i: Int, _ d: DType) -> Double {
        switch d {
        case .float32: return Double(p.loadUnaligned(fromByteOffset: i * 4, as: Float.self))
        case .float64: return p.loadUnaligned(fromByteOffset: i * 8, as: Double.self)
        case .float16: return Double(halfToFloat(p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
        case .bfloat16: return Double(bf16ToFloat(p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
        default: return Double(readInt(p, i, d))
        }
    }

    /// Element `i` as Int64 (floats truncated toward zero; NaN and out-of-range give Int64.min).
    @inline(__always)
    public static func readInt(_ p: UnsafeRawPointer, _ i: Int, _ d: DType) -> Int64 {
        switch d {
        case .int64: return p.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
        case .int32: return Int64(p.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
        case .int16: return Int64(p.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
        case .int8: return Int64(p.load(fromByteOffset: i, as: Int8.self))
        case .uint8: return Int64(p.load(fromByteOffset: i, as: UInt8.self))
        case .bool: return p.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
        default: return truncatingInt64(readDouble(p, i, d))
        }
    }

    /// x86 `cvttsd2si` with a 64-bit result: truncation toward zero, Int64.min for NaN or out of range.
    @inline(__always)
    public static func truncatingInt64(_ v: Double) -> Int64 {
        // -2^63 is exact and in range; 2^63 is the first value above it.
        guard v > -9_223_372_036_854_777_856.0 && v < 9_223_372_036_854_775_808.0 else { return .min }
        return Int64(v)
    }

    /// x86 `cvttsd2si` with a 32-bit result: truncation toward zero, Int32.min for NaN or out of range.
    @inline(__always)
    public static func truncatingInt32(_ v: Double) -> Int32 {
        guard v > -2_147_483_649.0 && v < 2_147_483_648.0 else { return .min }
        return Int32(v)
    }

    /// Writes the floating value `v` (read from a float dtype) as element `i` of dtype `d`.
    @inline(__always)
    public static func writeDouble(_ v: Double, _ p: UnsafeMutableRawPointer, _ i: Int, _ d: DType) {
        switch d {
        case .float32: p.storeBytes(of: Float(v), toByteOffset: i * 4, as: Float.self)
        case .float64: p.storeBytes(of: v, toByteOffset: i * 8, as: Double.self)
        case .float16: p.storeBytes(of: floatToHalf(Float(v)), toByteOffset: i * 2, as: UInt16.self)
        case .bfloat16: p.storeBytes(of: floatToBF16(Float(v)), toByteOffset: i * 2, as: UInt16.self)
        case .bool: p.storeBytes(of: v != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self)  // NaN is true
        case .int64: p.storeBytes(of: truncatingInt64(v), toByteOffset: i * 8, as: Int64.self)
        case .int32, .int16, .int8, .uint8: writeInt(Int64(truncatingInt32(v)), p, i, d)
        }
    }

    /// Writes integer `v` as element `i` of dtype `d` (wrapping like a C cast for narrower ints;
    /// rounding once to nearest-even for float32 and float64, through float32 for f16/bf16).
    @inline(__always)
    public static func writeInt(_ v: Int64, _ p: UnsafeMutableRawPointer, _ i: Int, _ d: DType) {
        switch d {
        case .int64: p.storeBytes(of: v, toByteOffset: i * 8, as: Int64.self)
        case .int32: p.storeBytes(of: Int32(truncatingIfNeeded: v), toByteOffset: i * 4, as: Int32.self)
        case .int16: p.storeBytes(of: Int16(truncatingIfNeeded: v), toByteOffset: i * 2, as: Int16.self)
        case .int8: p.storeBytes(of: Int8(truncatingIfNeeded: v), toByteOffset: i, as: Int8.self)
        case .uint8: p.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: i, as: UInt8.self)
        case .bool: p.storeBytes(of: v != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self)
        case .float64: p.storeBytes(of: Double(v), toByteOffset: i * 8, as: Double.self)
        // Float(Int64) rounds once; going through Double would round twice above 2^53.
        case .float32: p.storeBytes(of: Float(v), toByteOffset: i * 4, as: Float.self)
        case .float16: p.storeBytes(of: floatToHalf(Float(v)), toByteOffset: i * 2, as: UInt16.self)
        case .bfloat16: p.storeBytes(of: floatToBF16(Float(v)), toByteOffset: i * 2, as: UInt16.self)
        }
    }

    /// IEEE binary16 bits → Float (exact).
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exp = Int((h >> 10) & 0x1F), man = UInt32(h & 0x3FF)
        if exp == 0 {
            if man == 0 { return Float(bitPattern: sign) }
            let v = Float(man) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (man << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (man << 13))
    }

    /// Float → IEEE binary16 bits, round to nearest even; overflow → ±inf; every NaN becomes the
    /// canonical quiet NaN 0x7E00 with its sign (c10's `fp16_ieee_from_fp32_value`).
    public static func floatToHalf(_ f: Float) -> UInt16 {
        let b = f.bitPattern
        let sign = UInt16((b >> 16) & 0x8000)
        let exp = Int((b >> 23) & 0xFF)
        var man = b & 0x7F_FFFF
        if exp == 0xFF { return sign | (man != 0 ? 0x7E00 : 0x7C00) }
        let e = exp - 127 + 15
        if e >= 31 { return sign | 0x7C00 }
        if e <= 0 {
            if e < -10 { return sign }
            man |= 0x80_0000
            let shift = UInt32(14 - e)
            var h = man >> shift
            let rem = man & ((1 << shift) - 1), half = UInt32(1) << (shift - 1)
            if rem > half || (rem == half && (h & 1) == 1) { h += 1 }
            return sign | UInt16(h)
        }
        var h = UInt32(e) << 10 | (man >> 13)
        let rem = man & 0x1FFF
        if rem > 0x1000 || (rem == 0x1000 && (h & 1) == 1) { h += 1 }
        return sign | UInt16(h)
    }

    /// bfloat16 bits → Float (exact).
    public static func bf16ToFloat(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    /// Float → bfloat16 bits, round to nearest even; every NaN becomes 0x7FC0 (c10's scalar
    /// `round_to_nearest_even`; its vectorized path would give 0xFFFF, depending on length).
    public static func floatToBF16(_ f: Float) -> UInt16 {
        let b = f.bitPattern
        if f.isNaN { return 0x7FC0 }
        let rounding = 0x7FFF + ((b >> 16) & 1)
        return UInt16((b &+ rounding) >> 16)
    }
}
