import XCTest
import TensorCore
import CairnTestSupport
import NN

final class LossTests: XCTestCase {
    // Reference values below come from PyTorch 2.13 (F.cross_entropy etc.) on the same inputs.
    let logits = Tensor([1, 2, 3, 1, 1, 1, 0.5, -1, 2], shape: [3, 3])
    let labels = Tensor(indices: [2, 0, 1])
    let classWeight = Tensor([1, 2, 0.5])

    // MARK: - Cross-entropy, hand-checked values

    func testCrossEntropyHandValues() {
        // Row 0: log(e + e² + e³) − 3; row 1: log 3; row 2 by the same formula.
        let row0 = Float(Foundation.log(exp(1.0) + exp(2.0) + exp(3.0)) - 3)
        let none = Loss.crossEntropy(logits, labels, reduction: .none)
        XCTAssertEqual(none.shape, [3])
        assertClose(none.toArray(), [row0, Float(Foundation.log(3.0)), 3.2413113], "none")
        assertClose([Loss.crossEntropy(logits, labels).item], [1.58251], "mean")
        assertClose([Loss.crossEntropy(logits, labels, reduction: .sum).item], [1.58251 * 3], "sum")
    }

    func testCrossEntropyWeightedMeanDividesByTargetWeights() {
        let none = Loss.crossEntropy(logits, labels, weight: classWeight, reduction: .none)
        assertClose(none.toArray(), [0.20380297, 1.0986123, 6.4826226], "weighted none")
        let mean = Loss.crossEntropy(logits, labels, weight: classWeight).item
        // Normalizer is w[2] + w[0] + w[1] = 0.5 + 1 + 2, not the row count.
        assertClose([mean], [none.toArray().reduce(0, +) / 3.5], "weighted mean")
        assertClose([mean], [2.2242966])
    }

    func testCrossEntropyIgnoreIndex() {
        let t = Tensor(indices: [2, -100, 1])
        let none = Loss.crossEntropy(logits, t, reduction: .none).toArray()
        XCTAssertEqual(none[1], 0)
        let mean = Loss.crossEntropy(logits, t).item
        assertClose([mean], [(none[0] + none[2]) / 2], "mean over the two kept rows")
        // An ignore index inside the class range masks that class's targets.
        let masked = Loss.crossEntropy(logits, labels, ignoreIndex: 0, reduction: .none).toArray()
        XCTAssertEqual(masked[1], 0)
        XCTAssertGreaterThan(masked[0], 0)
    }

    func testCrossEntropyAllIgnoredIsNaNWithZeroGradient() {
        for eps: Float in [0, 0.1] {
            var x = logits
            x.requiresGrad = true
            let loss = Loss.crossEntropy(x, Tensor(indices: [-100, -100, -100]), labelSmoothing: eps)
            XCTAssertTrue(loss.item.isNaN, "PyTorch returns NaN (0/0) when every target is ignored")
            loss.backward()
            XCTAssertEqual(x.grad?.toArray(), [Float](repeating: 0, count: 9))
            XCTAssertEqual(Loss.crossEntropy(logits, Tensor(indices: [-100, -100, -100]), reduction: .sum).item, 0)
        }
    }

    func testCrossEntropyZeroTotalWeightIsNaN() {
        var x = logits
        x.requiresGrad = true
        let loss = Loss.crossEntropy(x, Tensor(indices: [0, 0, 1]), weight: Tensor([0, 0, 1]))
        XCTAssertTrue(loss.item.isNaN)
        loss.backward()
        XCTAssertTrue(x.grad!.toArray().allSatisfy { $0.isNaN }, "PyTorch's gradient is NaN too")
    }

    func testCrossEntropyLabelSmoothing() {
        assertClose([Loss.crossEntropy(logits, labels, labelSmoothing: 0.2).item], [1.5491767], "smoothing")
        // (1−ε)·nll + ε/C·Σ_c −log p_c, from the composed definition.
        let logp = logits.logSoftmax(axis: 1).toArray()
        var expected: [Float] = []
        for (i, t) in [2, 0, 1].enumerated() {
            let row = logp[(i * 3)..<(i * 3 + 3)]
            expected.append(0.8 * -row[i * 3 + t] + 0.2 / 3 * -row.reduce(0, +))
        }
        assertClose(Loss.crossEntropy(logits, labels, labelSmoothing: 0.2, reduction: .none).toArray(), expected)
    }

