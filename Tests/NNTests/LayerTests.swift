import Foundation
import XCTest
import TensorCore
import CairnTestSupport
@testable import NN

/// Compares a layer's analytic gradients (input and every parameter) of L = Σ layer(x)·w, for a
/// fixed random w, with central differences of the same loss.
private func checkLayerGradients(_ m: Module, _ x: Tensor, eps: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 2e-3,
                                 _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    let floatInput = x.dtype == .float32
    var xl = x.detach()
    if floatInput { xl.requiresGrad = true }
    m.zeroGrad()
    let y = m(xl)
    let w = testTensor(y.shape, seed: 4242)
    (y * w).sum().backward()
    let params = m.namedParameters()
    XCTAssertTrue(floatInput || !params.isEmpty, "\(name): nothing to check", file: file, line: line)
    let analyticParams = params.map { $0.1.grad?.toArray() }
    func loss(_ input: Tensor) -> Double { GradMode.noGrad { Double((m(input) * w).sum().item) } }
    /// Central differences of `lossAt` as each element of `base` moves by ±eps.
    func numeric(_ base: [Float], _ lossAt: ([Float]) -> Double) -> [Float] {
        (0..<base.count).map { i in
            var v = base
            v[i] = base[i] + eps
            let fp = lossAt(v)
            v[i] = base[i] - eps
            let fm = lossAt(v)
            return Float((fp - fm) / Double(2 * eps))
        }
    }
    if floatInput {
        let num = numeric(x.toArray()) { v in loss(Tensor(v, shape: x.shape)) }
        assertClose(xl.grad?.toArray() ?? [], num, rtol: rtol, atol: atol, "\(name): input gradient", file: file, line: line)
    }
    for ((key, p), analytic) in zip(params, analyticParams) {
        guard let analytic else {
            XCTFail("\(name): no gradient for parameter \(key)", file: file, line: line)
            continue
        }
        let shape = p.value.shape, base = p.value.toArray()
        let num = numeric(base) { v in
            p.value = Tensor(v, shape: shape)
            return loss(x)
        }
        p.value = Tensor(base, shape: shape)
        assertClose(analytic, num, rtol: rtol, atol: atol, "\(name): gradient of \(key)", file: file, line: line)
    }
}

final class LayerTests: XCTestCase {
    // MARK: - Gradient checks

    func testLinearGradients() {
        var rng = RandomGenerator(seed: 1)
        checkLayerGradients(Linear(5, 3, rng: &rng), testTensor([4, 5]), "Linear")
        checkLayerGradients(Linear(5, 3, bias: false, rng: &rng), testTensor([2, 3, 5], seed: 2), "Linear 3-d, no bias")
    }

    func testConv2dGradients() {
        var rng = RandomGenerator(seed: 2)
        let conv = Conv2d(4, 6, kernelSize: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (1, 2), groups: 2, rng: &rng)
        checkLayerGradients(conv, testTensor([2, 4, 5, 6], seed: 3), "Conv2d grouped")
        checkLayerGradients(Conv2d(2, 3, kernelSize: 3, padding: 1, bias: false, rng: &rng), testTensor([1, 2, 4, 4], seed: 4),
                            "Conv2d no bias")
    }

    func testBatchNormGradientsInEveryMode() {
        let x2 = testTensor([3, 2, 3, 2], seed: 5, scale: 2) + 0.5
        let x1 = testTensor([6, 3], seed: 6, scale: 2)
        func randomized(_ bn: BatchNorm) -> BatchNorm {
            bn.weight = bn.weight.map { _ in testTensor([bn.numFeatures], seed: 7) + 1 }
            bn.bias = bn.bias.map { _ in testTensor([bn.numFeatures], seed: 8) }
            bn.runningMean = bn.runningMean.map { _ in testTensor([bn.numFeatures], seed: 9, scale: 0.5) }
            bn.runningVar = bn.runningVar.map { _ in testTensor([bn.numFeatures], seed: 10, scale: 0.4) + 1 }
            return bn
        }
        checkLayerGradients(randomized(BatchNorm2d(2)), x2, "BatchNorm2d train")
        checkLayerGradients(randomized(BatchNorm1d(3)), x1, "BatchNorm1d train [N, C]")
        checkLayerGradients(randomized(BatchNorm1d(2, affine: false)), testTensor([3, 2, 4], seed: 11), "BatchNorm1d no affine")
        checkLayerGradients(randomized(BatchNorm2d(2, bias: false)), x2, "BatchNorm2d no bias")
        let eval = randomized(BatchNorm2d(2))
        eval.eval()
        checkLayerGradients(eval, x2, "BatchNorm2d eval")
        let frozen = randomized(BatchNorm2d(2))
        frozen.freezeStatistics = true
        checkLayerGradients(frozen, x2, "BatchNorm2d frozen")
        let noTrack = randomized(BatchNorm2d(2, trackRunningStats: false))
        noTrack.eval()
        checkLayerGradients(noTrack, x2, "BatchNorm2d no running stats, eval")
    }

