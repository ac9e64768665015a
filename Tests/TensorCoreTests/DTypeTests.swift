import XCTest
@testable import TensorCore
import CairnTestSupport

/// Raw bits of a 1-element 16-bit tensor.
private func bits16(_ t: Tensor) -> [UInt16] {
    let c = t.contiguousCopy()
    return (0..<c.count).map { c.storage.base.load(fromByteOffset: $0 * 2, as: UInt16.self) }
}

/// A float16/bfloat16 tensor from raw bits.
private func tensor16(_ bits: [UInt16], _ dtype: DType) -> Tensor {
    let s = bits.withUnsafeBytes { Storage(dtype: dtype, bytes: $0) }
    return Tensor(storage: s, layout: Layout(shape: [bits.count]))
}

private let halfULP = Float(sign: .plus, exponent: -11, significand: 1)  // half of f16's ulp at 1
private let f16MinSub = Float(sign: .plus, exponent: -24, significand: 1)
private let tiny = Float.leastNonzeroMagnitude                            // 1e-45 as float32
private let sub1e40 = Float(bitPattern: 0x0001_16C2)                        // 1e-40 as float32

final class DTypeTests: XCTestCase {
    func testDTypeProperties() {
        XCTAssertEqual(DType.float32.byteSize, 4)
        XCTAssertEqual(DType.bfloat16.byteSize, 2)
        XCTAssertEqual(DType.int64.byteSize, 8)
        XCTAssertEqual(DType.bool.byteSize, 1)
        XCTAssertTrue(DType.bfloat16.isFloatingPoint)
        XCTAssertFalse(DType.uint8.isFloatingPoint)
        for d in DType.allCases { XCTAssertEqual(DType(safetensorsName: d.safetensorsName), d) }
        XCTAssertNil(DType(safetensorsName: "F8_E4M3"))
        XCTAssertEqual(DType.bfloat16.torchName, "bfloat16")
    }

    func testToSameDTypeSharesStorage() {
        let t = Tensor([1, 2])
        XCTAssertTrue(t.to(.float32).storage === t.storage)
    }

    // MARK: float16

    func testFloat16RoundsToNearestEven() {
        let one: Float = 1
        let cases: [(Float, UInt16)] = [
            (0, 0x0000), (-0.0, 0x8000), (1, 0x3C00), (-1, 0xBC00), (0.1, 0x2E66), (-0.3, 0xB4CD),
            (3.14159265, 0x4248), (2049, 0x6800), (2051, 0x6802), (4097, 0x6C00),
            (one + halfULP, 0x3C00),                                // halfway, even below
            (one + 3 * halfULP, 0x3C02),                            // halfway, even above
            (one + halfULP + Float(sign: .plus, exponent: -20, significand: 1), 0x3C01),  // just above halfway
            (-(one + halfULP), 0xBC00),
        ]
        let t = Tensor(cases.map { $0.0 }).to(.float16)
        XCTAssertEqual(t.dtype, .float16)
        XCTAssertEqual(bits16(t), cases.map { $0.1 })
    }

    func testFloat16SubnormalsOverflowAndNaN() {
        let cases: [(Float, UInt16)] = [
            (f16MinSub, 0x0001), (f16MinSub / 2, 0x0000),           // halfway to 0 → even (0)
            (f16MinSub * 1.5, 0x0002), (f16MinSub * 0.75, 0x0001), (f16MinSub * 0.5000001, 0x0001),
            (f16MinSub * 0.25, 0x0000), (-f16MinSub, 0x8001),
            (Float(sign: .plus, exponent: -14, significand: 1), 0x0400),   // smallest normal
            (Float(sign: .plus, exponent: -14, significand: 1) - f16MinSub / 2, 0x0400),  // rounds up into normal
            (tiny, 0x0000), (-tiny, 0x8000), (sub1e40, 0x0000),     // float32 subnormals underflow
            (65504, 0x7BFF), (65519, 0x7BFF), (65520, 0x7C00), (-65520, 0xFC00), (65536, 0x7C00),
            (1e30, 0x7C00), (-1e30, 0xFC00), (.infinity, 0x7C00), (-.infinity, 0xFC00),
            (.nan, 0x7E00), (-Float.nan, 0xFE00),
            (Float(bitPattern: 0x7F80_0001), 0x7E00),               // signalling NaN with payload → canonical
            (Float(bitPattern: 0xFFC1_2345), 0xFE00),
        ]
        XCTAssertEqual(bits16(Tensor(cases.map { $0.0 }).to(.float16)), cases.map { $0.1 })
    }

