import XCTest
import TensorCore
import CairnTestSupport

/// The raw bytes of a tensor's elements in row-major order.
private func bytes(_ t: Tensor) -> [UInt8] {
    let c = t.contiguousCopy()
    return Array(UnsafeRawBufferPointer(start: c.storage.base, count: c.count * c.dtype.byteSize))
}

/// Distance in units in the last place between two floats (0 when equal, NaN matches NaN only,
/// an infinity matches only itself).
private func ulpDistance(_ a: Float, _ b: Float) -> Int {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .max }
    if a == b { return 0 }
    if !a.isFinite || !b.isFinite { return .max }
    // Map the sign-magnitude bits onto a monotonic integer line.
    func key(_ x: Float) -> Int { x.sign == .minus ? -Int(x.magnitude.bitPattern) : Int(x.bitPattern) }
    return Swift.abs(key(a) - key(b))
}

/// Asserts every element of `actual` is within `ulps` of PyTorch's `expected` (same shape).
private func assertULPs(_ actual: Tensor, _ expected: Tensor, _ ulps: Int, _ name: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, expected.shape, "\(name): shape", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let a = actual.toArray(), e = expected.toArray()
    var worst = 0, at = -1
    for i in 0..<a.count where ulpDistance(a[i], e[i]) > worst { worst = ulpDistance(a[i], e[i]); at = i }
    if worst > ulps {
        XCTFail("\(name): element \(at) is \(a[at]), PyTorch has \(e[at]) (\(worst == .max ? "∞" : String(worst)) ulps > \(ulps))",
                file: file, line: line)
    }
}

/// A fixture lacking an expected tensor.
private struct OpsFixtureError: Error, CustomStringConvertible {
    let description: String
}

/// Cairn ops against PyTorch 2.13 fixtures in Tests/Fixtures/ops (see its README, section 7).
final class OpsParityTests: XCTestCase {
    private func load(_ name: String) throws -> [String: Tensor] { try loadFixture("ops/" + name).tensors }

    private func get(_ t: [String: Tensor], _ key: String, _ file: String) throws -> Tensor {
        guard let v = t[key] else { throw OpsFixtureError(description: "ops/\(file): no tensor \"\(key)\"") }
        return v
    }

    // MARK: dtype conversions: bit for bit

    func testDTypeConversionsAreBitwiseIdentical() throws {
        let f = "dtypes.safetensors"
        let t = try load(f)
        let cases: [(src: String, dst: String, dtype: DType)] = [
            ("src.f32", "to.f16", .float16), ("src.f32", "to.bf16", .bfloat16), ("src.f32", "to.f64", .float64),
            ("to.f16", "to.f32_from_f16", .float32), ("to.bf16", "to.f32_from_bf16", .float32),
            ("src.f64", "to.f32_from_f64", .float32),
            ("src.i8", "to.i8", .int8), ("src.u8", "to.u8", .uint8), ("src.i32", "to.i32", .int32),
            ("src.i64", "to.i64", .int64), ("src.i64_big", "to.f32_from_i64", .float32),
        ]
        for c in cases {
            let src = try get(t, c.src, f), expected = try get(t, c.dst, f)
            XCTAssertEqual(expected.dtype, c.dtype, "\(c.dst): fixture dtype")
            let got = src.to(c.dtype)
            XCTAssertEqual(got.dtype, c.dtype, c.dst)
            XCTAssertEqual(got.shape, expected.shape, c.dst)
            let gb = bytes(got), eb = bytes(expected)
            if gb != eb {
                let es = c.dtype.byteSize
                let i = zip(gb, eb).enumerated().first { $0.element.0 != $0.element.1 }!.offset / es
                XCTFail("\(c.src) → \(c.dtype): element \(i) differs from PyTorch: "
                        + "\(Array(gb[i * es..<(i + 1) * es])) vs \(Array(eb[i * es..<(i + 1) * es])) "
                        + "(source value \(src.toArray()[i]))")
            }
        }
    }

    // MARK: softmax of large logits