    func testCrossEntropyCombinedOptions() {
        let t = Tensor(indices: [2, -100, 1])
        assertClose([Loss.crossEntropy(logits, t, weight: classWeight, labelSmoothing: 0.2).item], [2.5068886])
        assertClose(Loss.crossEntropy(logits, t, weight: classWeight, labelSmoothing: 0.2, reduction: .none).toArray(),
                    [0.5248171, 0, 5.742404])
    }

    func testCrossEntropyProbabilityTargetsMatchOneHot() {
        let oneHot = Tensor.oneHot(labels, numClasses: 3)
        for red in Reduction.allCases {
            for eps: Float in [0, 0.3] {
                assertClose(Loss.crossEntropy(logits, oneHot, labelSmoothing: eps, reduction: red),
                            Loss.crossEntropy(logits, labels, labelSmoothing: eps, reduction: red), "\(red) ε=\(eps)")
            }
        }
        // With class weights, probability targets divide the mean by N (not Σw), as PyTorch does.
        let weighted = Loss.crossEntropy(logits, oneHot, weight: classWeight).item
        let perRow = Loss.crossEntropy(logits, labels, weight: classWeight, reduction: .none).toArray()
        assertClose([weighted], [perRow.reduce(0, +) / 3])
    }

    func testCrossEntropySoftTargetsValue() {
        let p = Tensor([0.2, 0.3, 0.5, 1, 0, 0, 0.25, 0.25, 0.5], shape: [3, 3])
        let logp = logits.logSoftmax(axis: 1).toArray()
        let pv = p.toArray()
        let rows = (0..<3).map { i in -(0..<3).reduce(Float(0)) { $0 + pv[i * 3 + $1] * logp[i * 3 + $1] } }
        assertClose(Loss.crossEntropy(logits, p, reduction: .none).toArray(), rows)
        assertClose([Loss.crossEntropy(logits, p).item], [rows.reduce(0, +) / 3])
    }

    func testCrossEntropySpatialMatchesFlattened() {
        // [N, C, H, W] with [N, H, W] targets equals the [N·H·W, C] problem.
        let x = testTensor([2, 4, 3, 2], seed: 7, scale: 2)
        let t = Tensor(indices: [0, 3, 1, 2, -100, 1, 2, 2, 0, 3, 1, 0], shape: [2, 3, 2])
        let flatX = x.permuted([0, 2, 3, 1]).reshaped([12, 4])
        let flatT = t.reshaped([12])
        let w = Tensor([0.5, 1.5, 1, 2])
        for red in Reduction.allCases {
            let a = Loss.crossEntropy(x, t, weight: w, labelSmoothing: 0.1, reduction: red)
            let b = Loss.crossEntropy(flatX, flatT, weight: w, labelSmoothing: 0.1, reduction: red)
            assertClose(a.toArray(), b.toArray(), "\(red)")
            XCTAssertEqual(a.shape, red == .none ? [2, 3, 2] : [])
        }
    }

    func testCrossEntropyUnbatched() {
        let x = Tensor([1, 2, 3])
        let loss = Loss.crossEntropy(x, Tensor(int64: [2], shape: []), reduction: .none)
        XCTAssertEqual(loss.shape, [])
        assertClose([loss.item], [0.40760595])
        assertClose([Loss.crossEntropy(x, Tensor(int64: [1], shape: []), labelSmoothing: 0.3, reduction: .none).item],
                    [1.4076059])
        XCTAssertTrue(Loss.nllLoss(Tensor([-1, -2, -3]), Tensor(int64: [-100], shape: [])).item.isNaN)
    }

    func testCrossEntropyAcceptsInt32Targets() {
        let t32 = Tensor(indices: [2, 0, 1]).to(.int32)
        XCTAssertEqual(t32.dtype, .int32)
        assertClose(Loss.crossEntropy(logits, t32, weight: classWeight), Loss.crossEntropy(logits, labels, weight: classWeight))
    }

    func testCrossEntropyEmptyBatch() {
        let x = Tensor(zeros: [0, 3])
        let t = Tensor(indices: [])
        XCTAssertTrue(Loss.crossEntropy(x, t).item.isNaN)
        XCTAssertEqual(Loss.crossEntropy(x, t, reduction: .sum).item, 0)
        XCTAssertEqual(Loss.crossEntropy(x, t, reduction: .none).shape, [0])
        XCTAssertTrue(Loss.crossEntropy(x, Tensor(zeros: [0, 3])).item.isNaN, "probability targets too")
    }

