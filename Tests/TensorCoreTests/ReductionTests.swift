import XCTest
@testable import TensorCore
import CairnTestSupport

final class ReductionTests: XCTestCase {
    private let m = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])

    func testSumOverAxesAndAll() {
        XCTAssertEqual(m.sum().shape, [])
        XCTAssertEqual(m.sum().item, 21)
        XCTAssertEqual(m.sum(axis: 0).toArray(), [5, 7, 9])
        XCTAssertEqual(m.sum(axis: 1).toArray(), [6, 15])
        XCTAssertEqual(m.sum(axis: -1).toArray(), [6, 15])
        XCTAssertEqual(m.sum(axis: 1, keepDims: true).shape, [2, 1])
        XCTAssertEqual(m.sum(keepDims: true).shape, [1, 1])
        XCTAssertEqual(m.sum(axes: [0, 1]).item, 21)
        XCTAssertEqual(m.sum(axes: [1, 0, -1]).item, 21, "repeated axes count once")
        let t = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        XCTAssertEqual(t.sum(axes: [0, 2]).toArray(), [60, 92, 124])
        XCTAssertEqual(t.sum(axes: [0, 2], keepDims: true).shape, [1, 3, 1])
        // Non-contiguous inputs reduce in logical order.
        XCTAssertEqual(m.T.sum(axis: 0).toArray(), [6, 15])
        XCTAssertEqual(t.permuted([2, 0, 1]).sum(axis: 0).toArray(), t.sum(axis: 2).toArray())
        XCTAssertEqual(Tensor([1, 2]).expanded(to: [3, 2]).sum(axis: 0).toArray(), [3, 6])
        // 0-d and empty tensors.
        XCTAssertEqual(Tensor(scalar: 4).sum().item, 4)
        XCTAssertEqual(Tensor(scalar: 4).sum(axis: 0).item, 4)
        XCTAssertEqual(Tensor(zeros: [0]).sum().item, 0)
        XCTAssertEqual(Tensor(zeros: [0, 3]).sum(axis: 0).toArray(), [0, 0, 0])
        XCTAssertEqual(Tensor(zeros: [2, 0]).sum(axis: 1).toArray(), [0, 0])
    }

    func testLongSumsStayAccurate() {
        // A naive float32 loop would drift by ~1e-2 here; PyTorch's cascade sum does not.
        let n = 1_000_003
        let t = Tensor([Float](repeating: 0.1, count: n))
        let exact = Double(Float(0.1)) * Double(n)
        XCTAssertEqual(Double(t.sum().item), exact, accuracy: exact * 1e-7)
        XCTAssertEqual(Double(t.reshaped([n, 1]).sum(axis: 0).item), exact, accuracy: exact * 1e-7)
        XCTAssertEqual(Double(t.mean().item), Double(Float(0.1)), accuracy: 1e-7)
    }

    func testMeanVarianceStd() {
        XCTAssertEqual(m.mean().item, 3.5)
        XCTAssertEqual(m.mean(axis: 0).toArray(), [2.5, 3.5, 4.5])
        XCTAssertEqual(m.mean(axis: 1, keepDims: true).toArray(), [2, 5])
        XCTAssertEqual(m.mean(axes: [0, 1]).item, 3.5)
        XCTAssertEqual(m.variance().item, 3.5, accuracy: 1e-6)
        XCTAssertEqual(m.variance(correction: 0).item, 35.0 / 12.0, accuracy: 1e-6)
        XCTAssertEqual(m.variance(axis: 1).toArray(), [1, 1])
        XCTAssertEqual(m.variance(axis: 0, correction: 0).toArray(), [2.25, 2.25, 2.25])
        XCTAssertEqual(m.std(axis: 0).toArray()[0], Float(4.5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(m.std().item, Float(3.5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(m.std(correction: 0, keepDims: true).shape, [1, 1])
        // One sample with Bessel's correction is 0/0 = NaN, as in PyTorch.
        XCTAssertTrue(Tensor([5]).variance().item.isNaN)
        XCTAssertEqual(Tensor([5]).variance(correction: 0).item, 0)
        // A large offset does not swamp the variance (two-pass, not E[x²] − E[x]²).
        XCTAssertEqual(Tensor([10_000, 10_001, 10_002]).variance().item, 1, accuracy: 1e-4)
    }

    func testMaxMinWithIndices() {
        let t = Tensor([3, 1, 4, 1, 5, 9, 2, 6], shape: [2, 4])
        let (v, i) = t.max(axis: 1)
        XCTAssertEqual(v.toArray(), [4, 9])
        XCTAssertEqual(i.dtype, .int64)
        XCTAssertEqual(i.toInt64Array(), [2, 1])
        XCTAssertEqual(t.max(axis: 0).values.toArray(), [5, 9, 4, 6])
        XCTAssertEqual(t.max(axis: 0).indices.toInt64Array(), [1, 1, 0, 1])
        XCTAssertEqual(t.min(axis: 1).values.toArray(), [1, 2])
        XCTAssertEqual(t.min(axis: 1).indices.toInt64Array(), [1, 2], "the tie 1, 1 in row 0 resolves to the first")
        let ties = Tensor([2, 1, 1, 2, 2, 1])
        XCTAssertEqual(ties.argmax(axis: 0).toInt64Array(), [0])
        XCTAssertEqual(ties.argmin(axis: 0).toInt64Array(), [1])
        XCTAssertEqual(ties.argmax().toInt64Array(), [0])
        XCTAssertEqual(t.min(axis: 0).indices.toInt64Array(), [0, 0, 1, 0])
        XCTAssertEqual(t.max(axis: -1, keepDims: true).values.shape, [2, 1])
        XCTAssertEqual(t.max(axis: -1, keepDims: true).indices.shape, [2, 1])
        XCTAssertEqual(t.argmax(axis: 1).toInt64Array(), [2, 1])
        XCTAssertEqual(t.argmin(axis: 1).toInt64Array(), [1, 2])
        XCTAssertEqual(t.argmax(axis: 0, keepDims: true).shape, [1, 4])
        XCTAssertEqual(t.max().item, 9)
        XCTAssertEqual(t.min().item, 1)
        XCTAssertEqual(t.argmax().shape, [])
        XCTAssertEqual(t.argmax().toInt64Array(), [5])
        XCTAssertEqual(t.argmin().toInt64Array(), [1])
        // 3-d, middle axis, non-contiguous.
        let c = Tensor((0..<24).map { Float(($0 * 7) % 24) }, shape: [2, 3, 4])
        let ref = c.contiguous()
        XCTAssertEqual(c.permuted([1, 0, 2]).max(axis: 0).values.toArray(), ref.max(axis: 1).values.toArray())
        XCTAssertEqual(c.permuted([1, 0, 2]).max(axis: 0).indices.toInt64Array(), ref.max(axis: 1).indices.toInt64Array())
        // A 0-d tensor is its own max, at index 0.
        XCTAssertEqual(Tensor(scalar: 2).max(axis: 0).values.item, 2)
        XCTAssertEqual(Tensor(scalar: 2).argmax(axis: 0).toInt64Array(), [0])
    }

    func testMaxMinPropagateNaNLikePyTorch() {
        let t = Tensor([1, .nan, 3, .nan])
        XCTAssertTrue(t.max(axis: 0).values.item.isNaN)
        XCTAssertEqual(t.max(axis: 0).indices.toInt64Array(), [1], "the first NaN wins")
        XCTAssertTrue(t.min(axis: 0).values.item.isNaN)
        XCTAssertEqual(t.argmin(axis: 0).toInt64Array(), [1])
        XCTAssertTrue(t.max().item.isNaN)
        XCTAssertEqual(Tensor([.nan, 2]).argmax().toInt64Array(), [0])
        XCTAssertEqual(Tensor([-.infinity, -.infinity]).argmax().toInt64Array(), [0])
        XCTAssertEqual(Tensor([-.infinity, 1]).max().item, 1)
    }

    func testSoftmaxIsStableForHugeLogits() {
        let x = Tensor([1000, -1000, 0, 999, 1000, -999.5,
                        -1000, -1000, -1000, -1000, -1000, -1000,
                        1000, 1000, 1000, 1000, 1000, 1000], shape: [3, 6])
        let s = x.softmax(axis: 1)
        XCTAssertFalse(s.hasNonFinite)
        let sv = s.toArray()
        let e1 = Foundation.exp(Float(-1))
        assertClose(Array(sv[0..<6]), [1 / (2 + e1), 0, 0, e1 / (2 + e1), 1 / (2 + e1), 0], rtol: 1e-6)
        assertClose(Array(sv[6..<12]), [Float](repeating: 1.0 / 6, count: 6), rtol: 1e-6)
        assertClose(Array(sv[12..<18]), [Float](repeating: 1.0 / 6, count: 6), rtol: 1e-6)
        assertClose(s.sum(axis: 1).toArray(), [1, 1, 1], rtol: 1e-6)

        let l = x.logSoftmax(axis: 1)
        XCTAssertEqual(l.toArray()[1], -2000 - Foundation.log(2 + e1), accuracy: 1e-3)
        // The uniform rows must be log(1/6) to float32 precision, not off by the spacing of 1000.
        XCTAssertEqual(l.toArray()[14], -Foundation.log(Float(6)), accuracy: 1e-6)
        XCTAssertEqual(l.toArray()[8], -Foundation.log(Float(6)), accuracy: 1e-6)
        XCTAssertEqual(Tensor([1000, 1000]).logSoftmax().toArray(), [-0.6931472, -0.6931472])

        // Axis 0 and -inf entries.
        let s0 = x.softmax(axis: 0)
        assertClose(s0.sum(axis: 0).toArray(), [Float](repeating: 1, count: 6), rtol: 1e-6)
        let n = Tensor([0, -.infinity, 1, -.infinity], shape: [1, 4])
        assertClose(n.softmax().toArray(), [1 / (1 + Float(M_E)), 0, Float(M_E) / (1 + Float(M_E)), 0], rtol: 1e-6)
        let ln = n.logSoftmax().toArray()
        XCTAssertEqual(ln[1], -.infinity)
        XCTAssertEqual(ln[2], -Foundation.log(1 + 1 / Float(M_E)), accuracy: 1e-6)
        // 0-d softmax is 1 (log-softmax 0); an all -inf row is NaN as in PyTorch.
        XCTAssertEqual(Tensor(scalar: 5).softmax(axis: 0).item, 1)
        XCTAssertEqual(Tensor(scalar: 5).logSoftmax(axis: 0).item, 0)
        XCTAssertTrue(Tensor([-.infinity, -.infinity]).softmax().toArray().allSatisfy(\.isNaN))
    }

    func testSoftmaxOfViewsAndMiddleAxis() {
        let x = testTensor([2, 3, 4], seed: 5, scale: 3)
        let s = x.softmax(axis: 1)
        assertClose(s.sum(axis: 1).toArray(), [Float](repeating: 1, count: 8), rtol: 1e-6)
        // softmax along an axis of a permuted view equals softmax of the dense copy.
        let p = x.permuted([2, 0, 1])
        assertClose(p.softmax(axis: 2), p.contiguous().softmax(axis: 2), rtol: 0, atol: 0)
        assertClose(p.softmax(axis: 2).permuted([1, 2, 0]), s, rtol: 1e-6)
        assertClose(x.logSoftmax(axis: 0).exp(), x.softmax(axis: 0), rtol: 1e-6)
    }
}