    func testFloat16ToFloatIsExactForEveryPattern() {
        // Every half value survives half → float → half unchanged; every NaN stays NaN.
        let all = (0...0xFFFF).map { UInt16($0) }
        let f = tensor16(all, .float16).to(.float32).toArray()
        let back = bits16(Tensor(f).to(.float16))
        for (i, h) in all.enumerated() {
            let isNaN = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0
            if isNaN { XCTAssertTrue(f[i].isNaN, "\(h)"); continue }
            XCTAssertEqual(back[i], h, "half bits \(String(h, radix: 16))")
        }
        XCTAssertEqual(f[0x0001], f16MinSub)
        XCTAssertEqual(f[0x03FF], Float(1023) * f16MinSub)
        XCTAssertEqual(f[0x7BFF], 65504)
        XCTAssertEqual(f[0xFC00], -.infinity)
    }

    // MARK: bfloat16

    func testBFloat16RoundsToNearestEven() {
        let one: Float = 1, h = Float(sign: .plus, exponent: -8, significand: 1)
        let cases: [(Float, UInt16)] = [
            (0, 0x0000), (-0.0, 0x8000), (1, 0x3F80), (-1, 0xBF80), (0.1, 0x3DCD), (-0.3, 0xBE9A),
            (one + h, 0x3F80), (one + 3 * h, 0x3F82), (one + h + Float(sign: .plus, exponent: -20, significand: 1), 0x3F81),
            (-(one + 3 * h), 0xBF82), (65504, 0x4780), (1e30, 0x714A), (1e-8, 0x322C),
            (tiny, 0x0000), (sub1e40, 0x0001), (Float(bitPattern: 0x007F_FFFF), 0x0080),  // subnormal rounding
            (3.4028235e38, 0x7F80), (3.3895314e38, 0x7F7F),                  // overflow to inf / largest
            (.infinity, 0x7F80), (-.infinity, 0xFF80),
            (.nan, 0x7FC0), (-Float.nan, 0x7FC0), (Float(bitPattern: 0x7F80_0001), 0x7FC0),
        ]
        let t = Tensor(cases.map { $0.0 }).to(.bfloat16)
        XCTAssertEqual(t.dtype, .bfloat16)
        XCTAssertEqual(bits16(t), cases.map { $0.1 })
    }

    func testBFloat16ToFloatIsExactForEveryPattern() {
        let all = (0...0xFFFF).map { UInt16($0) }
        let f = tensor16(all, .bfloat16).to(.float32).toArray()
        let back = bits16(Tensor(f).to(.bfloat16))
        for (i, h) in all.enumerated() {
            XCTAssertEqual(f[i].bitPattern >> 16, UInt32(h), "bf16 → f32 is a shift")
            if f[i].isNaN { XCTAssertEqual(back[i], 0x7FC0); continue }
            XCTAssertEqual(back[i], h)
        }
    }

    // MARK: float64