    func testCrossEntropyIsStableForLargeLogits() {
        let x = Tensor([1000, 0, -1000, 500, 500, 500], shape: [2, 3])
        let loss = Loss.crossEntropy(x, Tensor(indices: [0, 1]), reduction: .none).toArray()
        assertClose(loss, [0, Float(Foundation.log(3.0))])
    }

    func testCrossEntropyPropagatesNaN() {
        let x = Tensor([1, .nan, 3, 1, 1, 1], shape: [2, 3])
        let loss = Loss.crossEntropy(x, Tensor(indices: [0, 1]), reduction: .none).toArray()
        XCTAssertTrue(loss[0].isNaN)
        XCTAssertFalse(loss[1].isNaN, "other rows are unaffected")
        XCTAssertTrue(Loss.crossEntropy(x, Tensor(indices: [0, 1])).item.isNaN)
        XCTAssertFalse(Loss.crossEntropy(x, Tensor(indices: [0, 1])).item.isFinite, "the trainer's isFinite check sees it")
    }

    // MARK: - Fused backward against the composed definition

    func testFusedCrossEntropyGradientMatchesComposition() {
        let x = testTensor([5, 4], seed: 3, scale: 2)
        let t = Tensor(indices: [3, -100, 0, 1, 3])
        let w = Tensor([0.7, 1.3, 0.9, 2.0])
        let eps: Float = 0.15
        let upstream = testTensor([5], seed: 4)
        for red in Reduction.allCases {
            var a = x, b = x
            a.requiresGrad = true
            b.requiresGrad = true
            let fused = Loss.crossEntropy(a, t, weight: w, labelSmoothing: eps, reduction: red)
            XCTAssertEqual(fused.gradNode?.op, "cross_entropy", "one fused node, not a composition")
            // Composed reference: per-row (1−ε)·w_t·(−log p_t) + ε/C·Σ_c w_c·(−log p_c), masked.
            let keep = Tensor([1, 0, 1, 1, 1], shape: [5, 1])
            let onehot = Tensor.oneHot(Tensor(indices: [3, 0, 0, 1, 3]), numClasses: 4) * keep
            let logp = b.logSoftmax(axis: 1)
            let nll = -(logp * onehot * w).sum(axis: 1)
            let smooth = -(logp * w * keep).sum(axis: 1)
            let rows = nll * (1 - eps) + smooth * (eps / 4)
            let composed: Tensor
            switch red {
            case .none: composed = rows
            case .sum: composed = rows.sum()
            case .mean: composed = rows.sum() / (onehot * w).sum()
            }
            assertClose(fused, composed, "\(red) forward")
            if red == .none {
                (fused * upstream).sum().backward()
                (composed * upstream).sum().backward()
            } else {
                fused.backward()
                composed.backward()
            }
            assertClose(a.grad!, b.grad!, "\(red) gradient")
        }
    }

    // MARK: - gradCheck for every loss and option

    func testCrossEntropyGradCheck() {
        let x = testTensor([4, 3], seed: 11, scale: 2)
        let t = Tensor(indices: [2, 0, -100, 1])
        let upstream = testTensor([4], seed: 12)
        for red in Reduction.allCases {
            for weight in [nil, classWeight] {
                for eps: Float in [0, 0.25] {
                    gradCheck([x], "CE \(red) w=\(weight != nil) ε=\(eps)") { v in
                        let l = Loss.crossEntropy(v[0], t, weight: weight, labelSmoothing: eps, reduction: red)
                        return red == .none ? (l * upstream).sum() : l
                    }
                }
            }
        }
    }

    func testCrossEntropySpatialGradCheck() {
        let x = testTensor([2, 3, 2, 2], seed: 13)
        let t = Tensor(indices: [0, 2, 1, 1, 2, -100, 0, 1], shape: [2, 2, 2])
        gradCheck([x], "CE 4-d") { v in Loss.crossEntropy(v[0], t, weight: self.classWeight, labelSmoothing: 0.1) }
        gradCheck([x], "CE 4-d none") { v in Loss.crossEntropy(v[0], t, reduction: .none).sum() }
    }

