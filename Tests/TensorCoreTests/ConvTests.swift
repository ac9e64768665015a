import XCTest
@testable import TensorCore
import CairnTestSupport

/// Direct-loop conv2d in Double: forward output and the gradients for a given output gradient.
private struct ReferenceConv {
    let n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow: Int

    init(input: [Int], weight: [Int], stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int) {
        (n, cin, h, w) = (input[0], input[1], input[2], input[3])
        (cout, kh, kw) = (weight[0], weight[2], weight[3])
        (sh, sw) = stride; (ph, pw) = padding; (dh, dw) = dilation
        self.groups = groups
        oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1
        ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1
    }

    /// Calls `body(outIndex, inIndex, weightIndex, co)` for every multiply of the convolution.
    func forEachTap(_ body: (Int, Int, Int, Int) -> Void) {
        let cg = cin / groups, og = cout / groups
        for b in 0..<n {
            for co in 0..<cout {
                let g = co / og
                for y in 0..<oh {
                    for x in 0..<ow {
                        let o = ((b * cout + co) * oh + y) * ow + x
                        for ci in 0..<cg {
                            for ki in 0..<kh {
                                for kj in 0..<kw {
                                    let iy = y * sh - ph + ki * dh, ix = x * sw - pw + kj * dw
                                    if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                                    let c = g * cg + ci
                                    body(o, ((b * cin + c) * h + iy) * w + ix, ((co * cg + ci) * kh + ki) * kw + kj, co)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    func forward(_ x: [Float], _ wt: [Float], _ bias: [Float]?) -> [Float] {
        var out = [Double](repeating: 0, count: n * cout * oh * ow)
        for o in 0..<out.count { out[o] = Double(bias?[(o / (oh * ow)) % cout] ?? 0) }
        forEachTap { o, i, k, _ in out[o] += Double(x[i]) * Double(wt[k]) }
        return out.map { Float($0) }
    }

    func backward(_ x: [Float], _ wt: [Float], _ gout: [Float]) -> (input: [Float], weight: [Float], bias: [Float]) {
        var gi = [Double](repeating: 0, count: x.count), gw = [Double](repeating: 0, count: wt.count)
        var gb = [Double](repeating: 0, count: cout)
        for o in 0..<gout.count { gb[(o / (oh * ow)) % cout] += Double(gout[o]) }
        forEachTap { o, i, k, _ in
            gi[i] += Double(wt[k]) * Double(gout[o])
            gw[k] += Double(x[i]) * Double(gout[o])
        }
        return (gi.map { Float($0) }, gw.map { Float($0) }, gb.map { Float($0) })
    }
}

final class ConvTests: XCTestCase {
    func testHandComputedOutput() {
        let x = Tensor((1...9).map(Float.init), shape: [1, 1, 3, 3])
        let w = Tensor([1, 0, 0, 1], shape: [1, 1, 2, 2])
        let y = Tensor.conv2d(x, weight: w, bias: Tensor([0.5]))
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.toArray(), [6.5, 8.5, 12.5, 14.5])

        // Padding 1, stride 2: the corners see one, two or four taps of an all-ones 3x3 kernel.
        let ones = Tensor(repeating: 1, shape: [1, 1, 3, 3])
        let z = Tensor.conv2d(x, weight: ones, bias: nil, stride: (2, 2), padding: (1, 1))
        XCTAssertEqual(z.shape, [1, 1, 2, 2])
        XCTAssertEqual(z.toArray(), [12, 16, 24, 28] as [Float])  // 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9
    }

    func testHandComputedGradients() {
        var x = Tensor((1...9).map(Float.init), shape: [1, 1, 3, 3]); x.requiresGrad = true
        var w = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2]); w.requiresGrad = true
        var b = Tensor([0]); b.requiresGrad = true
        Tensor.conv2d(x, weight: w, bias: b).sum().backward()
        // Each input pixel collects the kernel taps whose windows cover it.
        XCTAssertEqual(x.grad?.toArray(), [1, 3, 2, 4, 10, 6, 3, 7, 4])
        // Each weight tap sums the 2x2 block of inputs it slides over.
        XCTAssertEqual(w.grad?.toArray(), [12, 16, 24, 28])
        XCTAssertEqual(b.grad?.toArray(), [4])
    }

    /// Stride, padding, dilation, groups, bias and batch chunking against the Double reference.
    func testMatchesDirectReferenceAcrossConfigurations() {
        struct Case { let input: [Int], weight: [Int], stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int, bias: Bool }
        let cases = [
            Case(input: [2, 3, 7, 6], weight: [4, 3, 3, 3], stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1, bias: true),
            Case(input: [2, 3, 7, 6], weight: [4, 3, 3, 2], stride: (2, 1), padding: (1, 2), dilation: (1, 1), groups: 1, bias: false),
            Case(input: [3, 2, 9, 8], weight: [3, 2, 3, 3], stride: (2, 3), padding: (2, 1), dilation: (2, 2), groups: 1, bias: true),
            Case(input: [2, 4, 6, 6], weight: [6, 2, 3, 3], stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 2, bias: true),
            Case(input: [2, 4, 8, 7], weight: [4, 1, 3, 3], stride: (2, 2), padding: (1, 0), dilation: (1, 2), groups: 4, bias: false),
            Case(input: [1, 1, 5, 5], weight: [2, 1, 5, 5], stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1, bias: true),
            // One input channel, stride 1, unpadded: the direct kernels (rectangular, several images).
            Case(input: [3, 1, 10, 9], weight: [4, 1, 3, 4], stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1, bias: true),
            Case(input: [5, 1, 30, 30], weight: [3, 1, 5, 5], stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1, bias: false),
            Case(input: [3, 2, 4, 4], weight: [2, 2, 1, 1], stride: (3, 3), padding: (0, 0), dilation: (1, 1), groups: 1, bias: true),
            Case(input: [2, 1, 3, 3], weight: [1, 1, 3, 3], stride: (1, 1), padding: (4, 4), dilation: (3, 3), groups: 1, bias: false),
        ]
        for (ci, c) in cases.enumerated() {
            let ref = ReferenceConv(input: c.input, weight: c.weight, stride: c.stride, padding: c.padding,
                                    dilation: c.dilation, groups: c.groups)
            let xv = testValues(c.input.reduce(1, *), seed: UInt64(10 + ci))
            let wv = testValues(c.weight.reduce(1, *), seed: UInt64(20 + ci))
            let bv = c.bias ? testValues(c.weight[0], seed: UInt64(30 + ci)) : nil
            let gv = testValues(ref.n * ref.cout * ref.oh * ref.ow, seed: UInt64(40 + ci))
            let expected = ref.forward(xv, wv, bv)
            let grads = ref.backward(xv, wv, gv)
            let perImage = c.weight[1] * c.groups * c.weight[2] * c.weight[3] * ref.oh * ref.ow
            // Whole batch in one chunk (columns cached for backward), one image per chunk, and two.
            for budget in [Tensor.convColumnBudget, perImage, 2 * perImage] {
                let label = "case \(ci) budget \(budget)"
                var x = Tensor(xv, shape: c.input); x.requiresGrad = true
                var w = Tensor(wv, shape: c.weight); w.requiresGrad = true
                var b = bv.map { Tensor($0) }
                b?.requiresGrad = true
                let y = Tensor.conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding,
                                      dilation: c.dilation, groups: c.groups, columnBudget: budget)
                XCTAssertEqual(y.shape, [ref.n, ref.cout, ref.oh, ref.ow], label)
                assertClose(y.toArray(), expected, rtol: 1e-5, atol: 1e-5, "\(label) output")
                y.backward(Tensor(gv, shape: y.shape))
                assertClose(x.grad!.toArray(), grads.input, rtol: 1e-5, atol: 1e-5, "\(label) grad input")
                assertClose(w.grad!.toArray(), grads.weight, rtol: 1e-5, atol: 1e-5, "\(label) grad weight")
                if let b { assertClose(b.grad!.toArray(), grads.bias, rtol: 1e-5, atol: 1e-5, "\(label) grad bias") }
            }
        }
    }

    func testCachedColumnsSurviveASecondBackward() {
        // Columns kept from forward (one buffer per chunk here) must not be overwritten by the
        // input gradient's scratch: back-propagating twice gives exactly twice the gradients.
        var x = testTensor([3, 2, 6, 6], seed: 11); x.requiresGrad = true
        var w = testTensor([4, 2, 3, 3], seed: 12); w.requiresGrad = true
        let gout = testTensor([3, 4, 4, 4], seed: 13)
        let y = Tensor.conv2d(x, weight: w, bias: nil, stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1,
                              columnBudget: 2 * 18 * 16)
        y.backward(gout, retainGraph: true)
        let once = (x.grad!.toArray(), w.grad!.toArray())
        y.backward(gout)
        XCTAssertEqual(x.grad!.toArray(), once.0.map { $0 * 2 })
        XCTAssertEqual(w.grad!.toArray(), once.1.map { $0 * 2 })
    }

    func testOnlyRequestedGradientsAreComputed() {
        // Input without grad (first layer): the weight gradient alone must still be right.
        let x = testTensor([2, 2, 5, 5], seed: 3)
        var w = testTensor([3, 2, 3, 3], seed: 4); w.requiresGrad = true
        let gout = testTensor([2, 3, 3, 3], seed: 5)
        Tensor.conv2d(x, weight: w, bias: nil).backward(gout)
        let ref = ReferenceConv(input: x.shape, weight: w.shape, stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1)
        assertClose(w.grad!.toArray(), ref.backward(x.toArray(), w.toArray(), gout.toArray()).weight, "weight only")

        // Weight without grad: only the input gradient flows.
        var x2 = x; x2.requiresGrad = true
        Tensor.conv2d(x2, weight: w.detach(), bias: nil).backward(gout)
        assertClose(x2.grad!.toArray(), ref.backward(x.toArray(), w.toArray(), gout.toArray()).input, "input only")

        // Nothing requires grad: no graph is recorded.
        XCTAssertFalse(Tensor.conv2d(x, weight: w.detach(), bias: nil).requiresGrad)
        XCTAssertFalse(GradMode.noGrad { Tensor.conv2d(x, weight: w, bias: nil) }.requiresGrad)
    }

    func testUnbatchedInputMatchesBatched() {
        let x = testTensor([3, 6, 5], seed: 7), w = testTensor([2, 3, 2, 2], seed: 8), b = testTensor([2], seed: 9)
        let y3 = Tensor.conv2d(x, weight: w, bias: b, padding: (1, 0))
        let y4 = Tensor.conv2d(x.unsqueezed(0), weight: w, bias: b, padding: (1, 0))
        XCTAssertEqual(y3.shape, [2, 7, 4])
        XCTAssertEqual(y3.toArray(), y4.toArray())
        gradCheck([x, w, b], "unbatched conv2d") { t in
            (Tensor.conv2d(t[0], weight: t[1], bias: t[2], padding: (1, 0)) * testTensor([2, 7, 4], seed: 10)).sum()
        }
    }

    func testNonContiguousInputAndWeight() {
        let xt = testTensor([2, 6, 5, 3], seed: 11).permuted([0, 3, 1, 2])  // [2, 3, 6, 5], strided
        let wt = testTensor([2, 3, 3, 4], seed: 12).transposed(0, 3)           // [4, 3, 3, 2], strided
        XCTAssertFalse(xt.isContiguous)
        let y = Tensor.conv2d(xt, weight: wt, bias: nil, padding: (1, 1))
        let yc = Tensor.conv2d(xt.contiguousCopy(), weight: wt.contiguousCopy(), bias: nil, padding: (1, 1))
        XCTAssertEqual(y.toArray(), yc.toArray())
    }

    func testFiniteDifferenceGradients() {
        let configs: [(stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int)] = [
            ((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 1), (1, 1), 1), ((1, 2), (2, 1), (2, 1), 2),
        ]
        for (i, c) in configs.enumerated() {
            let x = testTensor([2, 2, 6, 5], seed: UInt64(50 + i))
            let w = testTensor([2, 2 / c.groups, 3, 2], seed: UInt64(60 + i))
            let b = testTensor([2], seed: UInt64(70 + i))
            let y0 = Tensor.conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
            let mix = testTensor(y0.shape, seed: UInt64(80 + i))
            gradCheck([x, w, b], "conv2d config \(i)") { t in
                (Tensor.conv2d(t[0], weight: t[1], bias: t[2], stride: c.stride, padding: c.padding,
                               dilation: c.dilation, groups: c.groups) * mix).sum()
            }
        }
    }

    func testBatchOfZeroImages() {
        var w = testTensor([3, 2, 3, 3]); w.requiresGrad = true
        let y = Tensor.conv2d(Tensor(zeros: [0, 2, 5, 5]), weight: w, bias: testTensor([3]))
        XCTAssertEqual(y.shape, [0, 3, 3, 3])
        y.sum().backward()
        XCTAssertEqual(w.grad?.toArray(), [Float](repeating: 0, count: 54))
    }

    func testLeNetSizedLayersMatchReference() {
        // The benchmark's layer shapes (smaller batch), where the batched GEMM and cached columns kick in.
        for (ishape, wshape) in [([4, 1, 28, 28], [16, 1, 5, 5]), ([4, 16, 12, 12], [32, 16, 5, 5])] {
            let xv = testValues(ishape.reduce(1, *), seed: 90), wv = testValues(wshape.reduce(1, *), seed: 91)
            let bv = testValues(wshape[0], seed: 92)
            let ref = ReferenceConv(input: ishape, weight: wshape, stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1)
            var x = Tensor(xv, shape: ishape); x.requiresGrad = true
            var w = Tensor(wv, shape: wshape); w.requiresGrad = true
            var b = Tensor(bv); b.requiresGrad = true
            let y = Tensor.conv2d(x, weight: w, bias: b)
            assertClose(y.toArray(), ref.forward(xv, wv, bv), rtol: 1e-5, atol: 1e-5, "\(wshape) output")
            let gv = testValues(y.count, seed: 93)
            y.backward(Tensor(gv, shape: y.shape))
            let g = ref.backward(xv, wv, gv)
            assertClose(x.grad!.toArray(), g.input, rtol: 1e-5, atol: 1e-5, "\(wshape) grad input")
            assertClose(w.grad!.toArray(), g.weight, rtol: 1e-5, atol: 1e-4, "\(wshape) grad weight")
            assertClose(b.grad!.toArray(), g.bias, rtol: 1e-5, atol: 1e-4, "\(wshape) grad bias")
        }
    }

    func testSmallOutputWeightGradientMatchesReference() {
        // Few outputs over many pixels: the weight gradient goes to the register-blocked kernel (odd
        // output sizes, 420 pixels per image, not a multiple of 16), whole batch and two chunks, groups.
        for (ishape, wshape, groups) in [([12, 3, 23, 21], [5, 3, 3, 2], 1), ([12, 4, 23, 21], [6, 2, 3, 2], 2)] {
            let ref = ReferenceConv(input: ishape, weight: wshape, stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: groups)
            XCTAssertEqual(ref.oh * ref.ow, 420)
            let xv = testValues(ishape.reduce(1, *), seed: 94), wv = testValues(wshape.reduce(1, *), seed: 95)
            let gv = testValues(ref.n * ref.cout * ref.oh * ref.ow, seed: 96)
            let g = ref.backward(xv, wv, gv)
            let perImage = ishape[1] * wshape[2] * wshape[3] * 420
            for budget in [Tensor.convColumnBudget, 6 * perImage] {
                var x = Tensor(xv, shape: ishape); x.requiresGrad = true
                var w = Tensor(wv, shape: wshape); w.requiresGrad = true
                let y = Tensor.conv2d(x, weight: w, bias: nil, stride: (1, 1), padding: (0, 0), dilation: (1, 1),
                                      groups: groups, columnBudget: budget)
                y.backward(Tensor(gv, shape: y.shape))
                assertClose(w.grad!.toArray(), g.weight, rtol: 1e-5, atol: 1e-4, "\(wshape) budget \(budget) grad weight")
                assertClose(x.grad!.toArray(), g.input, rtol: 1e-5, atol: 1e-5, "\(wshape) budget \(budget) grad input")
            }
        }
        XCTAssertTrue(Kernels.prefersSmallOutputGemm(m: 5, n: 18, k: 12 * 420, segment: 420))
        XCTAssertFalse(Kernels.prefersSmallOutputGemm(m: 64, n: 400, k: 4096, segment: 64))
    }
}
