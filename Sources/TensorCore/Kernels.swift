import CKernels
import Foundation

/// Forward-only float32 loops shared by the differentiable ops (no autodiff here).
public enum Kernels {
    /// The instruction set the C kernels (CKernels) run with here: "avx512f", "avx2" or "baseline".
    public static var isa: String { String(cString: cairn_kernels_isa()) }

    /// NumPy/PyTorch broadcasting of two shapes; a precondition names the op when they do not fit.
    public static func broadcastShape(_ a: [Int], _ b: [Int], op: String) -> [Int] {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            precondition(da == db || da == 1 || db == 1,
                         "\(op): shapes \(a) and \(b) cannot be broadcast together (dim \(i): \(da) vs \(db))")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Strides that read `layout` as if broadcast to `shape` (0 on stretched dimensions).
    public static func broadcastStrides(_ layout: Layout, to shape: [Int]) -> [Int] {
        let r = shape.count, lr = layout.rank
        var s = [Int](repeating: 0, count: r)
        for i in 0..<lr {
            let j = r - lr + i
            s[j] = layout.shape[i] == 1 && shape[j] != 1 ? 0 : layout.strides[i]
        }
        return s
    }

    /// Cores available, read once (ProcessInfo is slow to ask on every call).
    static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Runs `body` over `0..<n`: as `0..<split` and `split..<n` on two cores when `parallel` and the
    /// machine has them, else in one call. The callers' ranges write disjoint memory.
    @inline(__always)
    static func inTwo(_ n: Int, split: Int, parallel: Bool, _ body: (Range<Int>) -> Void) {
        guard parallel, cores > 1, split > 0, split < n else { body(0..<n); return }
        DispatchQueue.concurrentPerform(iterations: 2) { t in body(t == 0 ? 0..<split : split..<n) }
    }

    /// Runs `body` over `0..<n`, in two halves on two cores from 2^18 elements: element-wise loops
    /// are memory-bound there, and each core brings its own cache and bandwidth (below that, the
    /// hand-off costs more than it saves). The split is a multiple of 16 floats (vector-aligned).
    @inline(__always)
    static func halves(_ n: Int, _ body: (Range<Int>) -> Void) {
        inTwo(n, split: (n / 2 + 15) & ~15, parallel: n >= 1 << 18, body)
    }

    /// out[i] = f(a[i]) for a float32 tensor of any layout; the result is contiguous.
    @inline(__always)
    public static func unary(_ a: Tensor, _ f: (Float) -> Float) -> Tensor {
        withoutActuallyEscaping(f) { map(a, ClosureMap(f: $0)) }
    }

    /// out = f(a, b) with broadcasting; the result is contiguous.
    @inline(__always)
    public static func binary(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) -> Tensor {
        withoutActuallyEscaping(f) { map(a, b, op: op, ClosureMap2(f: $0)) }
    }

    /// out[i] = m(a[i]) for a float32 tensor of any layout; the result is contiguous.
    static func map<M: ElementMap>(_ a: Tensor, _ m: M) -> Tensor {
        precondition(a.dtype == .float32, "unary op: expected float32, got \(a.dtype)")
        let n = a.count
        let out = Storage(uninitialized: .float32, count: n)
        let po = out.base.assumingMemoryBound(to: Float.self)
        if a.isContiguous {
            let pa = a.floatPointer
            halves(n) { r in for i in r { po[i] = m(pa[i]) } }
        } else {
            let base = a.storage.base.assumingMemoryBound(to: Float.self)
            var o = 0
            StridedIndex.forEach(shape: a.shape, strides: a.layout.strides, offset: a.layout.offset) { i in
                po[o] = m(base[i]); o += 1
            }
        }
        return withExtendedLifetime(a) { Tensor(storage: out, layout: Layout(shape: a.shape)) }
    }

    /// out = m(a, b) with broadcasting; the result is contiguous.
    static func map<M: ElementMap2>(_ a: Tensor, _ b: Tensor, op: String, _ m: M) -> Tensor {
        precondition(a.dtype == .float32 && b.dtype == .float32, "\(op): expected float32 operands, got \(a.dtype) and \(b.dtype)")
        let shape = a.shape == b.shape ? a.shape : broadcastShape(a.shape, b.shape, op: op)
        let n = shape.reduce(1, *)
        let out = Storage(uninitialized: .float32, count: n)
        let po = out.base.assumingMemoryBound(to: Float.self)
        withExtendedLifetime((a, b)) {
            if a.shape == b.shape && a.isContiguous && b.isContiguous {
                let pa = a.floatPointer, pb = b.floatPointer
                halves(n) { r in for i in r { po[i] = m(pa[i], pb[i]) } }
            } else if b.count == 1 && a.isContiguous && a.count == n {
                let pa = a.floatPointer, s = b.floatPointerAnyLayout.pointee
                for i in 0..<n { po[i] = m(pa[i], s) }
            } else if a.count == 1 && b.isContiguous && b.count == n {
                let pb = b.floatPointer, s = a.floatPointerAnyLayout.pointee
                for i in 0..<n { po[i] = m(s, pb[i]) }
            } else {
                let sa = broadcastStrides(a.layout, to: shape), sb = broadcastStrides(b.layout, to: shape)
                let ba = a.storage.base.assumingMemoryBound(to: Float.self)
                let bb = b.storage.base.assumingMemoryBound(to: Float.self)
                var o = 0
                StridedIndex.forEach2(shape: shape, sa, a.layout.offset, sb, b.layout.offset) { ia, ib in
                    po[o] = m(ba[ia], bb[ib]); o += 1
                }
            }
        }
        return Tensor(storage: out, layout: Layout(shape: shape))
    }

    /// out = f(a, b, c) with broadcasting of all three (used by `where` and fused optimizer math).
    @inline(__always)
    public static func ternary(_ a: Tensor, _ b: Tensor, _ c: Tensor, op: String,
                               _ f: (Float, Float, Float) -> Float) -> Tensor {
        let shape = broadcastShape(broadcastShape(a.shape, b.shape, op: op), c.shape, op: op)
        let ea = a.expanded(to: shape).contiguous(), eb = b.expanded(to: shape).contiguous(),
            ec = c.expanded(to: shape).contiguous()
        let n = shape.reduce(1, *)
        let out = Storage(uninitialized: .float32, count: n)
        let po = out.base.assumingMemoryBound(to: Float.self)
        withExtendedLifetime((ea, eb, ec)) {
            let pa = ea.floatPointer, pb = eb.floatPointer, pc = ec.floatPointer
            for i in 0..<n { po[i] = f(pa[i], pb[i], pc[i]) }
        }
        return Tensor(storage: out, layout: Layout(shape: shape))
    }
}

extension Tensor {
    /// Pointer to the first viewed element, whatever the layout (for one-element reads).
    var floatPointerAnyLayout: UnsafeMutablePointer<Float> {
        storage.base.assumingMemoryBound(to: Float.self) + layout.offset
    }
}

/// An element-wise float operation known by its type: the generic `Kernels.map` loops specialize
/// on it and inline it. A closure handed through the two-core split stayed an indirect call per
/// element that did not vectorize (ReLU alone was ~20 % of the CNN step's main thread).
protocol ElementMap {
    /// The value for one element.
    func callAsFunction(_ x: Float) -> Float
}

/// The two-operand form of `ElementMap`.
protocol ElementMap2 {
    /// The value for one pair of elements.
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

/// A closure as an `ElementMap` (for the many rarely hot ops written as closures).
struct ClosureMap: ElementMap {
    let f: (Float) -> Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { f(x) }
}

/// A closure as an `ElementMap2`.
struct ClosureMap2: ElementMap2 {
    let f: (Float, Float) -> Float
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { f(a, b) }
}