    func testFloat64Conversions() {
        let f32HalfULP = Double(sign: .plus, exponent: -24, significand: 1)
        let src: [Double] = [1 + f32HalfULP, 1 + 3 * f32HalfULP, 1 + f32HalfULP + 0x1p-40, 0.1, 1e-46, 7e-46, 8e-46,
                             1e39, -1e300, .nan, -.infinity]
        let d = Tensor(storage: src.withUnsafeBytes { Storage(dtype: .float64, bytes: $0) }, layout: Layout(shape: [src.count]))
        let f = d.to(.float32).toArray()
        // Ties go to even: 1 + ½ulp → 1, 1 + 1½ulp → 1 + 2ulp; just above a tie rounds up.
        XCTAssertEqual(Array(f[0..<4]), [1, 1 + 4 * Float(f32HalfULP), 1 + 2 * Float(f32HalfULP), 0.1])
        XCTAssertEqual(Array(f[4..<6]), [0, 0])
        XCTAssertEqual(f[6], Float.leastNonzeroMagnitude)
        XCTAssertEqual(Array(f[7..<9]), [.infinity, -.infinity])
        XCTAssertTrue(f[9].isNaN)
        XCTAssertEqual(f[10], -.infinity)
        // float32 → float64 → float32 is the identity (bitwise, NaN aside).
        let x = Tensor([0.1, -3.5, tiny, 3.4028235e38, -0.0])
        XCTAssertEqual(x.to(.float64).to(.float32).toArray().map(\.bitPattern), x.toArray().map(\.bitPattern))
        // float64 → half rounds through float32 like c10 (so 1 + 2^-11 + 2^-40 lands on the tie → 1.0).
        let dd: [Double] = [1 + 0x1p-11 + 0x1p-40, 1 + 0x1p-8 + 0x1p-40]
        let t = Tensor(storage: dd.withUnsafeBytes { Storage(dtype: .float64, bytes: $0) }, layout: Layout(shape: [2]))
        XCTAssertEqual(bits16(t.to(.float16))[0], 0x3C00)
        XCTAssertEqual(bits16(t.to(.bfloat16))[1], 0x3F80)
    }

    // MARK: integers and bool

    func testFloatToIntTruncatesLikePyTorchOnX86() {
        let src: [Float] = [0, -0.0, 0.4, 0.5, 0.6, 1.5, 2.5, -0.5, -1.5, -2.5, -2.7, 2.7, 99.99, -99.99, 127.9, -128.9]
        let trunc: [Int64] = [0, 0, 0, 0, 0, 1, 2, 0, -1, -2, -2, 2, 99, -99, 127, -128]
        for d in [DType.int64, .int32, .int16, .int8] {
            let t = Tensor(src).to(d)
            XCTAssertEqual(t.dtype, d)
            XCTAssertEqual(t.toInt64Array(), trunc, "\(d)")
        }
        // Out of range: int64/int32 give their minimum for NaN and overflow; narrower ints go
        // through int32 and wrap (values checked against torch 2.13 on x86-64).
        let wild: [Float] = [300, -1, -129, 3e9, .nan, 1e20, 65535.9, 70000, 0x1p32 + 512]
        XCTAssertEqual(Tensor(wild).to(.uint8).toInt64Array(), [44, 255, 127, 0, 0, 0, 255, 112, 0])
        XCTAssertEqual(Tensor(wild).to(.int8).toInt64Array(), [44, -1, 127, 0, 0, 0, -1, 112, 0])
        XCTAssertEqual(Tensor(wild).to(.int16).toInt64Array(), [300, -1, -129, 0, 0, 0, -1, 4464, 0])
        let i32min = Int64(Int32.min)
        XCTAssertEqual(Tensor(wild).to(.int32).toInt64Array(), [300, -1, -129, i32min, i32min, i32min, 65535, 70000, i32min])
        XCTAssertEqual(Tensor(wild).to(.int64).toInt64Array(),
                       [300, -1, -129, 3_000_000_000, .min, .min, 65535, 70000, 4_294_967_808])
        // Exactly representable extremes stay exact.
        XCTAssertEqual(Tensor([0x1p63 - 0x1p39, -0x1p63, 2147483520, -2147483648]).to(.int64).toInt64Array(),
                       [9_223_371_487_098_961_920, .min, 2_147_483_520, -2_147_483_648])
        XCTAssertEqual(Tensor([2147483520, -2147483648]).to(.int32).toInt64Array(), [2_147_483_520, -2_147_483_648])
        XCTAssertEqual(Tensor([0x1p63]).to(.int64).toInt64Array(), [.min])
    }