    func testSoftmaxOfLargeLogitsMatchesPyTorch() throws {
        let f = "softmax_large.safetensors"
        let t = try load(f)
        let x = try get(t, "input", f), xn = try get(t, "input_neginf", f), go = try get(t, "grad_output", f)
        for dim in [0, 1] {
            assertULPs(x.softmax(axis: dim), try get(t, "softmax.dim\(dim)", f), 2, "softmax dim \(dim)")
            assertULPs(x.logSoftmax(axis: dim), try get(t, "log_softmax.dim\(dim)", f), 2, "log_softmax dim \(dim)")
        }
        // Exact zeros and -inf where the input is -inf.
        let sn = xn.softmax(axis: 1), ln = xn.logSoftmax(axis: 1)
        assertULPs(sn, try get(t, "softmax_neginf.dim1", f), 2, "softmax -inf")
        assertULPs(ln, try get(t, "log_softmax_neginf.dim1", f), 2, "log_softmax -inf")
        XCTAssertEqual(sn.toArray()[1], 0)
        XCTAssertEqual(ln.toArray()[1], -.infinity)
        XCTAssertFalse(x.softmax(axis: 1).hasNonFinite)

        for (name, op) in [("softmax", { (v: Tensor) in v.softmax(axis: 1) }), ("log_softmax", { (v: Tensor) in v.logSoftmax(axis: 1) })] {
            var xi = x.detach()
            xi.requiresGrad = true
            (op(xi) * go).sum().backward()
            let expected = try get(t, "grad.\(name).dim1", f)
            // The backward rule's sum over the row rounds differently from PyTorch's fused
            // kernel, so elements near cancellation get an absolute tolerance.
            assertClose(xi.grad!, expected, rtol: 1e-5, atol: 1e-6, "grad \(name)")
        }
    }

    // MARK: reductions

    func testReductionsMatchPyTorch() throws {
        let f = "reductions.safetensors"
        let t = try load(f)
        for src in ["mat", "mat_ties"] {
            let s = try get(t, src, f)
            for (suffix, axis) in [("dim0", Optional(0)), ("dim1", 1), ("all", nil)] {
                let key = "\(src).\(suffix)"
                let axes = axis.map { [$0] }
                assertULPs(s.sum(axes: axes), try get(t, "sum.\(key)", f), 0, "sum.\(key)")
                assertULPs(s.mean(axes: axes), try get(t, "mean.\(key)", f), 0, "mean.\(key)")
                assertULPs(s.variance(axes: axes, correction: 1), try get(t, "var_unbiased.\(key)", f), 0, "var_unbiased.\(key)")
                assertULPs(s.variance(axes: axes, correction: 0), try get(t, "var_biased.\(key)", f), 0, "var_biased.\(key)")
                assertULPs(s.std(axes: axes, correction: 1), try get(t, "std_unbiased.\(key)", f), 0, "std_unbiased.\(key)")
                assertULPs(s.std(axes: axes, correction: 0), try get(t, "std_biased.\(key)", f), 0, "std_biased.\(key)")
                let (mx, mn, amx, amn): (Tensor, Tensor, Tensor, Tensor)
                if let axis {
                    (mx, mn) = (s.max(axis: axis).values, s.min(axis: axis).values)
                    (amx, amn) = (s.argmax(axis: axis), s.argmin(axis: axis))
                } else {
                    (mx, mn, amx, amn) = (s.max(), s.min(), s.argmax(), s.argmin())
                }
                assertULPs(mx, try get(t, "max.\(key)", f), 0, "max.\(key)")
                assertULPs(mn, try get(t, "min.\(key)", f), 0, "min.\(key)")
                let emx = try get(t, "argmax.\(key)", f), emn = try get(t, "argmin.\(key)", f)
                XCTAssertEqual(amx.shape, emx.shape, "argmax.\(key)")
                XCTAssertEqual(amx.toInt64Array(), emx.toInt64Array(), "argmax.\(key)")
                XCTAssertEqual(amn.toInt64Array(), emn.toInt64Array(), "argmin.\(key)")
            }
        }
        let t3 = try get(t, "t3", f)
        for d in 0..<3 {
            let key = "t3.dim\(d)"
            assertULPs(t3.sum(axis: d), try get(t, "sum.\(key)", f), 0, "sum.\(key)")
            assertULPs(t3.mean(axis: d), try get(t, "mean.\(key)", f), 0, "mean.\(key)")
            assertULPs(t3.max(axis: d).values, try get(t, "max.\(key)", f), 0, "max.\(key)")
            XCTAssertEqual(t3.argmax(axis: d).toInt64Array(), try get(t, "argmax.\(key)", f).toInt64Array(), "argmax.\(key)")
            assertULPs(t3.variance(axis: d), try get(t, "var_unbiased.\(key)", f), 0, "var_unbiased.\(key)")
            assertULPs(t3.variance(axis: d, correction: 0), try get(t, "var_biased.\(key)", f), 0, "var_biased.\(key)")
        }
    }
}
