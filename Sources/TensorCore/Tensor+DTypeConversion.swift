// Exact dtype conversions. Floats round to nearest-even when narrowing (f32→f16/bf16), integers
// convert exactly through Int64, float→int truncates toward zero (PyTorch's `.to(int)`).

extension Tensor {
    /// A copy converted to `target` (self when already of that dtype).
    public func to(_ target: DType) -> Tensor {
        if target == dtype { return self }
        let src = contiguous()
        let n = count
        let out = Storage(uninitialized: target, count: n)
        withExtendedLifetime(src) {
            let p = src.storage.base + src.layout.offset * dtype.byteSize
            if dtype.isFloatingPoint && target.isFloatingPoint || !target.isFloatingPoint && dtype.isFloatingPoint
                || target.isFloatingPoint {
                for i in 0..<n { DTypeCodec.writeDouble(DTypeCodec.readDouble(p, i, dtype), out.base, i, target) }
            } else {
                for i in 0..<n { DTypeCodec.writeInt(DTypeCodec.readInt(p, i, dtype), out.base, i, target) }
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
    /// Element `i` as Double.
    @inline(__always)
    public static func readDouble(_ p: UnsafeRawPointer, _ i: Int, _ d: DType) -> Double {
        switch d {
        case .float32: return Double(p.load(fromByteOffset: i * 4, as: Float.self))
        case .float64: return p.load(fromByteOffset: i * 8, as: Double.self)
        case .float16: return Double(halfToFloat(p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
        case .bfloat16: return Double(bf16ToFloat(p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
        default: return Double(readInt(p, i, d))
        }
    }

    /// Element `i` as Int64 (floats truncated toward zero, NaN → 0, out of range saturates).
    @inline(__always)
    public static func readInt(_ p: UnsafeRawPointer, _ i: Int, _ d: DType) -> Int64 {
        switch d {
        case .int64: return p.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
        case .int32: return Int64(p.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
        case .int16: return Int64(p.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
        case .int8: return Int64(p.load(fromByteOffset: i, as: Int8.self))
        case .uint8: return Int64(p.load(fromByteOffset: i, as: UInt8.self))
        case .bool: return p.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
        default:
            let v = readDouble(p, i, d)
            if v.isNaN { return 0 }
            if v >= 9.2e18 { return .max }
            if v <= -9.2e18 { return .min }
            return Int64(v.rounded(.towardZero))
        }
    }

    /// Writes `v` as element `i` of dtype `d`.
    @inline(__always)
    public static func writeDouble(_ v: Double, _ p: UnsafeMutableRawPointer, _ i: Int, _ d: DType) {
        switch d {
        case .float32: p.storeBytes(of: Float(v), toByteOffset: i * 4, as: Float.self)
        case .float64: p.storeBytes(of: v, toByteOffset: i * 8, as: Double.self)
        case .float16: p.storeBytes(of: floatToHalf(Float(v)), toByteOffset: i * 2, as: UInt16.self)
        case .bfloat16: p.storeBytes(of: floatToBF16(Float(v)), toByteOffset: i * 2, as: UInt16.self)
        case .bool: p.storeBytes(of: v != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self)
        default:
            let t: Int64 = v.isNaN ? 0 : (v >= 9.2e18 ? .max : (v <= -9.2e18 ? .min : Int64(v.rounded(.towardZero))))
            writeInt(t, p, i, d)
        }
    }

    /// Writes integer `v` as element `i` of dtype `d` (wrapping like a C cast for narrower ints).
    @inline(__always)
    public static func writeInt(_ v: Int64, _ p: UnsafeMutableRawPointer, _ i: Int, _ d: DType) {
        switch d {
        case .int64: p.storeBytes(of: v, toByteOffset: i * 8, as: Int64.self)
        case .int32: p.storeBytes(of: Int32(truncatingIfNeeded: v), toByteOffset: i * 4, as: Int32.self)
        case .int16: p.storeBytes(of: Int16(truncatingIfNeeded: v), toByteOffset: i * 2, as: Int16.self)
        case .int8: p.storeBytes(of: Int8(truncatingIfNeeded: v), toByteOffset: i, as: Int8.self)
        case .uint8: p.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: i, as: UInt8.self)
        case .bool: p.storeBytes(of: v != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self)
        default: writeDouble(Double(v), p, i, d)
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

    /// Float → IEEE binary16 bits, round to nearest even; overflow → ±inf, NaN stays NaN.
    public static func floatToHalf(_ f: Float) -> UInt16 {
        let b = f.bitPattern
        let sign = UInt16((b >> 16) & 0x8000)
        let exp = Int((b >> 23) & 0xFF)
        var man = b & 0x7F_FFFF
        if exp == 0xFF { return sign | 0x7C00 | (man != 0 ? 0x200 | UInt16(man >> 13) : 0) }
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

    /// Float → bfloat16 bits, round to nearest even; NaN stays a quiet NaN.
    public static func floatToBF16(_ f: Float) -> UInt16 {
        let b = f.bitPattern
        if f.isNaN { return UInt16(b >> 16) | 0x40 }
        let rounding = 0x7FFF + ((b >> 16) & 1)
        return UInt16((b &+ rounding) >> 16)
    }
}