    func testCrossEntropyProbabilityTargetGradCheck() {
        let x = testTensor([3, 4], seed: 14, scale: 2)
        let p = Tensor([0.1, 0.2, 0.3, 0.4, 0, 1, 0, 0, 0.25, 0.25, 0.25, 0.25], shape: [3, 4])
        let w = Tensor([1, 0.5, 2, 1.5])
        for red in Reduction.allCases {
            gradCheck([x, p], "CE probabilities \(red)") { v in
                Loss.reduce(Loss.crossEntropy(v[0], v[1], weight: w, labelSmoothing: 0.2, reduction: red), .sum)
            }
        }
    }

    func testNLLGradCheck() {
        let x = testTensor([4, 3], seed: 15)
        let t = Tensor(indices: [1, 2, 2, -100])
        for red in Reduction.allCases {
            for weight in [nil, classWeight] {
                gradCheck([x], "NLL \(red) w=\(weight != nil)") { v in
                    Loss.reduce(Loss.nllLoss(v[0], t, weight: weight, reduction: red), .sum)
                }
            }
        }
    }

    func testRegressionGradCheck() {
        let x = testTensor([3, 4], seed: 16), y = testTensor([3, 4], seed: 17)
        for red in Reduction.allCases {
            gradCheck([x, y], "MSE \(red)") { v in Loss.reduce(Loss.mseLoss(v[0], v[1], reduction: red), .sum) }
            gradCheck([x, y], "L1 \(red)") { v in Loss.reduce(Loss.l1Loss(v[0], v[1], reduction: red), .sum) }
        }
    }

    func testBCEWithLogitsGradCheck() {
        let x = testTensor([3, 4], seed: 18, scale: 3)
        let t = Tensor([0, 1, 0.25, 1, 0, 0.75, 1, 0, 0.5, 1, 1, 0], shape: [3, 4])
        let w = testTensor([3, 4], seed: 19).abs() + 0.5
        let pw = Tensor([0.5, 2, 3, 1])
        for red in Reduction.allCases {
            for (weight, posWeight) in [(nil, nil), (w, nil), (nil, pw), (w, pw)] as [(Tensor?, Tensor?)] {
                gradCheck([x, t], "BCE \(red) w=\(weight != nil) pw=\(posWeight != nil)") { v in
                    Loss.reduce(Loss.binaryCrossEntropyWithLogits(v[0], v[1], weight: weight, posWeight: posWeight,
                                                                  reduction: red), .sum)
                }
            }
        }
    }

    // MARK: - NLL, MSE, L1, BCE values

    func testNLLLossHandValues() {
        let logp = Tensor([-1, -2, -3, -0.5, -1.5, -2.5], shape: [2, 3])
        let t = Tensor(indices: [1, 2])
        assertClose(Loss.nllLoss(logp, t, reduction: .none).toArray(), [2, 2.5])
        assertClose([Loss.nllLoss(logp, t).item], [2.25])
        assertClose([Loss.nllLoss(logp, t, reduction: .sum).item], [4.5])
        // Weighted mean: (2·2 + 0.5·2.5) / (2 + 0.5).
        assertClose([Loss.nllLoss(logp, t, weight: classWeight).item], [5.25 / 2.5])
        assertClose([Loss.nllLoss(logp, t, ignoreIndex: 2).item], [2])
        // nll(log_softmax(x)) is cross-entropy.
        assertClose(Loss.nllLoss(logits.logSoftmax(axis: 1), labels, weight: classWeight, reduction: .none),
                    Loss.crossEntropy(logits, labels, weight: classWeight, reduction: .none))
    }

    func testMSEAndL1HandValues() {
        let x = Tensor([1, 2, 3, 4], shape: [2, 2]), y = Tensor([1, 0, 5, 3.5], shape: [2, 2])
        assertClose(Loss.mseLoss(x, y, reduction: .none).toArray(), [0, 4, 4, 0.25])
        assertClose([Loss.mseLoss(x, y).item], [8.25 / 4])
        assertClose([Loss.mseLoss(x, y, reduction: .sum).item], [8.25])
        assertClose(Loss.l1Loss(x, y, reduction: .none).toArray(), [0, 2, 2, 0.5])
        assertClose([Loss.l1Loss(x, y).item], [1.125])
        assertClose([Loss.l1Loss(x, y, reduction: .sum).item], [4.5])
        // Broadcast target, as PyTorch (with its warning) allows.
        assertClose([Loss.mseLoss(Tensor(repeating: 1, shape: [3, 2]), Tensor([0, 0])).item], [1])
        XCTAssertTrue(Loss.mseLoss(Tensor(zeros: [0]), Tensor(zeros: [0])).item.isNaN, "mean of nothing")
    }