    func testLayerNormGradients() {
        let x = testTensor([3, 4, 5], seed: 12, scale: 2) + 0.3
        let ln = LayerNorm(5)
        ln.weight = testTensor([5], seed: 13) + 1
        ln.bias = testTensor([5], seed: 14)
        checkLayerGradients(ln, x, "LayerNorm last dim")
        let ln2 = LayerNorm([4, 5])
        ln2.weight = testTensor([4, 5], seed: 15) + 1
        checkLayerGradients(ln2, x, "LayerNorm last two dims")
        checkLayerGradients(LayerNorm(5, elementwiseAffine: false), x, "LayerNorm no affine")
        XCTAssertEqual(LayerNorm(5, bias: false).stateDict().keys, ["weight"])
    }

    func testEmbeddingGradientsAccumulateAndSkipPadding() {
        var rng = RandomGenerator(seed: 3)
        let idx = Tensor(indices: [1, 2, 1, 5, 2, 0], shape: [2, 3])
        // Without padding the gradient is the true derivative; the padding row's is zero by definition.
        checkLayerGradients(Embedding(6, 3, rng: &rng), idx, "Embedding")
        let emb = Embedding(6, 3, paddingIdx: 2, rng: &rng)
        XCTAssertEqual(Array(emb.weight.toArray()[6..<9]), [0, 0, 0], "the padding row starts at zero")
        let y = emb(idx)
        XCTAssertEqual(y.shape, [2, 3, 3])
        y.backward(Tensor(repeating: 1, shape: [2, 3, 3]))
        let g = emb.$weight.grad!.toArray()
        XCTAssertEqual(Array(g[3..<6]), [2, 2, 2], "row 1 is used twice")
        XCTAssertEqual(Array(g[6..<9]), [0, 0, 0], "the padding row gets no gradient")
        XCTAssertEqual(Array(g[9..<12]), [0, 0, 0], "row 3 is unused")
        XCTAssertEqual(Array(g[15..<18]), [1, 1, 1])
        XCTAssertEqual(Array(y.toArray()[3..<6]), Array(emb.weight.toArray()[6..<9]))
    }

    func testActivationGradients() {
        let layers: [(String, Module)] = [
            ("ReLU", ReLU()), ("LeakyReLU", LeakyReLU(negativeSlope: 0.2)), ("GELU", GELU()),
            ("GELU tanh", GELU(approximate: "tanh")), ("SiLU", SiLU()), ("Sigmoid", Sigmoid()), ("Tanh", Tanh()),
            ("Softmax", Softmax(dim: 1)), ("LogSoftmax", LogSoftmax(dim: 0)), ("Identity", Identity()),
            ("Flatten", Flatten()),
        ]
        // Values away from the ReLU kink so finite differences are valid.
        let x = Tensor(testValues(12, seed: 16).map { $0 + ($0 >= 0 ? 0.1 : -0.1) }, shape: [3, 4])
        for (name, layer) in layers {
            gradCheck([x], name) { a in (layer(a[0]) * testTensor([3, 4], seed: 17)).sum() }
        }
    }

