import XCTest
@testable import TensorCore
import CairnTestSupport

/// Distinct values spaced 0.1 apart in scrambled order, so finite differences never flip a max.
private func spreadTensor(_ shape: [Int]) -> Tensor {
    let n = shape.reduce(1, *)
    var step = 37
    while gcd(step, n) != 1 { step += 2 }
    return Tensor((0..<n).map { Float(($0 * step) % n) * 0.1 - Float(n) * 0.05 }, shape: shape)
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

/// 1x1x5x5 tensor holding 1...25, the input of the PyTorch-computed expectations below.
private func grid(requiresGrad: Bool = false) -> Tensor {
    var x = Tensor((1...25).map(Float.init), shape: [1, 1, 5, 5])
    x.requiresGrad = requiresGrad
    return x
}

final class PoolTests: XCTestCase {
    func testOutputSizeFormula() {
        // (size, kernel, stride, pad, dilation) -> (ceil_mode size, floor size), from PyTorch 2.13.
        let cases: [(Int, Int, Int, Int, Int, Int, Int)] = [
            (5, 2, 2, 0, 1, 3, 2), (4, 2, 2, 1, 1, 3, 3), (6, 3, 2, 1, 1, 4, 3), (7, 3, 3, 1, 1, 3, 3),
            (5, 3, 2, 1, 2, 2, 2), (5, 2, 3, 0, 1, 2, 2), (10, 4, 3, 2, 1, 4, 4),
        ]
        for (s, k, st, p, d, ceil, floor) in cases {
            XCTAssertEqual(Tensor.poolOutputSize(s, kernel: k, pad: p, stride: st, dilation: d, ceilMode: true), ceil)
            XCTAssertEqual(Tensor.poolOutputSize(s, kernel: k, pad: p, stride: st, dilation: d, ceilMode: false), floor)
        }
    }

    func testMaxPoolHandComputed() {
        let x = Tensor([1, 5, 2, 0,
                        3, 4, 8, 7,
                        0, 1, 2, 2,
                        9, 1, 2, 6], shape: [1, 1, 4, 4])
        XCTAssertEqual(Tensor.maxPool2d(x, kernel: (2, 2)).toArray(), [5, 8, 9, 6])

        // Ceil mode with padding on -grid: PyTorch 2.13's values.
        let y = Tensor.maxPool2d(-grid(), kernel: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true)
        XCTAssertEqual(y.shape, [1, 1, 3, 3])
        XCTAssertEqual(y.toArray(), [-1, -2, -4, -6, -7, -9, -16, -17, -19])
        XCTAssertEqual(Tensor.maxPool2d(grid(), kernel: (2, 2), stride: (1, 1), dilation: (2, 2)).toArray(),
                       [13, 14, 15, 18, 19, 20, 23, 24, 25])
    }

    func testMaxPoolGradientGoesToArgmax() {
        let x = grid(requiresGrad: true)
        Tensor.maxPool2d(x, kernel: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true).sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1])

        // Ties: the first maximum in the window takes the gradient.
        var t = Tensor([2, 2, 1, 2], shape: [1, 1, 1, 4]); t.requiresGrad = true
        Tensor.maxPool2d(t, kernel: (1, 4)).sum().backward()
        XCTAssertEqual(t.grad?.toArray(), [1, 0, 0, 0])
    }

    func testMaxPoolNaNAndInfinity() {
        // NaN wins, and a later NaN replaces an earlier one (PyTorch picks index 3 here).
        var t = Tensor([1, .nan, 3, .nan], shape: [1, 1, 1, 4]); t.requiresGrad = true
        let y = Tensor.maxPool2d(t, kernel: (1, 4))
        XCTAssertTrue(y.item.isNaN)
        y.sum().backward()
        XCTAssertEqual(t.grad?.toArray(), [0, 0, 0, 1])
        // A larger value after a NaN does not replace it.
        var u = Tensor([.nan, 5, 2], shape: [1, 1, 1, 3]); u.requiresGrad = true
        let v = Tensor.maxPool2d(u, kernel: (1, 3))
        XCTAssertTrue(v.item.isNaN)
        v.sum().backward()
        XCTAssertEqual(u.grad?.toArray(), [1, 0, 0])

        // All -inf windows still route the gradient to the first in-bounds element.
        var m = Tensor(repeating: -.infinity, shape: [1, 1, 1, 4]); m.requiresGrad = true
        let z = Tensor.maxPool2d(m, kernel: (1, 2), padding: (0, 1))
        XCTAssertEqual(z.toArray(), [-.infinity, -.infinity, -.infinity])
        z.sum().backward()
        XCTAssertEqual(m.grad?.toArray(), [1, 1, 0, 1])
    }

    func testMaxPool2x2MatchesPyTorchsWindowRule() {
        // The unrolled 2x2/stride-2 kernel against torch's rule written out: scan each window in
        // row-major order and take a value when `v > max || isnan(v)`. Ties, -inf and NaNs included.
        let (n, c, h, w) = (2, 3, 7, 9)  // odd sizes: the last row and column are dropped, as in torch
        let pool: [Float] = [0, 1, 1, 2, -.infinity, .nan, 3, -1]
        let raw = testValues(n * c * h * w, seed: 7).map { pool[Int(($0 + 1) * 1000) % pool.count] }
        var x = Tensor(raw, shape: [n, c, h, w]); x.requiresGrad = true
        let y = Tensor.maxPool2d(x, kernel: (2, 2))
        XCTAssertEqual(y.shape, [n, c, 3, 4])
        y.sum().backward()
        var expected = [Float](), hits = [Float](repeating: 0, count: raw.count)
        for p in 0..<(n * c) {
            for oy in 0..<3 {
                for ox in 0..<4 {
                    var m = -Float.infinity, best = p * h * w + 2 * oy * w + 2 * ox
                    for dy in 0..<2 {
                        for dx in 0..<2 {
                            let i = p * h * w + (2 * oy + dy) * w + 2 * ox + dx
                            if raw[i] > m || raw[i].isNaN { m = raw[i]; best = i }
                        }
                    }
                    expected.append(m)
                    hits[best] += 1
                }
            }
        }
        let got = y.toArray()
        XCTAssertEqual(got.map(\.bitPattern), expected.map(\.bitPattern))
        XCTAssertEqual(x.grad?.toArray(), hits)
        XCTAssertTrue(expected.contains { $0.isNaN } && expected.contains { !$0.isNaN }, "both kinds of window occur")

        // Ceil mode on odd sizes adds windows hanging over the edge: the general path, as torch.
        var e = Tensor((0..<25).map(Float.init), shape: [1, 1, 5, 5]); e.requiresGrad = true
        let ce = Tensor.maxPool2d(e, kernel: (2, 2), ceilMode: true)
        XCTAssertEqual(ce.shape, [1, 1, 3, 3])
        XCTAssertEqual(ce.toArray(), [6, 8, 9, 16, 18, 19, 21, 23, 24])
        ce.sum().backward()
        XCTAssertEqual(e.grad!.toArray().enumerated().filter { $0.element == 1 }.map(\.offset), [6, 8, 9, 16, 18, 19, 21, 23, 24])
    }

    func testAvgPoolHandComputed() {
        let include = Tensor.avgPool2d(grid(), kernel: (3, 3), stride: (2, 2), padding: (1, 1))
        assertClose(include.toArray(), [1.7777777910232544, 3.6666667461395264, 3.1111111640930176, 7.666666507720947, 13.0,
                                        9.666666984558105, 8.44444465637207, 13.666666984558105, 9.777777671813965], rtol: 0, atol: 0)
        let exclude = Tensor.avgPool2d(grid(), kernel: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false)
        XCTAssertEqual(exclude.toArray(), [4, 5.5, 7, 11.5, 13, 14.5, 19, 20.5, 22])
        XCTAssertEqual(Tensor.avgPool2d(grid(), kernel: (2, 2), ceilMode: true).toArray(),
                       [4, 6, 7.5, 14, 16, 17.5, 21.5, 23.5, 25])
        // Ceil mode with padding: windows are clipped at input + padding for the divisor.
        XCTAssertEqual(Tensor.avgPool2d(grid(), kernel: (2, 2), padding: (1, 1), ceilMode: true).toArray(),
                       [0.25, 1.25, 2.25, 4.25, 10, 12, 9.25, 20, 22])
        XCTAssertEqual(Tensor.avgPool2d(grid(), kernel: (3, 3), stride: (2, 2), divisorOverride: 2).toArray(),
                       [31.5, 40.5, 76.5, 85.5])
    }

    func testAvgPoolGradients() {
        var x = grid(requiresGrad: true)
        Tensor.avgPool2d(x, kernel: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false).sum().backward()
        assertClose(x.grad!.toArray(), [0.25, 0.4166666865348816, 0.1666666716337204, 0.4166666865348816, 0.25,
                                        0.4166666865348816, 0.694444477558136, 0.2777777910232544, 0.694444477558136,
                                        0.4166666865348816, 0.1666666716337204, 0.2777777910232544, 0.1111111119389534,
                                        0.2777777910232544, 0.1666666716337204, 0.4166666865348816, 0.694444477558136,
                                        0.2777777910232544, 0.694444477558136, 0.4166666865348816, 0.25, 0.4166666865348816,
                                        0.1666666716337204, 0.4166666865348816, 0.25], rtol: 1e-6, atol: 0)
        x = grid(requiresGrad: true)
        Tensor.avgPool2d(x, kernel: (2, 2), padding: (1, 1), ceilMode: true).sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [Float](repeating: 0.25, count: 25))
    }

    func testAdaptiveAvgPoolHandComputed() {
        let x = grid(requiresGrad: true)
        let y = Tensor.adaptiveAvgPool2d(x, outputSize: (3, 2))
        XCTAssertEqual(y.toArray(), [4.5, 6.5, 12, 14, 19.5, 21.5])
        y.sum().backward()
        assertClose(x.grad!.toArray(), [0.1666666716337204, 0.1666666716337204, 0.3333333432674408, 0.1666666716337204,
                                        0.1666666716337204, 0.2777777910232544, 0.2777777910232544, 0.5555555820465088,
                                        0.2777777910232544, 0.2777777910232544, 0.1111111119389534, 0.1111111119389534,
                                        0.2222222238779068, 0.1111111119389534, 0.1111111119389534, 0.2777777910232544,
                                        0.2777777910232544, 0.5555555820465088, 0.2777777910232544, 0.2777777910232544,
                                        0.1666666716337204, 0.1666666716337204, 0.3333333432674408, 0.1666666716337204,
                                        0.1666666716337204], rtol: 1e-6, atol: 0)
        // Output size 1 is global average pooling; equal sizes are the identity.
        let z = testTensor([2, 3, 4, 5])
        assertClose(Tensor.adaptiveAvgPool2d(z, outputSize: (1, 1)).toArray(), z.mean(axes: [2, 3]).toArray())
        XCTAssertEqual(Tensor.adaptiveAvgPool2d(z, outputSize: (4, 5)).toArray(), z.toArray())
    }

    func testUnbatchedAndNonContiguousInputs() {
        let x = testTensor([2, 3, 7, 6], seed: 4)
        let xt = x.permuted([0, 1, 3, 2])
        XCTAssertEqual(Tensor.maxPool2d(xt, kernel: (2, 3)).toArray(),
                       Tensor.maxPool2d(xt.contiguousCopy(), kernel: (2, 3)).toArray())
        let x3 = testTensor([3, 7, 6], seed: 5)
        let batched = Tensor.avgPool2d(x3.unsqueezed(0), kernel: (3, 2), stride: (2, 2), padding: (1, 1))
        let unbatched = Tensor.avgPool2d(x3, kernel: (3, 2), stride: (2, 2), padding: (1, 1))
        XCTAssertEqual(unbatched.shape, [3, 4, 4])
        XCTAssertEqual(unbatched.toArray(), batched.toArray())
        XCTAssertEqual(Tensor.maxPool2d(x3, kernel: (2, 2)).shape, [3, 3, 3])
        XCTAssertEqual(Tensor.adaptiveAvgPool2d(x3, outputSize: (2, 4)).shape, [3, 2, 4])
    }

    func testFiniteDifferenceGradients() {
        let x = spreadTensor([2, 2, 7, 6])
        let maxConfigs: [(k: (Int, Int), s: (Int, Int)?, p: (Int, Int), d: (Int, Int), ceil: Bool)] = [
            ((2, 2), nil, (0, 0), (1, 1), false), ((3, 2), (2, 1), (1, 1), (1, 2), true), ((3, 3), (2, 2), (1, 0), (2, 1), false),
        ]
        for (i, c) in maxConfigs.enumerated() {
            let mix = testTensor(Tensor.maxPool2d(x, kernel: c.k, stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil).shape,
                                 seed: UInt64(i + 1))
            gradCheck([x], "maxPool2d config \(i)") { t in
                (Tensor.maxPool2d(t[0], kernel: c.k, stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil) * mix).sum()
            }
        }
        let avgConfigs: [(k: (Int, Int), s: (Int, Int)?, p: (Int, Int), ceil: Bool, incl: Bool, div: Int?)] = [
            ((2, 2), nil, (0, 0), false, true, nil), ((3, 2), (2, 1), (1, 1), true, false, nil),
            ((3, 3), (2, 2), (1, 1), true, true, nil), ((2, 3), (1, 2), (1, 0), false, true, 5),
        ]
        for (i, c) in avgConfigs.enumerated() {
            let f = { (t: Tensor) in
                Tensor.avgPool2d(t, kernel: c.k, stride: c.s, padding: c.p, ceilMode: c.ceil, countIncludePad: c.incl, divisorOverride: c.div)
            }
            let mix = testTensor(f(x).shape, seed: UInt64(i + 10))
            gradCheck([x], "avgPool2d config \(i)") { t in (f(t[0]) * mix).sum() }
        }
        for (i, size) in [(3, 2), (7, 6), (4, 5), (1, 1)].enumerated() {
            let mix = testTensor([2, 2, size.0, size.1], seed: UInt64(i + 20))
            gradCheck([x], "adaptiveAvgPool2d \(size)") { t in (Tensor.adaptiveAvgPool2d(t[0], outputSize: size) * mix).sum() }
        }
    }

    func testLargeInputsMatchSmallPlaneByPlaneResults() {
        // Overlapping 4x4 windows give 2.8M window visits, enough to split planes across threads;
        // each plane must equal the single-plane result.
        var x = testTensor([2, 64, 40, 40], seed: 6); x.requiresGrad = true
        let y = Tensor.maxPool2d(x, kernel: (4, 4), stride: (1, 1))
        let a = Tensor.avgPool2d(x, kernel: (4, 4), stride: (1, 1))
        XCTAssertEqual(y.shape, [2, 64, 37, 37])
        let gy = testTensor(y.shape, seed: 7)
        (y * gy + a * gy).sum().backward()
        for p in [0, 63, 64, 127] {
            let n = p / 64, c = p % 64
            var plane = x.detach()[n][c].unsqueezed(0).unsqueezed(0)
            plane.requiresGrad = true
            let py = Tensor.maxPool2d(plane, kernel: (4, 4), stride: (1, 1))
            let pa = Tensor.avgPool2d(plane, kernel: (4, 4), stride: (1, 1))
            XCTAssertEqual(py.toArray(), y.detach()[n][c].toArray())
            XCTAssertEqual(pa.toArray(), a.detach()[n][c].toArray())
            let g = gy[n][c].unsqueezed(0).unsqueezed(0)
            (py * g + pa * g).sum().backward()
            XCTAssertEqual(plane.grad!.toArray(), x.grad![n][c].toArray())
        }
    }
}