    func testL1GradientIsZeroWhereEqual() {
        var x = Tensor([1, 2, 3])
        x.requiresGrad = true
        Loss.l1Loss(x, Tensor([1, 0, 5]), reduction: .sum).backward()
        XCTAssertEqual(x.grad?.toArray(), [0, 1, -1])
    }

    func testBCEWithLogitsHandValuesAndStability() {
        let x = Tensor([-100, -3, 0, 2, 50]), t = Tensor([0, 0.3, 1, 1, 0])
        let loss = Loss.binaryCrossEntropyWithLogits(x, t, reduction: .none).toArray()
        assertClose(loss, [0, 0.9485874, 0.6931472, 0.12692802, 50])
        XCTAssertTrue(loss.allSatisfy { $0.isFinite }, "large |x| must not overflow")
        let pw = Loss.binaryCrossEntropyWithLogits(Tensor([0.5, -1], shape: [1, 2]), Tensor([1, 0.25], shape: [1, 2]),
                                                   posWeight: Tensor([3, 2]), reduction: .none)
        assertClose(pw.toArray(), [1.422231, 0.89157724])
        let w = Tensor([2, 0.5])
        let weighted = Loss.binaryCrossEntropyWithLogits(x.slice(axis: 0, 1..<3), t.slice(axis: 0, 1..<3), weight: w)
        assertClose([weighted.item], [(0.9485874 * 2 + 0.6931472 * 0.5) / 2])
        XCTAssertTrue(Loss.binaryCrossEntropyWithLogits(Tensor([.nan, 1]), Tensor([0, 1])).item.isNaN)
    }

    func testBCEWithLogitsGradientForSaturatedLogits() {
        // σ(x) − t must not cancel to 0 in float32 when σ(x) is tiny (PyTorch gives 9.3576e-14, 0).
        for posWeight in [nil, Tensor([2, 2])] {
            var x = Tensor([-30, 30])
            x.requiresGrad = true
            Loss.binaryCrossEntropyWithLogits(x, Tensor([0, 1]), posWeight: posWeight, reduction: .sum).backward()
            assertClose(x.grad!.toArray(), [Float(exp(-30.0)), 0], rtol: 1e-4, atol: 0)
        }
    }

    // MARK: - Module-style wrappers

    func testWrappersMatchFunctions() {
        let t = Tensor(indices: [2, -100, 1])
        let ce = CrossEntropyLoss(weight: classWeight, labelSmoothing: 0.1, reduction: .sum)
        assertClose(ce(logits, t), Loss.crossEntropy(logits, t, weight: classWeight, labelSmoothing: 0.1, reduction: .sum))
        let nll = NLLLoss(ignoreIndex: 1, reduction: .none)
        assertClose(nll(logits, labels), Loss.nllLoss(logits, labels, ignoreIndex: 1, reduction: .none))
        let y = testTensor([3, 3], seed: 5)
        assertClose(MSELoss()(logits, y), Loss.mseLoss(logits, y))
        assertClose(L1Loss(reduction: .sum)(logits, y), Loss.l1Loss(logits, y, reduction: .sum))
        let p = (y + 1) / 2
        let bce = BCEWithLogitsLoss(posWeight: Tensor([1, 2, 3]), reduction: .none)
        assertClose(bce(logits, p), Loss.binaryCrossEntropyWithLogits(logits, p, posWeight: Tensor([1, 2, 3]), reduction: .none))
        XCTAssertEqual(CrossEntropyLoss().ignoreIndex, -100)
        XCTAssertEqual(CrossEntropyLoss().reduction, .mean)
    }

    func testReductionRawValuesMatchPyTorch() {
        XCTAssertEqual(Reduction(rawValue: "mean"), .mean)
        XCTAssertEqual(Reduction(rawValue: "sum"), .sum)
        XCTAssertEqual(Reduction(rawValue: "none"), Reduction.none)
    }
}
