import XCTest
@testable import TensorCore
import CairnTestSupport

/// gradCheck of `f` reduced against fixed random weights, so every output element gets a
/// different upstream gradient (a plain `.sum()` would hide transposed or permuted gradients).
private func checkOp(_ name: String, _ inputs: [Tensor], eps: Float = 1e-2, file: StaticString = #filePath,
                     line: UInt = #line, _ f: @escaping ([Tensor]) -> Tensor) {
    let probe = GradMode.noGrad { f(inputs.map { $0.detach() }) }
    let w = testTensor(probe.shape, seed: 99)
    gradCheck(inputs, eps: eps, name, file: file, line: line) { t in (f(t) * w).sum() }
}

/// Test values pushed at least 0.1 away from zero, so ±eps never crosses a kink at 0.
private func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    Tensor(testValues(shape.reduce(1, *), seed: seed).map { $0 < 0 ? $0 - 0.1 : $0 + 0.1 }, shape: shape)
}

/// Strictly positive test values in [0.5, 1.5).
private func positive(_ shape: [Int], seed: UInt64) -> Tensor {
    Tensor(testValues(shape.reduce(1, *), seed: seed).map { $0 * 0.5 + 1 }, shape: shape)
}

/// Distinct values on the grid 0.1·k (a shuffled ramp), so max/min never tie within ±eps;
/// adding 0.05 to another such tensor keeps the two apart too.
private func distinct(_ shape: [Int], seed: UInt64) -> Tensor {
    let n = shape.reduce(1, *)
    let keys = testValues(n, seed: seed)
    let order = (0..<n).sorted { keys[$0] < keys[$1] }
    var vals = [Float](repeating: 0, count: n)
    for (rank, i) in order.enumerated() { vals[i] = Float(rank - n / 2) * 0.1 }
    return Tensor(vals, shape: shape)
}

final class AutogradTests: XCTestCase {
    // MARK: graph mechanics

    func testBackwardOnScalarAndExplicitGradient() {
        var x = Tensor([1, 2, 3])
        x.requiresGrad = true
        (x * x).sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [2, 4, 6])
        XCTAssertTrue(x.grad?.isContiguous ?? false)

        var y = Tensor([1, 2, 3])
        y.requiresGrad = true
        let z = y * 3
        z.backward(Tensor([1, 10, 100]))
        XCTAssertEqual(y.grad?.toArray(), [3, 30, 300])
        XCTAssertNil(z.grad, "non-leaf tensors keep no gradient")
        XCTAssertFalse(z.gradNode?.isLeaf ?? true)
        XCTAssertTrue(y.gradNode?.isLeaf ?? false)

