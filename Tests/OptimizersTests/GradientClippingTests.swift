import XCTest
import TensorCore
import NN
import Optimizers
import CairnTestSupport

final class GradientClippingTests: XCTestCase {
    private func pair() -> (Parameter, Parameter) {
        let a = Parameter(Tensor(zeros: [2, 2])), c = Parameter(Tensor(zeros: [3]))
        a.setGrad(Tensor([0.3, -1.2, 2.5, 0.7], shape: [2, 2]))
        c.setGrad(Tensor([-0.4, 1.9, 0.05]))
        return (a, c)
    }

    func testTwoNormMatchesHandComputation() {
        let a = Parameter(Tensor(zeros: [2])), b = Parameter(Tensor(zeros: [1]))
        a.setGrad(Tensor([3, 4])); b.setGrad(Tensor([12]))
        let total = clipGradNorm([a, b], maxNorm: 6.5)
        XCTAssertEqual(total, 13)
        let coef = Float(6.5) / (13 + 1e-6)
        assertClose(a.grad!.toArray(), [3 * coef, 4 * coef], rtol: 1e-7, atol: 0)
        assertClose(b.grad!.toArray(), [12 * coef], rtol: 1e-7, atol: 0)
    }

    func testMatchesTorchForSeveralNormTypes() {
        // torch 2.13: clip_grad_norm_([a, c], 1.5, norm_type=p) on the gradients of `pair()`.
        let cases: [(Double, Float, [Float], [Float])] = [
            (2, 3.4702305793762207, [0.12967434525489807, -0.5186973810195923, 1.0806195735931396, 0.30257347226142883],
             [-0.17289912700653076, 0.8212708234786987, 0.021612390875816345]),
            (.infinity, 2.5, [0.1799999475479126, -0.7199997901916504, 1.4999995231628418, 0.4199998378753662],
             [-0.239999920129776, 1.1399996280670166, 0.029999990016222]),
            (1, 7.049999713897705, [0.06382977962493896, -0.25531911849975586, 0.5319148302078247, 0.14893615245819092],
             [-0.08510637283325195, 0.4042552709579468, 0.010638296604156494]),
            (3, 2.910155773162842, [0.1546308547258377, -0.6185234189033508, 1.288590431213379, 0.36080530285835266],
             [-0.20617447793483734, 0.9793286919593811, 0.025771809741854668]),
        ]
        for (p, total, ga, gc) in cases {
            let (a, c) = pair()
            let t = clipGradNorm([a, c], maxNorm: 1.5, normType: p)
            XCTAssertEqual(t, total, accuracy: total * 1e-6, "norm \(p)")
            assertClose(a.grad!.toArray(), ga, rtol: 1e-6, atol: 1e-7, "norm \(p) a")
            assertClose(c.grad!.toArray(), gc, rtol: 1e-6, atol: 1e-7, "norm \(p) c")
        }
    }

    func testSmallNormLeavesGradientsUnchangedAndSkipsMissing() {
        let (a, c) = pair()
        let none = Parameter(Tensor(zeros: [2]))
        let before = a.grad!.toArray()
        let t = clipGradNorm([a, c, none], maxNorm: 100)
        XCTAssertEqual(t, 3.4702306, accuracy: 1e-6)
        XCTAssertEqual(a.grad!.toArray(), before)
        XCTAssertNil(none.grad)
        XCTAssertEqual(clipGradNorm([none], maxNorm: 1), 0)
    }

    func testClipValueClampsEachElement() {
        let (a, c) = pair()
        clipGradValue([a, c], clipValue: 1)
        XCTAssertEqual(a.grad!.toArray(), [0.3, -1, 1, 0.7])
        XCTAssertEqual(c.grad!.toArray(), [-0.4, 1, 0.05])
    }
}
