import XCTest
@testable import TensorCore
import CairnTestSupport

/// Whether two tensors view the same storage object.
private func sharesStorage(_ a: Tensor, _ b: Tensor) -> Bool { a.storage === b.storage }

/// Naive triple-loop matrix product of row-major [m,k]·[k,n] in Double.
private func naiveMatmul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
    var out = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for t in 0..<k { s += Double(a[i * k + t]) * Double(b[t * n + j]) }
            out[i * n + j] = Float(s)
        }
    }
    return out
}

final class TensorTests: XCTestCase {
    // MARK: construction

    func testConstructionAndFactories() {
        let z = Tensor(zeros: [2, 3])
        XCTAssertEqual(z.shape, [2, 3])
        XCTAssertEqual(z.rank, 2)
        XCTAssertEqual(z.count, 6)
        XCTAssertEqual(z.dtype, .float32)
        XCTAssertEqual(z.toArray(), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Tensor(repeating: 2.5, shape: [2]).toArray(), [2.5, 2.5])
        XCTAssertEqual(Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2]).toArray(), [1, 2, 3, 4, 5, 6])
        let s = Tensor(scalar: 7)
        XCTAssertEqual(s.shape, [])
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s.item, 7)
        let i = Tensor(indices: [3, -1, 4])
        XCTAssertEqual(i.dtype, .int64)
        XCTAssertEqual(i.toInt64Array(), [3, -1, 4])
        XCTAssertEqual(i.toArray(), [3, -1, 4])
        XCTAssertEqual(Tensor(zeros: [2], dtype: .int32).dtype, .int32)
        XCTAssertEqual(Tensor(zeros: [0, 4]).count, 0)
        XCTAssertEqual(Tensor([]).shape, [0])
        XCTAssertEqual(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).size(-1), 3)

        XCTAssertEqual(Tensor.ones([2, 2]).toArray(), [1, 1, 1, 1])
        XCTAssertEqual(Tensor.full([3], -1).toArray(), [-1, -1, -1])
        XCTAssertEqual(Tensor.zerosLike(Tensor(indices: [1, 2])).dtype, .int64)
        XCTAssertEqual(Tensor.onesLike(Tensor(zeros: [2, 1])).shape, [2, 1])
        XCTAssertEqual(Tensor.arange(5).toInt64Array(), [0, 1, 2, 3, 4])
        XCTAssertEqual(Tensor.arange(5).dtype, .int64)
        XCTAssertEqual(Tensor.arange(2, 9, step: 3).toInt64Array(), [2, 5, 8])
        XCTAssertEqual(Tensor.arange(5, 0, step: -2).toInt64Array(), [5, 3, 1])
        XCTAssertEqual(Tensor.arange(3, 3).count, 0)
        XCTAssertEqual(Tensor.arange(0).shape, [0])
        // torch.arange(0, 1, 0.1) has 10 elements; values are start + i·step in double.
        let fr = Tensor.arange(from: 0, to: 1, step: 0.1)
        XCTAssertEqual(fr.count, 10)
        XCTAssertEqual(fr.toArray()[3], Float(0.30000000000000004))
        XCTAssertEqual(Tensor.arange(from: 1, to: 2.5, step: 0.5).toArray(), [1, 1.5, 2])
        XCTAssertEqual(Tensor.eye(3).toArray(), [1, 0, 0, 0, 1, 0, 0, 0, 1])
        XCTAssertEqual(Tensor.eye(2, 3).toArray(), [1, 0, 0, 0, 1, 0])
        XCTAssertEqual(Tensor.eye(3, 1).shape, [3, 1])
    }

    // MARK: layout

    func testLayoutContiguity() {
        XCTAssertTrue(Layout(shape: [2, 3]).isContiguous)
        XCTAssertTrue(Layout(shape: []).isContiguous)
        XCTAssertFalse(Layout(shape: [2, 3], strides: [1, 2], offset: 0).isContiguous)
        // Size-1 dims may have any stride.
        XCTAssertTrue(Layout(shape: [1, 3], strides: [99, 1], offset: 5).isContiguous)
        XCTAssertTrue(Layout(shape: [3, 1], strides: [1, 0], offset: 0).isContiguous)
        XCTAssertTrue(Layout(shape: [2, 1, 3], strides: [3, 7, 1], offset: 0).isContiguous)
        // Broadcast (stride-0) dims of size > 1 are not contiguous.
        XCTAssertFalse(Layout(shape: [2, 3], strides: [0, 1], offset: 0).isContiguous)
        // Zero-size tensors are contiguous whatever their strides.
        XCTAssertTrue(Layout(shape: [0, 3], strides: [1, 0], offset: 0).isContiguous)
        XCTAssertTrue(Layout(shape: [3, 0], strides: [1, 3], offset: 0).isContiguous)
        XCTAssertEqual(Layout(shape: [2, 3], strides: [1, 2], offset: 1).storageExtent, 7)
        XCTAssertEqual(Layout(shape: [0, 3]).storageExtent, 0)
    }

    func testStridedIndexOrders() {
        var seen: [Int] = []
        StridedIndex.forEach(shape: [], strides: [], offset: 4) { seen.append($0) }
        XCTAssertEqual(seen, [4])
        seen = []
        StridedIndex.forEach(shape: [3], strides: [2], offset: 1) { seen.append($0) }
        XCTAssertEqual(seen, [1, 3, 5])
        seen = []
        StridedIndex.forEach(shape: [2, 0], strides: [1, 1], offset: 0) { seen.append($0) }
        XCTAssertEqual(seen, [])
        seen = []
        StridedIndex.forEach(shape: [2, 3], strides: [1, 2], offset: 0) { seen.append($0) }
        XCTAssertEqual(seen, [0, 2, 4, 1, 3, 5])
        seen = []
        StridedIndex.forEach(shape: [2, 1, 2], strides: [10, 0, 1], offset: 3) { seen.append($0) }
        XCTAssertEqual(seen, [3, 4, 13, 14])
        var pairs: [[Int]] = []
        StridedIndex.forEach2(shape: [2, 2], [2, 1], 0, [0, 1], 5) { pairs.append([$0, $1]) }
        XCTAssertEqual(pairs, [[0, 5], [1, 6], [2, 5], [3, 6]])
        pairs = []
        StridedIndex.forEach2(shape: [], [], 2, [], 3) { pairs.append([$0, $1]) }
        XCTAssertEqual(pairs, [[2, 3]])
    }

    // MARK: views share storage

    func testViewsShareStorage() {
        let a = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let r = a.reshaped([6, 4])
        XCTAssertTrue(sharesStorage(a, r))
        XCTAssertEqual(r.toArray(), a.toArray())
        XCTAssertEqual(a.reshaped([-1]).shape, [24])
        XCTAssertEqual(a.reshaped([4, -1]).shape, [4, 6])
        XCTAssertEqual(a.view([24]).shape, [24])

        let p = a.permuted([2, 0, 1])
        XCTAssertTrue(sharesStorage(a, p))
        XCTAssertEqual(p.shape, [4, 2, 3])
        XCTAssertFalse(p.isContiguous)
        // p[i, j, k] == a[j, k, i]
        XCTAssertEqual(p.contiguous().toArray()[0 * 6 + 1 * 3 + 2], 1 * 12 + 2 * 4 + 0)
        XCTAssertEqual(p[3].contiguous().toArray(), [3, 7, 11, 15, 19, 23])

        let t = a.transposed(0, 2)
        XCTAssertTrue(sharesStorage(a, t))
        XCTAssertEqual(t.shape, [4, 3, 2])
        XCTAssertEqual(t[1][2].toArray(), [9, 21])
        let m = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(m.T.shape, [3, 2])
        XCTAssertEqual(m.T.toArray(), [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(m.transposed().toArray(), [1, 4, 2, 5, 3, 6])

        let col = Tensor([1, 2, 3], shape: [3, 1])
        let e = col.expanded(to: [2, 3, 4])
        XCTAssertTrue(sharesStorage(col, e))
        XCTAssertEqual(e.layout.strides, [0, 1, 0])
        XCTAssertEqual(e.toArray(), [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
        XCTAssertEqual(col.expand([3, 2]).toArray(), [1, 1, 2, 2, 3, 3])

        let s = a.slice(axis: 1, 1..<3)
        XCTAssertTrue(sharesStorage(a, s))
        XCTAssertEqual(s.shape, [2, 2, 4])
        XCTAssertEqual(s.layout.offset, 4)
        XCTAssertEqual(s.toArray(), [4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23])
        XCTAssertEqual(a.slice(axis: -1, 3..<4).toArray(), [3, 7, 11, 15, 19, 23])
        XCTAssertEqual(a.slice(axis: 0, 1..<1).count, 0)

        let sub = a[1]
        XCTAssertTrue(sharesStorage(a, sub))
        XCTAssertEqual(sub.shape, [3, 4])
        XCTAssertEqual(sub.toArray(), (12..<24).map(Float.init))
        XCTAssertEqual(a[-1][-1].toArray(), [20, 21, 22, 23])

        let u = a.unsqueezed(1)
        XCTAssertTrue(sharesStorage(a, u))
        XCTAssertEqual(u.shape, [2, 1, 3, 4])
        XCTAssertTrue(u.isContiguous)
        XCTAssertEqual(a.unsqueezed(-1).shape, [2, 3, 4, 1])
        XCTAssertEqual(a.unsqueezed(3).shape, [2, 3, 4, 1])
        XCTAssertEqual(Tensor(scalar: 1).unsqueezed(0).shape, [1])
        let sq = u.squeezed(1)
        XCTAssertTrue(sharesStorage(a, sq))
        XCTAssertEqual(sq.shape, [2, 3, 4])
        XCTAssertEqual(Tensor([5], shape: [1]).squeezed(0).shape, [])
        // A permuted then unsqueezed view keeps element order.
        XCTAssertEqual(p.unsqueezed(1).squeezed(1).contiguous().toArray(), p.contiguous().toArray())
        XCTAssertEqual(a.flattened().shape, [24])
        XCTAssertEqual(a.flattened(from: 1).shape, [2, 12])
        XCTAssertEqual(a.flattened(from: 0, to: 1).shape, [6, 4])
        XCTAssertEqual(Tensor(scalar: 3).flattened().shape, [1])
    }

    func testReshapeOfNonContiguousViewCopiesInLogicalOrder() {
        let a = Tensor((0..<6).map(Float.init), shape: [2, 3])
        let t = a.T
        let r = t.reshaped([6])
        XCTAssertFalse(sharesStorage(a, r))
        XCTAssertEqual(r.toArray(), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(a.slice(axis: 1, 1..<3).reshaped([4]).toArray(), [1, 2, 4, 5])
        // A sliced view that happens to be contiguous keeps its offset in the reshape.
        let rows = a.slice(axis: 0, 1..<2)
        XCTAssertTrue(rows.isContiguous)
        let rv = rows.reshaped([3])
        XCTAssertTrue(sharesStorage(a, rv))
        XCTAssertEqual(rv.toArray(), [3, 4, 5])
        XCTAssertEqual(Tensor(zeros: [0, 3]).reshaped([3, 0]).shape, [3, 0])
    }

    // MARK: copy-on-write

    func testCopyOnWriteNeverLeaksIntoCopiesOrViewSources() {
        let original = Tensor([1, 2, 3, 4], shape: [2, 2])
        var copy = original
        copy.withMutableFloats { $0[0] = 100 }
        XCTAssertEqual(original.toArray(), [1, 2, 3, 4])
        XCTAssertEqual(copy.toArray(), [100, 2, 3, 4])

        // Mutating a view never writes through to the tensor it views.
        var view = original.reshaped([4])
        XCTAssertTrue(sharesStorage(original, view))
        view.withMutableFloats { $0[3] = -1 }
        XCTAssertEqual(original.toArray(), [1, 2, 3, 4])
        XCTAssertEqual(view.toArray(), [1, 2, 3, -1])

        var tv = original.T
        tv.withMutableFloats { p in for i in 0..<p.count { p[i] *= 10 } }
        XCTAssertEqual(tv.toArray(), [10, 30, 20, 40])
        XCTAssertTrue(tv.isContiguous)
        XCTAssertEqual(original.toArray(), [1, 2, 3, 4])

        var sl = original.slice(axis: 0, 1..<2)
        sl.withMutableFloats { $0[0] = 9 }
        XCTAssertEqual(sl.shape, [1, 2])
        XCTAssertEqual(sl.toArray(), [9, 4])
        XCTAssertEqual(original.toArray(), [1, 2, 3, 4])

        // The source mutated after a view was taken does not change the view either.
        var src = Tensor([1, 2, 3])
        let v = src.reshaped([3, 1])
        src.withMutableFloats { $0[1] = 50 }
        XCTAssertEqual(v.toArray(), [1, 2, 3])
        XCTAssertEqual(src.toArray(), [1, 50, 3])
    }

    func testWithMutableFloatsWritesInPlaceWhenUnique() {
        var t = Tensor([1, 2, 3])
        let before = t.storage.base
        t.withMutableFloats { $0[0] = 5 }
        XCTAssertEqual(t.storage.base, before, "a uniquely owned contiguous tensor must not be copied")
        XCTAssertEqual(t.toArray(), [5, 2, 3])
        // An expanded (stride-0) view becomes dense: every element gets its own slot.
        var e = Tensor([1, 2]).expanded(to: [2, 2])
        e.withMutableFloats { $0[0] = 7 }
        XCTAssertEqual(e.toArray(), [7, 2, 1, 2])
    }

    func testWithMutableFloatsCopiesReadOnlyBorrowedStorage() {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 12, alignment: 16)
        raw.bindMemory(to: Float.self, capacity: 3).update(from: [1, 2, 3], count: 3)
        var released = false
        do {
            let storage = Storage(borrowing: raw, byteCount: 12, dtype: .float32, readOnly: true,
                                  release: { released = true })
            var t = Tensor(storage: storage, layout: Layout(shape: [3]))
            t.withMutableFloats { $0[0] = 42 }
            XCTAssertFalse(t.storage === storage)
            XCTAssertEqual(t.toArray(), [42, 2, 3])
            XCTAssertEqual(raw.assumingMemoryBound(to: Float.self)[0], 1, "read-only bytes must never be written")
            XCTAssertFalse(t.storage.isReadOnly)
        }
        XCTAssertTrue(released, "the borrowed bytes are released with the last view")
        raw.deallocate()
    }

    func testContiguousAndContiguousCopy() {
        let a = Tensor((0..<6).map(Float.init), shape: [2, 3])
        XCTAssertTrue(sharesStorage(a, a.contiguous()))
        let c = a.T.contiguous()
        XCTAssertTrue(c.isContiguous)
        XCTAssertEqual(c.toArray(), [0, 3, 1, 4, 2, 5])
        XCTAssertFalse(sharesStorage(a, a.contiguousCopy()))
        // Non-float dtypes copy whole elements in logical order.
        let i = Tensor(indices: [0, 1, 2, 3, 4, 5], shape: [2, 3]).T.contiguousCopy()
        XCTAssertEqual(i.toInt64Array(), [0, 3, 1, 4, 2, 5])
        let h = Tensor([1, 2, 3, 4], shape: [2, 2]).to(.float16).T.contiguousCopy()
        XCTAssertEqual(h.dtype, .float16)
        XCTAssertEqual(h.toArray(), [1, 3, 2, 4])
        let b = (Tensor([1, 0, 1, 1], shape: [2, 2]) .> 0.5).T.contiguousCopy()
        XCTAssertEqual(b.toInt64Array(), [1, 1, 0, 1])
        XCTAssertEqual(Tensor(zeros: [0, 2]).T.contiguous().shape, [2, 0])
    }

    // MARK: broadcasting

    func testBroadcastShapes() {
        XCTAssertEqual(Kernels.broadcastShape([2, 3], [3], op: "t"), [2, 3])
        XCTAssertEqual(Kernels.broadcastShape([3], [2, 3], op: "t"), [2, 3])
        XCTAssertEqual(Kernels.broadcastShape([2, 1, 4], [3, 1], op: "t"), [2, 3, 4])
        XCTAssertEqual(Kernels.broadcastShape([], [5], op: "t"), [5])
        XCTAssertEqual(Kernels.broadcastShape([1], [0], op: "t"), [0])
        XCTAssertEqual(Kernels.broadcastShape([4, 1], [1, 1, 1], op: "t"), [1, 4, 1])
    }

    func testElementwiseBroadcastingBothDirections() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let row = Tensor([10, 20, 30])
        let col = Tensor([100, 200], shape: [2, 1])
        XCTAssertEqual((a + row).toArray(), [11, 22, 33, 14, 25, 36])
        XCTAssertEqual((row + a).toArray(), [11, 22, 33, 14, 25, 36])
        XCTAssertEqual((a - col).toArray(), [-99, -98, -97, -196, -195, -194])
        XCTAssertEqual((col - a).toArray(), [99, 98, 97, 196, 195, 194])
        XCTAssertEqual((row * col).shape, [2, 3])
        XCTAssertEqual((row * col).toArray(), [1000, 2000, 3000, 2000, 4000, 6000])
        XCTAssertEqual((a / Tensor(scalar: 2)).toArray(), [0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual((Tensor(scalar: 6) / a).toArray(), [6, 3, 2, 1.5, 1.2, 1])
        // Non-contiguous operands of equal shape.
        XCTAssertEqual((a.T + a.T).toArray(), [2, 8, 4, 10, 6, 12])
        XCTAssertEqual((a.T * Tensor([1, -1], shape: [1, 2])).toArray(), [1, -4, 2, -5, 3, -6])
        // Zero-size broadcasting.
        XCTAssertEqual((Tensor(zeros: [0, 3]) + row).shape, [0, 3])
        // Scalar variants.
        XCTAssertEqual((a + 1).toArray(), [2, 3, 4, 5, 6, 7])
        XCTAssertEqual((1 + a).toArray(), [2, 3, 4, 5, 6, 7])
        XCTAssertEqual((a - 1).toArray(), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual((1 - a).toArray(), [0, -1, -2, -3, -4, -5])
        XCTAssertEqual((a * 2).toArray(), [2, 4, 6, 8, 10, 12])
        XCTAssertEqual((2 * a).toArray(), [2, 4, 6, 8, 10, 12])
        XCTAssertEqual((a / 2).toArray(), [0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual((12 / a).toArray(), [12, 6, 4, 3, 2.4, 2])
        XCTAssertEqual((-a).toArray(), [-1, -2, -3, -4, -5, -6])
    }

    func testUnaryOpsMatchPyTorchEdgeValues() {
        let x = Tensor([.nan, -0.0, -100, 1])
        let relu = x.relu().toArray()
        XCTAssertTrue(relu[0].isNaN, "relu(NaN) is NaN in PyTorch")
        XCTAssertEqual(relu[1].sign, .minus, "relu(-0) is -0 in PyTorch")
        XCTAssertEqual(Array(relu[2...]), [0, 1])
        let sig = x.sigmoid().toArray()
        XCTAssertTrue(sig[0].isNaN)
        assertClose(Array(sig[1...]), [0.5, 0, Float(1 / (1 + Foundation.exp(-1.0)))], rtol: 0, atol: 1e-7)
        // PyTorch's 1 / (1 + e^-x): a subnormal at -88 and exactly 0 below about -88.7 (never NaN).
        XCTAssertEqual(Tensor([-88]).sigmoid().item, 6.0546015e-39, accuracy: 8 * Float.leastNonzeroMagnitude)
        XCTAssertEqual(Tensor([-100, 100]).sigmoid().toArray(), [0, 1])
        XCTAssertEqual(Tensor([-100, 100]).tanh().toArray(), [-1, 1])
        assertClose(Tensor([0, 1, -1]).gelu().toArray(), [0, 0.8413447, -0.15865526], rtol: 0, atol: 1e-6)
        assertClose(Tensor([0, 1, -1]).gelu(approximate: "tanh").toArray(), [0, 0.8411920, -0.1588080], rtol: 0, atol: 1e-6)
        assertClose(Tensor([0, 1, -100]).silu().toArray(), [0, 0.7310586, 0], rtol: 0, atol: 1e-6)
        assertClose(Tensor([-2, 0.5]).leakyRelu(0.1).toArray(), [-0.2, 0.5], rtol: 0, atol: 1e-7)
        let cl = Tensor([.nan, -3, 0.5, 3]).clamp(min: -1, max: 1).toArray()
        XCTAssertTrue(cl[0].isNaN)
        XCTAssertEqual(Array(cl[1...]), [-1, 0.5, 1])
        XCTAssertEqual(Tensor([-3, 4]).abs().toArray(), [3, 4])
        XCTAssertEqual(Tensor([4, 9]).sqrt().toArray(), [2, 3])
        XCTAssertEqual(Tensor([2, 3]).pow(3).toArray(), [8, 27])
        XCTAssertEqual(Tensor([2, -3]).square().toArray(), [4, 9])
        assertClose(Tensor([0, 1]).exp().toArray(), [1, Float(M_E)], rtol: 0, atol: 1e-6)
        assertClose(Tensor([1, Float(M_E)]).log().toArray(), [0, 1], rtol: 0, atol: 1e-6)
    }

    func testMaximumMinimumPropagateNaNAndKeepFirstOnTies() {
        let a = Tensor([.nan, 1, -0.0, 0, 5])
        let b = Tensor([1, .nan, 0, -0.0, 2])
        let mx = Tensor.maximum(a, b).toArray()
        XCTAssertTrue(mx[0].isNaN && mx[1].isNaN)
        XCTAssertEqual(mx[2].sign, .minus, "torch.maximum(-0., 0.) is -0.")
        XCTAssertEqual(mx[3].sign, .plus)
        XCTAssertEqual(mx[4], 5)
        let mn = Tensor.minimum(a, b).toArray()
        XCTAssertTrue(mn[0].isNaN && mn[1].isNaN)
        XCTAssertEqual(mn[4], 2)
        XCTAssertEqual(Tensor.maximum(Tensor([1, 5]), Tensor(scalar: 3)).toArray(), [3, 5])
    }

    // MARK: comparison and where

    func testComparisonsAndWhere() {
        let a = Tensor([1, 2, 3])
        let b = Tensor([3, 2, 1])
        XCTAssertEqual((a .> b).dtype, .bool)
        XCTAssertEqual((a .> b).toInt64Array(), [0, 0, 1])
        XCTAssertEqual((a .< b).toInt64Array(), [1, 0, 0])
        XCTAssertEqual((a .>= b).toInt64Array(), [0, 1, 1])
        XCTAssertEqual((a .<= b).toInt64Array(), [1, 1, 0])
        XCTAssertEqual((a .== b).toInt64Array(), [0, 1, 0])
        XCTAssertEqual((a .!= b).toInt64Array(), [1, 0, 1])
        XCTAssertEqual((a .> 1.5).toInt64Array(), [0, 1, 1])
        XCTAssertEqual((a .< 1.5).toInt64Array(), [1, 0, 0])
        XCTAssertEqual((a .>= 2).toInt64Array(), [0, 1, 1])
        XCTAssertEqual((a .<= 2).toInt64Array(), [1, 1, 0])
        XCTAssertEqual((a .== 2).toInt64Array(), [0, 1, 0])
        XCTAssertEqual((a .!= 2).toInt64Array(), [1, 0, 1])
        XCTAssertEqual((Tensor([.nan]) .== Tensor([.nan])).toInt64Array(), [0])
        XCTAssertEqual((Tensor([.nan]) .!= Tensor([.nan])).toInt64Array(), [1])
        // Broadcast comparison.
        XCTAssertEqual((Tensor([1, 2], shape: [2, 1]) .< a).toInt64Array(), [0, 1, 1, 0, 0, 1])

        let w = Tensor.where(a .> 1.5, a, Tensor(scalar: -1))
        XCTAssertEqual(w.toArray(), [-1, 2, 3])
        let wb = Tensor.where(Tensor([1, 0], shape: [2, 1]), Tensor([1, 2, 3]), Tensor([10, 20], shape: [2, 1]))
        XCTAssertEqual(wb.shape, [2, 3])
        XCTAssertEqual(wb.toArray(), [1, 2, 3, 20, 20, 20])
    }

    // MARK: joining and indexing

    func testConcatenateAndStackAnyDType() {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2]), b = Tensor([5, 6], shape: [1, 2])
        XCTAssertEqual(Tensor.concatenate([a, b]).toArray(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Tensor.concatenate([a, a.T], axis: 1).toArray(), [1, 2, 1, 3, 3, 4, 2, 4])
        XCTAssertEqual(Tensor.concatenate([a, b.T.expanded(to: [2, 1])], axis: -1).shape, [2, 3])
        XCTAssertEqual(Tensor.concatenate([a, Tensor(zeros: [0, 2])]).toArray(), [1, 2, 3, 4])
        let ci = Tensor.concatenate([Tensor(indices: [1, 2]), Tensor(indices: [-3])])
        XCTAssertEqual(ci.dtype, .int64)
        XCTAssertEqual(ci.toInt64Array(), [1, 2, -3])
        let ch = Tensor.concatenate([a.to(.float16), b.to(.float16)], axis: 0)
        XCTAssertEqual(ch.dtype, .float16)
        XCTAssertEqual(ch.toArray(), [1, 2, 3, 4, 5, 6])
        let cb = Tensor.concatenate([Tensor([1, 0]) .> 0.5, Tensor([0, 1]) .> 0.5])
        XCTAssertEqual(cb.dtype, .bool)
        XCTAssertEqual(cb.toInt64Array(), [1, 0, 0, 1])

        let s0 = Tensor.stack([Tensor([1, 2]), Tensor([3, 4])])
        XCTAssertEqual(s0.shape, [2, 2])
        XCTAssertEqual(s0.toArray(), [1, 2, 3, 4])
        let s1 = Tensor.stack([Tensor([1, 2]), Tensor([3, 4])], axis: 1)
        XCTAssertEqual(s1.toArray(), [1, 3, 2, 4])
        XCTAssertEqual(Tensor.stack([Tensor([1, 2]), Tensor([3, 4])], axis: -1).toArray(), [1, 3, 2, 4])
        XCTAssertEqual(Tensor.stack([Tensor(indices: [7]), Tensor(indices: [8])]).toInt64Array(), [7, 8])
        XCTAssertEqual(Tensor.stack([Tensor(scalar: 1), Tensor(scalar: 2)]).shape, [2])
    }

    func testIndexSelectGatherOneHot() {
        let a = Tensor((0..<6).map(Float.init), shape: [3, 2])
        XCTAssertEqual(a.indexSelect(axis: 0, indices: [2, 0, 2]).toArray(), [4, 5, 0, 1, 4, 5])
        XCTAssertEqual(a.indexSelect(axis: 1, indices: [1]).toArray(), [1, 3, 5])
        XCTAssertEqual(a.T.indexSelect(axis: 1, indices: [1]).toArray(), [2, 3])
        XCTAssertEqual(a.indexSelect(axis: 0, index: Tensor(indices: [1])).toArray(), [2, 3])
        XCTAssertEqual(a.indexSelect(axis: 0, indices: []).shape, [0, 2])
        let labels = Tensor(indices: [10, 11, 12, 13])
        XCTAssertEqual(labels.indexSelect(axis: 0, indices: [3, 1]).toInt64Array(), [13, 11])

        let g = a.gather(axis: 1, index: Tensor(indices: [1, 0, 0, 0, 1, 1], shape: [3, 2]))
        XCTAssertEqual(g.toArray(), [1, 0, 2, 2, 5, 5])
        let g0 = a.gather(axis: 0, index: Tensor(indices: [2, 0], shape: [1, 2]))
        XCTAssertEqual(g0.toArray(), [4, 1])
        // A smaller index than the input along the other axes (as PyTorch allows).
        XCTAssertEqual(a.gather(axis: 1, index: Tensor(indices: [1, 1], shape: [2, 1])).toArray(), [1, 3])
        XCTAssertEqual(labels.gather(axis: 0, index: Tensor(indices: [0, 0])).toInt64Array(), [10, 10])

        let oh = Tensor.oneHot(Tensor(indices: [2, 0]), numClasses: 3)
        XCTAssertEqual(oh.shape, [2, 3])
        XCTAssertEqual(oh.toArray(), [0, 0, 1, 1, 0, 0])
        XCTAssertEqual(Tensor.oneHot(Tensor(indices: [1, 0, 1, 1], shape: [2, 2]), numClasses: 2).shape, [2, 2, 2])
    }

    func testAssignWritesRegionCopyOnWrite() {
        let orig = Tensor(zeros: [2, 3])
        var t = orig
        t.assign(Tensor([1, 2], shape: [2, 1]), axis: 1, at: 2)
        XCTAssertEqual(t.toArray(), [0, 0, 1, 0, 0, 2])
        XCTAssertEqual(orig.toArray(), [0, 0, 0, 0, 0, 0])
        var v = Tensor((0..<6).map(Float.init), shape: [2, 3]).T
        v.assign(Tensor([9, 9], shape: [1, 2]), axis: 0, at: 1)
        XCTAssertEqual(v.toArray(), [0, 3, 9, 9, 2, 5])
    }

    // MARK: matmul and linear

    func testMatmulShapesAgainstNaiveProduct() {
        let a = testTensor([3, 4], seed: 1), b = testTensor([4, 5], seed: 2)
        let ref = naiveMatmul(a.toArray(), b.toArray(), m: 3, k: 4, n: 5)
        assertClose(a.matmul(b).toArray(), ref, "2-d")
        // Transposed views go to BLAS as transpose flags; values must not change.
        let at = testTensor([4, 3], seed: 1).T, bt = testTensor([5, 4], seed: 2).T
        let ref2 = naiveMatmul(at.contiguous().toArray(), bt.contiguous().toArray(), m: 3, k: 4, n: 5)
        assertClose(at.matmul(bt).toArray(), ref2, "transposed views")
        assertClose(at.matmul(b).toArray(), naiveMatmul(at.contiguous().toArray(), b.toArray(), m: 3, k: 4, n: 5), "A^T B")
        // Sliced (non-dense leading dimension) operands.
        let wide = testTensor([3, 9], seed: 3)
        let sl = wide.slice(axis: 1, 2..<6)
        assertClose(sl.matmul(b).toArray(), naiveMatmul(sl.contiguous().toArray(), b.toArray(), m: 3, k: 4, n: 5), "sliced")
        let slt = testTensor([9, 3], seed: 4).slice(axis: 0, 3..<7).T
        assertClose(slt.matmul(b).toArray(), naiveMatmul(slt.contiguous().toArray(), b.toArray(), m: 3, k: 4, n: 5), "sliced T")
        // 1-row and 1-column matrices, including transposed ones.
        let row = testTensor([1, 4], seed: 5), colm = testTensor([4, 1], seed: 6)
        assertClose(row.matmul(b).toArray(), naiveMatmul(row.toArray(), b.toArray(), m: 1, k: 4, n: 5), "row")
        assertClose(a.matmul(colm).toArray(), naiveMatmul(a.toArray(), colm.toArray(), m: 3, k: 4, n: 1), "col")
        assertClose(colm.T.matmul(colm).toArray(), naiveMatmul(colm.toArray(), colm.toArray(), m: 1, k: 4, n: 1), "rowT")
        assertClose(colm.matmul(row).toArray(), naiveMatmul(colm.toArray(), row.toArray(), m: 4, k: 1, n: 4), "outer")
        assertClose(row.T.matmul(colm.T).toArray(), naiveMatmul(row.toArray(), colm.toArray(), m: 4, k: 1, n: 4), "outer T")
        // Narrow outputs (m ≥ 64, n ≤ 16) are computed as (Bᵀ·Aᵀ)ᵀ; plain and transposed views.
        let tall = testTensor([70, 6], seed: 16), narrow = testTensor([6, 3], seed: 17)
        assertClose(tall.matmul(narrow).toArray(), naiveMatmul(tall.toArray(), narrow.toArray(), m: 70, k: 6, n: 3), "narrow")
        let tallT = testTensor([6, 70], seed: 18).T, narrowT = testTensor([3, 6], seed: 19).T
        assertClose(tallT.matmul(narrowT).toArray(),
                    naiveMatmul(tallT.contiguous().toArray(), narrowT.contiguous().toArray(), m: 70, k: 6, n: 3), "narrow, views")
        // Broadcast (stride-0) operand.
        let ex = Tensor([1, 2, 3, 4]).expanded(to: [3, 4])
        assertClose(ex.matmul(b).toArray(), naiveMatmul(ex.contiguous().toArray(), b.toArray(), m: 3, k: 4, n: 5), "expanded")
        // Empty inner dimension gives zeros; empty outer gives empty.
        XCTAssertEqual(Tensor(zeros: [2, 0]).matmul(Tensor(zeros: [0, 3])).toArray(), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Tensor(zeros: [0, 2]).matmul(Tensor(zeros: [2, 3])).shape, [0, 3])
    }

    func testMatmulOneDimensionalAndBatched() {
        let v = Tensor([1, 2, 3]), w = Tensor([4, 5, 6])
        let dot = v.matmul(w)
        XCTAssertEqual(dot.shape, [])
        XCTAssertEqual(dot.item, 32)
        let m = Tensor([1, 0, 0, 1, 1, 1], shape: [2, 3])
        XCTAssertEqual(m.matmul(v).shape, [2])
        XCTAssertEqual(m.matmul(v).toArray(), [1, 6])
        XCTAssertEqual(Tensor([1, 1]).matmul(m).toArray(), [2, 1, 1])
        // Batched with broadcast batch dims: [2,1,3,4]·[5,4,2] → [2,5,3,2].
        let a = testTensor([2, 1, 3, 4], seed: 7), b = testTensor([5, 4, 2], seed: 8)
        let c = a.matmul(b)
        XCTAssertEqual(c.shape, [2, 5, 3, 2])
        for i in 0..<2 {
            for j in 0..<5 {
                let ref = naiveMatmul(a[i][0].toArray(), b[j].toArray(), m: 3, k: 4, n: 2)
                assertClose(c[i][j].toArray(), ref, "batch \(i),\(j)")
            }
        }
        // Batched with a 2-d right operand and a transposed batched view.
        let bt = testTensor([2, 4, 3], seed: 9).transposed(1, 2)
        let d = bt.matmul(testTensor([4, 2], seed: 10))
        XCTAssertEqual(d.shape, [2, 3, 2])
        assertClose(d[1].toArray(), naiveMatmul(bt[1].contiguous().toArray(), testTensor([4, 2], seed: 10).toArray(), m: 3, k: 4, n: 2))
        XCTAssertEqual(Tensor([1, 2]).matmul(testTensor([3, 2, 4])).shape, [3, 4])
        XCTAssertEqual(testTensor([3, 4, 2]).matmul(Tensor([1, 2])).shape, [3, 4])
    }

    func testLinearMatchesMatmulPlusBias() {
        let x = testTensor([2, 3, 4], seed: 11), w = testTensor([5, 4], seed: 12), b = testTensor([5], seed: 13)
        let y = Tensor.linear(x, weight: w, bias: b)
        XCTAssertEqual(y.shape, [2, 3, 5])
        assertClose(y, x.matmul(w.T) + b, "3-d with bias")
        assertClose(Tensor.linear(x, weight: w, bias: nil), x.matmul(w.T), "3-d no bias")
        let x1 = testTensor([4], seed: 14)
        XCTAssertEqual(Tensor.linear(x1, weight: w, bias: b).shape, [5])
        assertClose(Tensor.linear(x1, weight: w, bias: b), x1.matmul(w.T) + b, "1-d")
        let xt = testTensor([4, 3], seed: 15).T
        assertClose(Tensor.linear(xt, weight: w, bias: b), xt.matmul(w.T) + b, "transposed input")
        XCTAssertEqual(Tensor.linear(Tensor(zeros: [0, 4]), weight: w, bias: b).shape, [0, 5])
        // A classifier head (many rows, few outputs): the bias-prefilled (beta 1) narrow path.
        let xh = testTensor([80, 4], seed: 16), wh = testTensor([3, 4], seed: 17), bh = testTensor([3], seed: 18)
        let expected = naiveMatmul(xh.toArray(), wh.T.contiguous().toArray(), m: 80, k: 4, n: 3).enumerated()
            .map { $0.element + bh.toArray()[$0.offset % 3] }
        assertClose(Tensor.linear(xh, weight: wh, bias: bh).toArray(), expected, "narrow head with bias")
    }

    // MARK: checks

    func testNonFiniteAnyAllAllClose() {
        XCTAssertFalse(Tensor([1, 2, -3]).hasNonFinite)
        XCTAssertTrue(Tensor([1, .nan]).hasNonFinite)
        XCTAssertTrue(Tensor([-.infinity, 0]).hasNonFinite)
        XCTAssertTrue(Tensor([.greatestFiniteMagnitude, .infinity]).hasNonFinite)
        XCTAssertFalse(Tensor([.greatestFiniteMagnitude, .leastNonzeroMagnitude]).hasNonFinite)
        XCTAssertFalse(Tensor(zeros: [0]).hasNonFinite)
        XCTAssertTrue(Tensor((0..<1001).map { $0 == 1000 ? Float.nan : Float($0) }).viaColumnView.hasNonFinite)
        XCTAssertTrue(Tensor([1, .nan, 3, 4], shape: [2, 2]).T.hasNonFinite)
        XCTAssertTrue(Tensor([1, .infinity]).to(.float16).hasNonFinite)
        XCTAssertFalse(Tensor(indices: [1, 2]).hasNonFinite)
        XCTAssertEqual(Tensor([1, .nan, .infinity, -2]).isFinite().toInt64Array(), [1, 0, 0, 1])
        XCTAssertEqual(Tensor([1, .nan, .infinity, -2]).isNaN().toInt64Array(), [0, 1, 0, 0])

        XCTAssertTrue((Tensor([1, 2]) .> 1.5).any())
        XCTAssertFalse((Tensor([1, 2]) .> 1.5).all())
        XCTAssertTrue((Tensor([1, 2]) .> 0.5).all())
        XCTAssertFalse((Tensor([1, 2]) .> 5).any())
        XCTAssertFalse(Tensor(zeros: [0], dtype: .bool).any())
        XCTAssertTrue(Tensor(zeros: [0], dtype: .bool).all())
        XCTAssertTrue(Tensor([0, 0.5]).any(), "0.5 is non-zero")
        XCTAssertFalse(Tensor([0, 0.5]).all())
        XCTAssertTrue(Tensor([.nan]).all(), "NaN is non-zero")

        XCTAssertTrue(Tensor([1, 2]).allClose(Tensor([1, 2.000001])))
        XCTAssertFalse(Tensor([1, 2]).allClose(Tensor([1, 2.001])))
        XCTAssertTrue(Tensor([1, 2]).allClose(Tensor([1, 2.001]), rtol: 1e-3))
        XCTAssertTrue(Tensor([0, 0]).allClose(Tensor([1e-9, 0])))
        XCTAssertFalse(Tensor([.nan]).allClose(Tensor([.nan])))
        XCTAssertTrue(Tensor([.nan]).allClose(Tensor([.nan]), equalNaN: true))
        XCTAssertTrue(Tensor([.infinity]).allClose(Tensor([.infinity])))
        XCTAssertFalse(Tensor([.infinity]).allClose(Tensor([-.infinity])))
        XCTAssertTrue(Tensor([3, 3], shape: [2, 1]).allClose(Tensor(scalar: 3)), "broadcasts like torch.allclose")
    }

    // MARK: printing

    func testDescriptionMatchesPyTorchRepr() {
        // Expected strings are `repr(t)` from PyTorch 2.13 with default print options.
        XCTAssertEqual(Tensor([1, 2, 3, 4], shape: [2, 2]).description, "tensor([[1., 2.],\n        [3., 4.]])")
        XCTAssertEqual(Tensor([0.5, -1.25, 3.0]).description, "tensor([ 0.5000, -1.2500,  3.0000])")
        XCTAssertEqual(Tensor([1e-5, 1.0, 100.0]).description, "tensor([1.0000e-05, 1.0000e+00, 1.0000e+02])")
        XCTAssertEqual(Tensor([1e9, 2.0]).description, "tensor([1.0000e+09, 2.0000e+00])")
        XCTAssertEqual(Tensor([.nan, .infinity, -.infinity, 1.5]).description, "tensor([   nan,    inf,   -inf, 1.5000])")
        XCTAssertEqual(Tensor(zeros: [3]).description, "tensor([0., 0., 0.])")
        XCTAssertEqual(Tensor(scalar: 3).description, "tensor(3.)")
        XCTAssertEqual(Tensor(scalar: 0.125).description, "tensor(0.1250)")
        XCTAssertEqual(Tensor(indices: [1, -20, 300]).description, "tensor([  1, -20, 300])")
        XCTAssertEqual(Tensor(indices: [1, 2]).to(.int32).description, "tensor([1, 2], dtype=torch.int32)")
        XCTAssertEqual((Tensor([1, 0]) .> 0.5).description, "tensor([ True, False])")
        XCTAssertEqual(Tensor([1.5, 2]).to(.float64).description, "tensor([1.5000, 2.0000], dtype=torch.float64)")
        XCTAssertEqual(Tensor([1.5, 2]).to(.float16).description, "tensor([1.5000, 2.0000], dtype=torch.float16)")
        XCTAssertEqual(Tensor(zeros: [0]).description, "tensor([])")
        XCTAssertEqual(Tensor(zeros: [0, 3]).description, "tensor([], size=(0, 3))")
        XCTAssertEqual(Tensor(zeros: [0], dtype: .int64).description, "tensor([], dtype=torch.int64)")
        XCTAssertEqual(Tensor([-0.0, 1]).description, "tensor([-0., 1.])")
        XCTAssertEqual(Tensor(indices: Array(0..<8), shape: [2, 2, 2]).description,
                       "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])")
        var rg = Tensor([1, 2])
        rg.requiresGrad = true
        XCTAssertEqual(rg.description, "tensor([1., 2.], requires_grad=True)")
        let long = Tensor((0..<30).map { Float($0) / 7 })
        XCTAssertEqual(long.description, """
            tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,
                    1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,
                    2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,
                    3.8571, 4.0000, 4.1429])
            """)
        let big = Tensor((0..<2000).map(Float.init))
        XCTAssertEqual(big.description, """
            tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,
                    1.9990e+03])
            """)
        let big2 = Tensor((0..<2000).map { Float($0) / 3 }, shape: [40, 50])
        XCTAssertEqual(big2.description, """
            tensor([[0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 1.5667e+01, 1.6000e+01,
                     1.6333e+01],
                    [1.6667e+01, 1.7000e+01, 1.7333e+01,  ..., 3.2333e+01, 3.2667e+01,
                     3.3000e+01],
                    [3.3333e+01, 3.3667e+01, 3.4000e+01,  ..., 4.9000e+01, 4.9333e+01,
                     4.9667e+01],
                    ...,
                    [6.1667e+02, 6.1700e+02, 6.1733e+02,  ..., 6.3233e+02, 6.3267e+02,
                     6.3300e+02],
                    [6.3333e+02, 6.3367e+02, 6.3400e+02,  ..., 6.4900e+02, 6.4933e+02,
                     6.4967e+02],
                    [6.5000e+02, 6.5033e+02, 6.5067e+02,  ..., 6.6567e+02, 6.6600e+02,
                     6.6633e+02]])
            """)
        XCTAssertEqual("\(Tensor([1, 2]).viaColumnView)", "tensor([1., 2.])")
    }
}

private extension Tensor {
    /// A 1-d tensor viewed through a reshape round trip (still 1-d), to exercise a view path.
    var viaColumnView: Tensor { reshaped([count, 1]).squeezed(1) }
}