    func testPoolingGradients() {
        let x = testTensor([1, 2, 5, 5], seed: 18)
        let pools: [(String, Module)] = [
            ("MaxPool2d", MaxPool2d(kernelSize: 3, stride: 2, padding: 1)),
            ("AvgPool2d", AvgPool2d(kernelSize: 2)),
            ("AvgPool2d exclude pad", AvgPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false)),
            ("AdaptiveAvgPool2d", AdaptiveAvgPool2d(outputSize: (2, 3))),
        ]
        for (name, pool) in pools {
            gradCheck([x], eps: 1e-3, name) { a in (pool(a[0]) * testTensor(pool(x).shape, seed: 19)).sum() }
        }
        XCTAssertEqual(MaxPool2d(kernelSize: 2)(x).shape, [1, 2, 2, 2])
        XCTAssertEqual(AdaptiveAvgPool2d(outputSize: 1)(x).shape, [1, 2, 1, 1])
    }

    // MARK: - Initialization

    func testInitIsDeterministicAndWithinPyTorchBounds() {
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let c1 = Conv2d(4, 8, kernelSize: (3, 3), groups: 2, rng: &a)
        let c2 = Conv2d(4, 8, kernelSize: (3, 3), groups: 2, rng: &b)
        XCTAssertEqual(c1.weight.shape, [8, 2, 3, 3])
        XCTAssertEqual(c1.weight.toArray(), c2.weight.toArray())
        XCTAssertEqual(c1.bias!.toArray(), c2.bias!.toArray())
        let bound = 1 / Float(2 * 3 * 3).squareRoot()
        XCTAssertTrue(c1.weight.toArray().allSatisfy { abs($0) <= bound })
        XCTAssertTrue(c1.bias!.toArray().allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(c1.weight.toArray().map(abs).max()!, bound * 0.8, "uses the whole range")
        let lin = Linear(16, 4, rng: &a)
        XCTAssertTrue(lin.weight.toArray().allSatisfy { abs($0) <= 0.25 } && lin.bias!.toArray().allSatisfy { abs($0) <= 0.25 })
        XCTAssertNotEqual(lin.weight.toArray(), Linear(16, 4, rng: &a).weight.toArray())
        let emb = Embedding(50, 8, paddingIdx: -1, rng: &a)
        XCTAssertEqual(emb.paddingIdx, 49)
        let w = emb.weight.toArray()
        XCTAssertEqual(Array(w[(49 * 8)...]), [Float](repeating: 0, count: 8))
        let mean = w.reduce(0, +) / Float(w.count)
        let sd = (w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(w.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.15)
        XCTAssertEqual(sd, 1, accuracy: 0.15)
    }

    // MARK: - BatchNorm behaviour

    private func channelStats(_ x: Tensor, c: Int) -> (mean: [Double], biased: [Double], unbiased: [Double]) {
        let v = x.toArray(), n = x.shape[0], s = x.count / (n * c)
        var mean = [Double](repeating: 0, count: c), biased = mean, unbiased = mean
        for ch in 0..<c {
            var vals: [Double] = []
            for b in 0..<n { for i in 0..<s { vals.append(Double(v[(b * c + ch) * s + i])) } }
            let m = vals.reduce(0, +) / Double(vals.count)
            let ss = vals.map { ($0 - m) * ($0 - m) }.reduce(0, +)
            mean[ch] = m
            biased[ch] = ss / Double(vals.count)
            unbiased[ch] = ss / Double(vals.count - 1)
        }
        return (mean, biased, unbiased)
    }

    func testBatchNormTrainingUsesBatchStatsAndUpdatesRunningStatsLikePyTorch() {
        let x = testTensor([4, 3, 5, 5], seed: 20, scale: 2) + 1
        let bn = BatchNorm2d(3)
        let y = bn(x)
        let (m, _, u) = channelStats(x, c: 3)
        let (ym, yv, _) = channelStats(y, c: 3)
        for ch in 0..<3 {
            XCTAssertEqual(ym[ch], 0, accuracy: 1e-5)
            XCTAssertEqual(yv[ch], 1, accuracy: 1e-3)
        }
        assertClose(bn.runningMean!.toArray(), m.map { Float(0.1 * $0) }, "running_mean")
        assertClose(bn.runningVar!.toArray(), u.map { Float(0.9 + 0.1 * $0) }, "running_var uses the unbiased variance")
        XCTAssertEqual(bn.numBatchesTracked!.dtype, .int64)
        XCTAssertEqual(bn.numBatchesTracked!.shape, [])
        XCTAssertEqual(bn.numBatchesTracked!.toInt64Array(), [1])
        XCTAssertEqual(bn.stateDict().keys, ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
        XCTAssertEqual(bn.stateDict()["num_batches_tracked"]!.dtype, .int64)

        // Evaluation normalizes with the running statistics and changes nothing.
        bn.eval()
        let before = bn.stateDict()
        let ye = bn(x).toArray()
        let rm = bn.runningMean!.toArray(), rv = bn.runningVar!.toArray(), xv = x.toArray()
        let expected = xv.indices.map { i -> Float in
            let ch = (i / 25) % 3
            return (xv[i] - rm[ch]) / (rv[ch] + 1e-5).squareRoot()
        }
        assertClose(ye, expected, "eval output")
        for (k, t) in bn.stateDict() { XCTAssertEqual(t.toArray(), before[k]!.toArray(), "eval changed \(k)") }
    }

    func testBatchNormCumulativeAverageWithoutMomentum() {
        let bn = BatchNorm1d(2, momentum: nil)
        let a = testTensor([5, 2], seed: 21), b = testTensor([5, 2], seed: 22, scale: 3) + 1
        _ = bn(a)
        _ = bn(b)
        let sa = channelStats(a, c: 2), sb = channelStats(b, c: 2)
        assertClose(bn.runningMean!.toArray(), (0..<2).map { Float((sa.mean[$0] + sb.mean[$0]) / 2) }, "running_mean")
        assertClose(bn.runningVar!.toArray(), (0..<2).map { Float((sa.unbiased[$0] + sb.unbiased[$0]) / 2) }, "running_var")
        XCTAssertEqual(bn.numBatchesTracked!.toInt64Array(), [2])
        XCTAssertEqual(bn.extraDescription, "2, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True")
    }

    func testFrozenBatchNormStatisticsKeepBuffersAndMatchEval() {
        let x = testTensor([4, 3, 2, 2], seed: 23) + 0.5
        let model = Sequential(BatchNorm2d(3), ReLU())
        let bn = model[0] as! BatchNorm2d
        bn.runningMean = Tensor([0.1, -0.2, 0.3])
        bn.runningVar = Tensor([0.5, 1.5, 2])
        bn.weight = Tensor([1.5, 0.5, -1])
        model.eval()
        let evalOut = model(x).toArray()
        model.train()
        model.freezeBatchNormStatistics()
        XCTAssertTrue(bn.freezeStatistics && bn.training)
        var xl = x
        xl.requiresGrad = true
        let y = model(xl)
        XCTAssertEqual(y.toArray(), evalOut)
        XCTAssertEqual(bn.runningMean!.toArray(), [0.1, -0.2, 0.3])
        XCTAssertEqual(bn.runningVar!.toArray(), [0.5, 1.5, 2])
        XCTAssertEqual(bn.numBatchesTracked!.toInt64Array(), [0])
        y.sum().backward()
        XCTAssertNotNil(bn.$weight?.grad, "affine parameters still train")
        model.freezeBatchNormStatistics(false)
        _ = model(x)
        XCTAssertEqual(bn.numBatchesTracked!.toInt64Array(), [1])
    }

    func testBatchNormWithoutRunningStatsUsesBatchStatsInEval() {
        let x = testTensor([4, 2, 3], seed: 24)
        let bn = BatchNorm1d(2, trackRunningStats: false)
        XCTAssertEqual(bn.stateDict().keys, ["weight", "bias"])
        let train = bn(x).toArray()
        bn.eval()
        XCTAssertEqual(bn(x).toArray(), train)
        XCTAssertEqual(BatchNorm2d(3, affine: false).stateDict().keys, ["running_mean", "running_var", "num_batches_tracked"])
        XCTAssertEqual(BatchNorm2d(3, bias: false).stateDict().keys,
                       ["weight", "running_mean", "running_var", "num_batches_tracked"])
    }

    // MARK: - Dropout

    func testDropoutIsIdentityInEvalAndWhenPIsZero() {
        var rng = RandomGenerator(seed: 5)
        let d = Dropout(p: 0.5, rng: &rng)
        let x = testTensor([3, 4], seed: 25)
        d.eval()
        XCTAssertEqual(d(x).toArray(), x.toArray())
        let state = d.rng
        d.train()
        XCTAssertEqual(Dropout(p: 0, rng: &rng)(x).toArray(), x.toArray())
        XCTAssertEqual(Dropout(p: 1, rng: &rng)(x).toArray(), [Float](repeating: 0, count: 12))
        XCTAssertEqual(d.rng, state, "eval draws nothing")
    }

    func testDropoutMaskComesFromItsGeneratorAndScalesSurvivors() {
        let x = testTensor([50, 40], seed: 26) + 2
        let d1 = Dropout(p: 0.3, generator: RandomGenerator(seed: 11))
        let d2 = Dropout(p: 0.3, generator: RandomGenerator(seed: 11))
        var xl = x
        xl.requiresGrad = true
        let y1 = d1(xl)
        XCTAssertEqual(y1.toArray(), d2(x).toArray(), "same generator state, same mask")
        var g = RandomGenerator(seed: 11)
        let mask = g.bernoulliMask(x.shape, keepProbability: 0.7).toArray()
        XCTAssertEqual(d1.rng, g, "one draw per element")
        let scale: Float = 1 / (1 - 0.3)
        let xv = x.toArray(), yv = y1.toArray()
        for i in xv.indices { XCTAssertEqual(yv[i], xv[i] * (mask[i] * scale)) }
        let dropped = Float(mask.filter { $0 == 0 }.count) / Float(mask.count)
        XCTAssertEqual(dropped, 0.3, accuracy: 0.03)
        y1.sum().backward()
        XCTAssertEqual(xl.grad!.toArray(), mask.map { $0 * scale })
        XCTAssertNotEqual(d1(x).toArray(), y1.toArray(), "the generator advances")
        XCTAssertEqual(d1.extraDescription, "p=0.3, inplace=False")
    }

    func testDropoutLayersBuiltFromOneGeneratorAreIndependent() {
        var rng = RandomGenerator(seed: 12)
        let a = Dropout(p: 0.5, rng: &rng), b = Dropout(p: 0.5, rng: &rng)
        let x = Tensor(repeating: 1, shape: [64])
        XCTAssertNotEqual(a(x).toArray(), b(x).toArray())
    }

    func testSharedDropoutGeneratorDrawsInCallOrder() {
        var rng = RandomGenerator(seed: 13)
        let model = Sequential(Dropout(p: 0.5, rng: &rng), Linear(6, 6, rng: &rng), Dropout(p: 0.25, rng: &rng))
        let own = [(model[0] as! Dropout).rng, (model[2] as! Dropout).rng]
        let x = testTensor([2, 6], seed: 27)
        var stream = RandomGenerator(seed: 99, stream: 5)
        let y = model.withDropoutGenerator(&stream) { model(x) }
        var manual = RandomGenerator(seed: 99, stream: 5)
        let m1 = manual.bernoulliMask([2, 6], keepProbability: 0.5)
        let h = (model[1] as! Linear)(x * (m1 * 2))
        let m2 = manual.bernoulliMask([2, 6], keepProbability: 0.75)
        assertClose(y, h * (m2 * (1 / Float(0.75))), "shared stream masks")
        XCTAssertEqual(stream, manual, "the caller's generator advanced by both masks")
        XCTAssertEqual([(model[0] as! Dropout).rng, (model[2] as! Dropout).rng], own, "own generators untouched")
        XCTAssertNil((model[0] as! Dropout).shared)
    }

    // MARK: - Shapes, keys and descriptions

    func testFlattenAndShapes() {
        let x = testTensor([2, 3, 4, 5])
        XCTAssertEqual(Flatten()(x).shape, [2, 60])
        XCTAssertEqual(Flatten(startDim: 1, endDim: 2)(x).shape, [2, 12, 5])
        XCTAssertEqual(Flatten(startDim: 0)(x).shape, [120])
        var rng = RandomGenerator(seed: 4)
        XCTAssertEqual(Conv2d(3, 5, kernelSize: 3, stride: 2, padding: 1, rng: &rng)(x.slice(axis: 3, 0..<4)).shape, [2, 5, 2, 2])
        XCTAssertEqual(Conv2d(3, 5, kernelSize: 3, rng: &rng)(testTensor([3, 4, 4])).shape, [5, 2, 2], "unbatched")
    }

    /// The model printed by PyTorch 2.13 below (its `repr`, `state_dict()` keys and parameter count
    /// were copied from a Python session).
    private func allLayersModel() -> Sequential {
        var rng = RandomGenerator(seed: 6)
        return Sequential(
            Conv2d(3, 8, kernelSize: 3, padding: 1, rng: &rng), BatchNorm2d(8), ReLU(), MaxPool2d(kernelSize: 2),
            Conv2d(8, 8, kernelSize: (3, 3), stride: (2, 2), dilation: (2, 2), groups: 2, bias: false, rng: &rng),
            AvgPool2d(kernelSize: 2), AdaptiveAvgPool2d(outputSize: (2, 2)), Flatten(), Linear(32, 16, rng: &rng),
            BatchNorm1d(16, momentum: nil, affine: false), LayerNorm(16), GELU(approximate: "tanh"), Dropout(p: 0.25, rng: &rng),
            Linear(16, 4, bias: false, rng: &rng), LeakyReLU(negativeSlope: 0.2), SiLU(), Sigmoid(), Tanh(), Identity(),
            Softmax(dim: 1), LogSoftmax(dim: -1), Embedding(10, 4, paddingIdx: -1, rng: &rng))
    }

    func testStateDictKeysMatchPyTorch() {
        let m = allLayersModel()
        XCTAssertEqual(m.stateDict().keys, [
            "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "4.weight", "8.weight", "8.bias", "9.running_mean", "9.running_var", "9.num_batches_tracked",
            "10.weight", "10.bias", "13.weight", "21.weight",
        ])
        XCTAssertEqual(m.namedParameters().map { $0.0 }, [
            "0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "8.weight", "8.bias", "10.weight", "10.bias",
            "13.weight", "21.weight",
        ])
        XCTAssertEqual(m.stateDict()["1.num_batches_tracked"]!.dtype, .int64)
        XCTAssertEqual(m.stateDict()["9.num_batches_tracked"]!.shape, [])
        XCTAssertEqual(m.stateDict()["4.weight"]!.shape, [8, 4, 3, 3])
        XCTAssertEqual(m.parameterCount, 1152 + 40)
        // A state dict round-trips through strict loading into a freshly built model.
        let copy = allLayersModel()
        XCTAssertTrue(try copy.load(stateDict: m.stateDict()).isClean)
    }

    func testDescriptionMatchesPyTorchRepr() {
        let m = allLayersModel()
        XCTAssertEqual(m.description, """
        Sequential(
          (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
          (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
          (2): ReLU()
          (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
          (4): Conv2d(8, 8, kernel_size=(3, 3), stride=(2, 2), dilation=(2, 2), groups=2, bias=False)
          (5): AvgPool2d(kernel_size=2, stride=2, padding=0)
          (6): AdaptiveAvgPool2d(output_size=(2, 2))
          (7): Flatten(start_dim=1, end_dim=-1)
          (8): Linear(in_features=32, out_features=16, bias=True)
          (9): BatchNorm1d(16, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=True)
          (10): LayerNorm((16,), eps=1e-05, elementwise_affine=True, bias=True)
          (11): GELU(approximate='tanh')
          (12): Dropout(p=0.25, inplace=False)
          (13): Linear(in_features=16, out_features=4, bias=False)
          (14): LeakyReLU(negative_slope=0.2)
          (15): SiLU()
          (16): Sigmoid()
          (17): Tanh()
          (18): Identity()
          (19): Softmax(dim=1)
          (20): LogSoftmax(dim=-1)
          (21): Embedding(10, 4, padding_idx=9)
        )
        """)
        XCTAssertEqual(MaxPool2d(kernelSize: (3, 3), stride: (1, 1)).description,
                       "MaxPool2d(kernel_size=(3, 3), stride=(1, 1), padding=0, dilation=1, ceil_mode=False)")
        XCTAssertEqual(AdaptiveAvgPool2d(outputSize: 1).description, "AdaptiveAvgPool2d(output_size=1)")
        XCTAssertEqual(BatchNorm1d(3, eps: 1e-3, trackRunningStats: false).description,
                       "BatchNorm1d(3, eps=0.001, momentum=0.1, affine=True, bias=True, track_running_stats=False)")
        XCTAssertEqual(LayerNorm([5, 6], elementwiseAffine: false).description,
                       "LayerNorm((5, 6), eps=1e-05, elementwise_affine=False, bias=False)")
        // Nested containers indent their children's lines.
        XCTAssertEqual(Sequential(Sequential(ReLU()), Tanh()).description,
                       "Sequential(\n  (0): Sequential(\n    (0): ReLU()\n  )\n  (1): Tanh()\n)")
    }

    func testSummaryCountsParameters() {
        var rng = RandomGenerator(seed: 7)
        let m = Sequential(Linear(784, 512, rng: &rng), ReLU(), Linear(512, 10, rng: &rng))
        (m[2] as! Linear).$weight.requiresGrad = false
        let s = m.summary()
        XCTAssertTrue(s.hasPrefix("Sequential(\n  (0): Linear(in_features=784, out_features=512, bias=True)\n  (1): ReLU()\n"))
        XCTAssertTrue(s.hasSuffix("Total params: 407,050\nTrainable params: 401,930\nNon-trainable params: 5,120"), s)
        XCTAssertEqual(m.trainableParameterCount, 401_930)
        XCTAssertEqual(PyRepr.grouped(999), "999")
        XCTAssertEqual(PyRepr.grouped(1000), "1,000")
        XCTAssertEqual(PyRepr.float(0.001), "0.001")
        XCTAssertEqual(PyRepr.float(1), "1.0")
    }
}