    func testIntConversionsWrapAndRoundOnce() {
        let big = Tensor(int64: [1 << 40 + 5, -3, 300, 128, -129], shape: [5])
        XCTAssertEqual(big.to(.int8).toInt64Array(), [5, -3, 44, -128, 127])
        XCTAssertEqual(big.to(.uint8).toInt64Array(), [5, 253, 44, 128, 127])
        XCTAssertEqual(big.to(.int16).toInt64Array(), [5, -3, 300, 128, -129])
        XCTAssertEqual(big.to(.int32).toInt64Array(), [5, -3, 300, 128, -129])
        XCTAssertEqual(Tensor(int64: [-1], shape: [1]).to(.uint8).to(.int64).toInt64Array(), [255])
        // int64 → float32 rounds once: 2^62 + 2^38 + 1 is above the tie, so it rounds up (a pass
        // through float64 would first round to the tie and then down to 2^62).
        let i: [Int64] = [16_777_217, 16_777_219, -16_777_217, (1 << 53) + 1, (1 << 62) + (1 << 38) + 1, (1 << 62) + (1 << 38), .min]
        let f = Tensor(int64: i, shape: [i.count]).to(.float32).toArray()
        XCTAssertEqual(f, [16_777_216, 16_777_220, -16_777_216, 0x1p53, 0x1p62 + 0x1p39, 0x1p62, -0x1p63])
        XCTAssertEqual(Tensor(int64: [(1 << 53) + 1], shape: [1]).to(.float64).to(.int64).toInt64Array(), [1 << 53])
        XCTAssertEqual(Tensor(int64: [65519, 70000], shape: [2]).to(.float16).toArray(), [65504, .infinity])
        XCTAssertEqual(Tensor(int64: [257], shape: [1]).to(.bfloat16).toArray(), [256])
        XCTAssertEqual(Tensor(int64: [7, -7], shape: [2]).to(.int16).to(.float64).toArray(), [7, -7])
    }

    func testBoolConversions() {
        let b = Tensor([0, 1, -2, .nan, 0.25, -0.0]).to(.bool)
        XCTAssertEqual(b.dtype, .bool)
        XCTAssertEqual(b.toInt64Array(), [0, 1, 1, 1, 1, 0], "NaN is true, -0 is false (as torch)")
        XCTAssertEqual(b.to(.float32).toArray(), [0, 1, 1, 1, 1, 0])
        XCTAssertEqual(b.to(.int64).toInt64Array(), [0, 1, 1, 1, 1, 0])
        XCTAssertEqual(Tensor(int64: [0, 5, -1, 1 << 40], shape: [4]).to(.bool).toInt64Array(), [0, 1, 1, 1])
        XCTAssertEqual(b.to(.float16).toArray(), [0, 1, 1, 1, 1, 0])
        XCTAssertEqual(b.to(.uint8).toInt64Array(), [0, 1, 1, 1, 1, 0])
        // Bytes other than 0/1 in a bool storage still read as true.
        let raw: [UInt8] = [0, 2, 255]
        let weird = Tensor(storage: raw.withUnsafeBytes { Storage(dtype: .bool, bytes: $0) }, layout: Layout(shape: [3]))
        XCTAssertEqual(weird.to(.float32).toArray(), [0, 1, 1])
    }

    func testConversionOfNonContiguousViews() {
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).T
        XCTAssertEqual(t.to(.float16).toArray(), [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(t.to(.int32).toInt64Array(), [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(t.to(.float16).shape, [3, 2])
        let s = Tensor(indices: [1, 2, 3, 4], shape: [2, 2]).slice(axis: 1, 1..<2)
        XCTAssertEqual(s.to(.float32).toArray(), [2, 4])
        XCTAssertEqual(Tensor(zeros: [0, 3]).to(.bfloat16).shape, [0, 3])
    }
}