        // A leaf itself can be the root.
        var s = Tensor(scalar: 5)
        s.requiresGrad = true
        s.backward()
        XCTAssertEqual(s.grad?.item, 1)
    }

    func testGradientAccumulatesOverTwoBackwardCalls() {
        var x = Tensor([1, -2])
        x.requiresGrad = true
        (x * x).sum().backward()
        (x * 3).sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [2 + 3, -4 + 3])
        x.gradNode?.zeroGrad()
        XCTAssertNil(x.grad)
        x.sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [1, 1])
    }

    func testBackwardFreesTheGraphUnlessRetained() {
        // The relu's saved output lives only in the graph once `h` is gone; backward() frees it, as
        // torch frees saved tensors, so the optimizer can update parameters in place afterwards.
        var x = Tensor([1, -2, 3], shape: [3]); x.requiresGrad = true
        weak var saved: Storage?
        var loss = Tensor(scalar: 0)
        do {
            let h = (x * 2).relu()
            saved = h.storage
            loss = h.sum()
        }
        XCTAssertNotNil(saved, "the graph holds the relu output before backward")
        loss.backward()
        XCTAssertNil(saved, "backward() released the relu output")
        XCTAssertEqual(x.grad?.toArray(), [2, 0, 2])

        // retainGraph keeps it: a second backward accumulates, like retain_graph=True in torch.
        var y = Tensor([1, -2, 3], shape: [3]); y.requiresGrad = true
        let l2 = ((y * 2).relu()).sum()
        l2.backward(retainGraph: true)
        l2.backward()
        XCTAssertEqual(y.grad?.toArray(), [4, 0, 4])
    }

    func testDetachAndRequiresGradToggle() {
        var x = Tensor([2, 3])
        x.requiresGrad = true
        let d = x.detach()
        XCTAssertFalse(d.requiresGrad)
        XCTAssertTrue(d.storage === x.storage, "detach shares the values")
        (x * d).sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [2, 3], "no gradient flows through the detached factor")
        XCTAssertFalse((d * d).requiresGrad)
        var y = x
        y.requiresGrad = false
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(x.requiresGrad)
        // Turning requiresGrad on for an op result makes it a fresh leaf.
        var r = x * 2
        XCTAssertFalse(r.gradNode?.isLeaf ?? true)
        r.requiresGrad = true
        XCTAssertTrue(r.gradNode?.isLeaf ?? false)
    }

    func testNoGradRecordsNothing() {
        var x = Tensor([1, 2])
        x.requiresGrad = true
        XCTAssertTrue(GradMode.isEnabled)
        let y = GradMode.noGrad { () -> Tensor in
            XCTAssertFalse(GradMode.isEnabled)
            let inner = GradMode.noGrad { x * 2 }
            XCTAssertFalse(inner.requiresGrad)
            return (x * x).exp().sum()
        }
        XCTAssertTrue(GradMode.isEnabled)
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue((x * 2).requiresGrad)
        // Leaves stay leaves inside noGrad; only recording stops.
        XCTAssertTrue(GradMode.noGrad { x.requiresGrad })
    }

    func testDiamondGraphSumsBothPaths() {
        var x = Tensor([1.5, -2])
        x.requiresGrad = true
        let y = x * 2
        let z = (y + y * y).sum()  // d/dx = 2 + 2·y·2 = 2 + 8x
        z.backward()
        assertClose(x.grad!.toArray(), [2 + 8 * 1.5, 2 + 8 * -2])
        // Two branches that meet again through different ops.
        var a = Tensor([0.5, 1])
        a.requiresGrad = true
        let b = a.exp(), c = a.tanh()
        (b * c + b - c).sum().backward()
        let av = a.detach().toArray()
        let expected = av.map { v -> Float in
            let e = Foundation.exp(v), t = Foundation.tanh(v), dt = 1 - t * t
            return e * t + e * dt + e - dt
        }
        assertClose(a.grad!.toArray(), expected, rtol: 1e-5)
    }

    func testSameLeafTwiceInOneOp() {
        var x = Tensor([3])
        x.requiresGrad = true
        (x * x * x).sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [27])
        var y = Tensor([2, 5])
        y.requiresGrad = true
        Tensor.concatenate([y, y]).sum().backward()
        XCTAssertEqual(y.grad?.toArray(), [2, 2])
    }

    func testUnusedAndNonGradInputs() {
        var x = Tensor([1, 2])
        x.requiresGrad = true
        var unused = Tensor([5])
        unused.requiresGrad = true
        let c = Tensor([3, 4])
        (x * c).sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [3, 4])
        XCTAssertNil(unused.grad)
        XCTAssertNil(c.grad)
    }

    func testDeepChainDoesNotOverflowTheStack() {
        var x = Tensor([1, 2])
        x.requiresGrad = true
        do {
            var y = x
            for i in 0..<10_000 { y = i % 2 == 0 ? y + 0.5 : y * 1.0 }
            let loss = y.sum()
            loss.backward()
            XCTAssertEqual(x.grad?.toArray(), [1, 1])
            XCTAssertEqual(y.toArray(), [2501, 2502])
        }  // The 10 000-node graph is released here; that must not recurse either.
        do {
            var y = x
            for _ in 0..<50_000 { y = y.relu() }
            y.sum().backward()
        }
        XCTAssertEqual(x.grad?.toArray(), [2, 2])
    }

    func testFloat64LeafGetsFloat64GradientAndAccumulates() {
        var x = Tensor([1, 2]).to(.float64)
        x.requiresGrad = true
        (x.to(.float32) * 3).sum().backward()
        XCTAssertEqual(x.grad?.dtype, .float64)
        XCTAssertEqual(x.grad?.toArray(), [3, 3])
        (x.to(.float32) * 2).sum().backward()
        XCTAssertEqual(x.grad?.dtype, .float64)
        XCTAssertEqual(x.grad?.toArray(), [5, 5])
    }

    func testViewGradientsLandInTheRightPlaces() {
        var x = Tensor((0..<6).map(Float.init), shape: [2, 3])
        x.requiresGrad = true
        (x.T.contiguous() * Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])).sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [1, 3, 5, 2, 4, 6])
        x.gradNode?.zeroGrad()
        x.slice(axis: 1, 1..<3).sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [0, 1, 1, 0, 1, 1])
        x.gradNode?.zeroGrad()
        (x[1] * Tensor([1, 2, 3])).sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [0, 0, 0, 1, 2, 3])
    }

    func testMaxGradientGoesToFirstMaxAndSplitsAllTies() {
        var x = Tensor([1, 3, 3, 0], shape: [2, 2])
        x.requiresGrad = true
        x.max(axis: 1).values.sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [0, 1, 1, 0])
        var y = Tensor([1, 3, 3])
        y.requiresGrad = true
        y.max().backward()
        XCTAssertEqual(y.grad?.toArray(), [0, 0.5, 0.5], "torch.max() splits the gradient among ties")
        var z = Tensor([3, 3, 1])
        z.requiresGrad = true
        z.max(axis: 0).values.backward()
        XCTAssertEqual(z.grad?.toArray(), [1, 0, 0], "max(dim) sends it to the first maximum")
    }

    func testPowZeroAndSqrtAtZeroMatchPyTorch() {
        var x = Tensor([0, 2])
        x.requiresGrad = true
        x.pow(0).sum().backward()
        XCTAssertEqual(x.grad?.toArray(), [0, 0], "PyTorch gives zeros for exponent 0")
        var y = Tensor([0, 4])
        y.requiresGrad = true
        y.sqrt().sum().backward()
        XCTAssertEqual(y.grad?.toArray(), [.infinity, 0.25])
        var r = Tensor([-1, 0, 2])
        r.requiresGrad = true
        r.relu().sum().backward()
        XCTAssertEqual(r.grad?.toArray(), [0, 0, 1])
        var a = Tensor([-1, 0, 2])
        a.requiresGrad = true
        a.abs().sum().backward()
        XCTAssertEqual(a.grad?.toArray(), [-1, 0, 1])
        var c = Tensor([-2, -1, 0.5, 1, 2])
        c.requiresGrad = true
        c.clamp(min: -1, max: 1).sum().backward()
        XCTAssertEqual(c.grad?.toArray(), [0, 1, 1, 1, 0], "clamp passes the gradient at the bounds")
        var m = Tensor([1, 2])
        m.requiresGrad = true
        Tensor.maximum(m, Tensor([1, 1])).sum().backward()
        XCTAssertEqual(m.grad?.toArray(), [0.5, 1], "ties split evenly")
    }

    // MARK: finite differences: element-wise

    func testGradCheckBinaryOpsWithBroadcasting() {
        let pairs: [([Int], [Int])] = [([2, 3], [2, 3]), ([2, 3], [3]), ([3], [2, 3]), ([2, 1], [1, 3]),
                                       ([], [2, 3]), ([2, 3], []), ([4, 1, 3], [2, 1])]
        for (i, (sa, sb)) in pairs.enumerated() {
            let a = testTensor(sa, seed: UInt64(10 + i)), b = testTensor(sb, seed: UInt64(20 + i))
            checkOp("add \(sa) \(sb)", [a, b]) { $0[0] + $0[1] }
            checkOp("sub \(sa) \(sb)", [a, b]) { $0[0] - $0[1] }
            checkOp("mul \(sa) \(sb)", [a, b]) { $0[0] * $0[1] }
            checkOp("div \(sa) \(sb)", [a, positive(sb, seed: UInt64(30 + i))]) { $0[0] / $0[1] }
            checkOp("maximum \(sa) \(sb)", [distinct(sa, seed: 1), distinct(sb, seed: 2) + 0.05]) { Tensor.maximum($0[0], $0[1]) }
            checkOp("minimum \(sa) \(sb)", [distinct(sa, seed: 3), distinct(sb, seed: 4) + 0.05]) { Tensor.minimum($0[0], $0[1]) }
        }
    }

    func testGradCheckScalarVariants() {
        let a = testTensor([2, 3], seed: 40), p = positive([2, 3], seed: 41)
        checkOp("a + s", [a]) { $0[0] + 2 }
        checkOp("s + a", [a]) { 2 + $0[0] }
        checkOp("a - s", [a]) { $0[0] - 2 }
        checkOp("s - a", [a]) { 2 - $0[0] }
        checkOp("a * s", [a]) { $0[0] * -3 }
        checkOp("s * a", [a]) { -3 * $0[0] }
        checkOp("a / s", [a]) { $0[0] / 4 }
        checkOp("s / a", [p]) { 4 / $0[0] }
        checkOp("neg", [a]) { -$0[0] }
    }

    func testGradCheckUnaryOps() {
        let a = testTensor([3, 4], seed: 50, scale: 2)
        let k = awayFromZero([3, 4], seed: 51)
        let p = positive([3, 4], seed: 52)
        checkOp("exp", [a]) { $0[0].exp() }
        checkOp("log", [p]) { $0[0].log() }
        checkOp("sqrt", [p]) { $0[0].sqrt() }
        checkOp("abs", [k]) { $0[0].abs() }
        checkOp("pow 3", [a]) { $0[0].pow(3) }
        checkOp("pow 0.5", [p]) { $0[0].pow(0.5) }
        checkOp("pow -1.5", [p]) { $0[0].pow(-1.5) }
        checkOp("pow 0", [a]) { $0[0].pow(0) }
        checkOp("square", [a]) { $0[0].square() }
        checkOp("relu", [k]) { $0[0].relu() }
        checkOp("leakyRelu", [k]) { $0[0].leakyRelu(0.2) }
        checkOp("sigmoid", [a]) { $0[0].sigmoid() }
        checkOp("tanh", [a]) { $0[0].tanh() }
        checkOp("gelu", [a]) { $0[0].gelu() }
        checkOp("gelu tanh", [a]) { $0[0].gelu(approximate: "tanh") }
        checkOp("silu", [a]) { $0[0].silu() }
        checkOp("clamp", [k * 2]) { $0[0].clamp(min: -0.55, max: 0.65) }
        checkOp("clamp min only", [k]) { $0[0].clamp(min: 0) }
    }

    func testGradCheckWhere() {
        let cond = Tensor([1, 0, 1, 0, 0, 1], shape: [2, 3]) .> 0.5
        checkOp("where", [testTensor([2, 3], seed: 60), testTensor([2, 3], seed: 61)]) { Tensor.where(cond, $0[0], $0[1]) }
        checkOp("where broadcast", [testTensor([3], seed: 62), testTensor([2, 1], seed: 63)]) { Tensor.where(cond, $0[0], $0[1]) }
        let fcond = Tensor([0, 1], shape: [2, 1])
        checkOp("where float cond", [testTensor([2, 3], seed: 64), testTensor([], seed: 65)]) { Tensor.where(fcond, $0[0], $0[1]) }
    }

    // MARK: finite differences: reductions

    func testGradCheckReductions() {
        let x = testTensor([2, 3, 4], seed: 70)
        checkOp("sum all", [x]) { $0[0].sum() }
        checkOp("sum axis 1", [x]) { $0[0].sum(axis: 1) }
        checkOp("sum axes [0, 2] keepDims", [x]) { $0[0].sum(axes: [0, 2], keepDims: true) }
        checkOp("sum axis -1", [x]) { $0[0].sum(axis: -1) }
        checkOp("mean all", [x]) { $0[0].mean() }
        checkOp("mean axis 0", [x]) { $0[0].mean(axis: 0) }
        checkOp("mean axes [1, 2]", [x]) { $0[0].mean(axes: [1, 2]) }
        checkOp("variance all", [x]) { $0[0].variance() }
        checkOp("variance axis 2", [x]) { $0[0].variance(axis: 2) }
        checkOp("variance biased axes", [x]) { $0[0].variance(axes: [0, 1], correction: 0, keepDims: true) }
        checkOp("std axis 1", [x]) { $0[0].std(axis: 1) }
        let d = distinct([2, 3, 4], seed: 71)
        checkOp("max axis 1", [d]) { $0[0].max(axis: 1).values }
        checkOp("max axis -1 keepDims", [d]) { $0[0].max(axis: -1, keepDims: true).values }
        checkOp("min axis 0", [d]) { $0[0].min(axis: 0).values }
        checkOp("max all", [d]) { $0[0].max() }
        checkOp("min all", [d]) { $0[0].min() }
        checkOp("sum of 0-d", [Tensor(scalar: 2)]) { $0[0].sum() }
    }

    func testGradCheckSoftmax() {
        let x = testTensor([2, 3, 4], seed: 80, scale: 2)
        for axis in [0, 1, 2, -1] {
            checkOp("softmax axis \(axis)", [x]) { $0[0].softmax(axis: axis) }
            checkOp("logSoftmax axis \(axis)", [x]) { $0[0].logSoftmax(axis: axis) }
        }
        checkOp("softmax of transposed view", [testTensor([4, 3], seed: 81)]) { $0[0].T.softmax(axis: -1) }
    }

    // MARK: finite differences: matmul and linear

    func testGradCheckMatmul() {
        checkOp("matmul 2-d", [testTensor([3, 4], seed: 90), testTensor([4, 2], seed: 91)]) { $0[0].matmul($0[1]) }
        checkOp("matmul 1-d · 1-d", [testTensor([4], seed: 92), testTensor([4], seed: 93)]) { $0[0].matmul($0[1]) }
        checkOp("matmul 1-d · 2-d", [testTensor([4], seed: 94), testTensor([4, 3], seed: 95)]) { $0[0].matmul($0[1]) }
        checkOp("matmul 2-d · 1-d", [testTensor([3, 4], seed: 96), testTensor([4], seed: 97)]) { $0[0].matmul($0[1]) }
        checkOp("matmul batched broadcast", [testTensor([2, 1, 3, 4], seed: 98), testTensor([3, 4, 2], seed: 99)]) { $0[0].matmul($0[1]) }
        checkOp("matmul batched · 2-d", [testTensor([2, 3, 4], seed: 100), testTensor([4, 2], seed: 101)]) { $0[0].matmul($0[1]) }
        checkOp("matmul 2-d · batched", [testTensor([3, 4], seed: 102), testTensor([2, 4, 2], seed: 103)]) { $0[0].matmul($0[1]) }
        checkOp("matmul 1-d · batched", [testTensor([4], seed: 104), testTensor([2, 4, 3], seed: 105)]) { $0[0].matmul($0[1]) }
        checkOp("matmul transposed views", [testTensor([4, 3], seed: 106), testTensor([2, 4], seed: 107)]) { $0[0].T.matmul($0[1].T) }
        checkOp("matmul batched transposed", [testTensor([2, 4, 3], seed: 108), testTensor([2, 4, 3], seed: 109)]) {
            $0[0].transposed(1, 2).matmul($0[1])
        }
        checkOp("matmul row · col", [testTensor([1, 4], seed: 110), testTensor([4, 1], seed: 111)]) { $0[0].matmul($0[1]) }
        checkOp("matmul col · row", [testTensor([4, 1], seed: 112), testTensor([1, 3], seed: 113)]) { $0[0].matmul($0[1]) }
    }

    func testGradCheckLinear() {
        let w = testTensor([5, 4], seed: 120), b = testTensor([5], seed: 121)
        checkOp("linear 2-d with bias", [testTensor([3, 4], seed: 122), w, b]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        checkOp("linear 2-d without bias", [testTensor([3, 4], seed: 123), w]) { Tensor.linear($0[0], weight: $0[1], bias: nil) }
        checkOp("linear 3-d with bias", [testTensor([2, 3, 4], seed: 124), w, b]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        checkOp("linear 1-d", [testTensor([4], seed: 125), w, b]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        checkOp("linear transposed input", [testTensor([4, 3], seed: 126), w, b]) { Tensor.linear($0[0].T, weight: $0[1], bias: $0[2]) }
        // Only the weight requires grad (frozen input), as in a first layer.
        var wl = w.detach()
        wl.requiresGrad = true
        let x = testTensor([2, 3, 4], seed: 127)
        Tensor.linear(x, weight: wl, bias: nil).sum().backward()
        assertClose(wl.grad!, x.reshaped([6, 4]).sum(axis: 0).unsqueezed(0).expanded(to: [5, 4]), "weight-only gradient")
    }

    // MARK: finite differences: views, joining, indexing, conversion

    func testGradCheckViews() {
        let x = testTensor([2, 3, 4], seed: 130)
        checkOp("reshape", [x]) { $0[0].reshaped([4, 6]) }
        checkOp("reshape of permuted", [x]) { $0[0].permuted([2, 0, 1]).reshaped([-1]) }
        checkOp("view", [x]) { $0[0].view([6, 4]) }
        checkOp("permute", [x]) { $0[0].permuted([1, 2, 0]) }
        checkOp("transpose", [x]) { $0[0].transposed(0, 2) }
        checkOp("T", [testTensor([3, 4], seed: 131)]) { $0[0].T }
        checkOp("expand", [testTensor([3, 1], seed: 132)]) { $0[0].expand([2, 3, 4]) }
        checkOp("slice", [x]) { $0[0].slice(axis: 2, 1..<3) }
        checkOp("slice of transposed", [x]) { $0[0].transposed(0, 1).slice(axis: 0, 1..<3) }
        checkOp("subscript", [x]) { $0[0][1] }
        checkOp("subscript negative", [x]) { $0[0][-1][0] }
        checkOp("squeeze", [testTensor([2, 1, 3], seed: 133)]) { $0[0].squeezed(1) }
        checkOp("unsqueeze", [x]) { $0[0].unsqueezed(1) }
        checkOp("flattened", [x]) { $0[0].flattened(from: 1) }
        checkOp("contiguous", [x]) { $0[0].permuted([2, 1, 0]).contiguous() }
    }

    func testGradCheckJoiningAndIndexing() {
        let a = testTensor([2, 3], seed: 140), b = testTensor([2, 2], seed: 141), c = testTensor([2, 3], seed: 142)
        checkOp("concatenate axis 1", [a, b]) { Tensor.concatenate([$0[0], $0[1]], axis: 1) }
        checkOp("concatenate axis 0", [a, c]) { Tensor.concatenate([$0[0], $0[1].T.contiguous().T], axis: 0) }
        checkOp("stack", [a, c]) { Tensor.stack([$0[0], $0[1]], axis: 1) }
        checkOp("indexSelect with repeats", [a]) { $0[0].indexSelect(axis: 1, indices: [2, 0, 2, 2]) }
        checkOp("indexSelect axis 0", [a]) { $0[0].indexSelect(axis: 0, indices: [1]) }
        let idx = Tensor(indices: [0, 2, 2, 1, 1, 1], shape: [2, 3])
        checkOp("gather axis 1 with repeats", [a]) { $0[0].gather(axis: 1, index: idx) }
        checkOp("gather axis 0", [a]) { $0[0].gather(axis: 0, index: Tensor(indices: [1, 0, 1], shape: [1, 3])) }
        checkOp("to float64 round trip", [a], eps: 1e-2) { $0[0].to(.float64).to(.float32) }
        checkOp("to float64 then op", [a]) { ($0[0].to(.float64).to(.float32) * $0[0]) }
    }
}
