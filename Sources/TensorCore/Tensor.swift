/// An n-d array: shared copy-on-write `Storage` plus a `Layout` view, with an optional autodiff node.
///
/// `Tensor` is a value: copies share bytes until one of them is mutated, and a mutation is never
/// visible through another copy. Compute ops work in `float32`; other dtypes hold exact values
/// read from or written to checkpoints and convert with `to(_:)`.
public struct Tensor: @unchecked Sendable {
    /// The bytes this tensor views.
    public internal(set) var storage: Storage
    /// Shape, strides and offset into `storage`.
    public internal(set) var layout: Layout
    /// Autodiff bookkeeping; nil for tensors that do not require gradients.
    var node: GradNode?

    /// Wraps a storage and a layout (no copy).
    public init(storage: Storage, layout: Layout) {
        precondition(layout.count == 0 || (layout.offset >= 0 && layout.storageExtent <= storage.count),
                     "Tensor: layout \(layout.shape) at offset \(layout.offset) exceeds storage of \(storage.count) elements")
        self.storage = storage
        self.layout = layout
        self.node = nil
    }

    /// A zero-filled tensor.
    public init(zeros shape: [Int], dtype: DType = .float32) {
        Tensor.checkShape(shape, op: "zeros")
        self.init(storage: Storage(dtype: dtype, count: shape.reduce(1, *)), layout: Layout(shape: shape))
    }

    /// A tensor filled with one value.
    public init(repeating value: Float, shape: [Int]) {
        Tensor.checkShape(shape, op: "full")
        let n = shape.reduce(1, *)
        let s = Storage(uninitialized: .float32, count: n)
        s.base.bindMemory(to: Float.self, capacity: n).update(repeating: value, count: n)
        self.init(storage: s, layout: Layout(shape: shape))
    }

    /// A float32 tensor from row-major values.
    public init(_ values: [Float], shape: [Int]) {
        Tensor.checkShape(shape, op: "init")
        precondition(values.count == shape.reduce(1, *),
                     "Tensor: \(values.count) values do not fill shape \(shape)")
        let s = Storage(uninitialized: .float32, count: values.count)
        values.withUnsafeBytes { if $0.count > 0 { s.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        self.init(storage: s, layout: Layout(shape: shape))
    }

    /// A 1-d float32 tensor.
    public init(_ values: [Float]) { self.init(values, shape: [values.count]) }

    /// A 0-d float32 tensor.
    public init(scalar: Float) { self.init([scalar], shape: []) }

    /// An int64 tensor (class indices, counters).
    public init(int64 values: [Int64], shape: [Int]) {
        Tensor.checkShape(shape, op: "init")
        precondition(values.count == shape.reduce(1, *), "Tensor: \(values.count) values do not fill shape \(shape)")
        let s = Storage(uninitialized: .int64, count: values.count)
        values.withUnsafeBytes { if $0.count > 0 { s.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        self.init(storage: s, layout: Layout(shape: shape))
    }

    /// An int64 tensor from Swift `Int`s.
    public init(indices: [Int], shape: [Int]? = nil) {
        self.init(int64: indices.map(Int64.init), shape: shape ?? [indices.count])
    }

    /// A float32 tensor of ones (`torch.ones`).
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// A zero-filled tensor (`torch.zeros`).
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor { Tensor(zeros: shape, dtype: dtype) }

    /// A float32 tensor filled with `value` (`torch.full`).
    public static func full(_ shape: [Int], _ value: Float) -> Tensor { Tensor(repeating: value, shape: shape) }

    /// Zeros of `other`'s shape and dtype, without history.
    public static func zerosLike(_ other: Tensor) -> Tensor { Tensor(zeros: other.shape, dtype: other.dtype) }

    /// Float32 ones of `other`'s shape, without history.
    public static func onesLike(_ other: Tensor) -> Tensor { ones(other.shape) }

    /// 0, 1, …, end-1 as int64 (`torch.arange(end)`).
    public static func arange(_ end: Int) -> Tensor { arange(0, end) }

    /// start, start+step, … up to but excluding `end`, as int64 (`torch.arange(start, end, step)`).
    public static func arange(_ start: Int, _ end: Int, step: Int = 1) -> Tensor {
        precondition(step != 0, "arange: step must be non-zero")
        let n = Swift.max(0, step > 0 ? (end - start + step - 1) / step : (start - end - step - 1) / -step)
        return Tensor(int64: (0..<n).map { Int64(start + $0 * step) }, shape: [n])
    }

    /// Float32 range like `torch.arange(start, end, step)` with float arguments: the count is
    /// ⌈(end − start) / step⌉ and element i is start + i·step, both in double as PyTorch computes them.
    public static func arange(from start: Double, to end: Double, step: Double = 1) -> Tensor {
        precondition(step != 0 && step.isFinite && start.isFinite && end.isFinite,
                     "arange: bad range \(start)..<\(end) step \(step)")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<n).map { Float(start + Double($0) * step) }, shape: [n])
    }

    /// The n×m float32 identity (`torch.eye`); m defaults to n.
    public static func eye(_ n: Int, _ m: Int? = nil) -> Tensor {
        let cols = m ?? n
        var t = Tensor(zeros: [n, cols])
        t.withMutableFloats { p in for i in 0..<Swift.min(n, cols) { p[i * cols + i] = 1 } }
        return t
    }

    static func checkShape(_ shape: [Int], op: String) {
        precondition(shape.allSatisfy { $0 >= 0 }, "\(op): negative dimension in shape \(shape)")
    }

    /// Dimensions, outermost first.
    public var shape: [Int] { layout.shape }
    /// Number of dimensions.
    public var rank: Int { layout.rank }
    /// Number of elements.
    public var count: Int { layout.count }
    /// Element type.
    public var dtype: DType { storage.dtype }
    /// Whether the elements are dense and row-major.
    public var isContiguous: Bool { layout.isContiguous }

    /// Size of dimension `dim` (negative counts from the end).
    public func size(_ dim: Int) -> Int { shape[normalizeAxis(dim, op: "size")] }

    /// Maps a possibly negative axis to 0..<rank, with a message naming the op when out of range.
    public func normalizeAxis(_ axis: Int, op: String) -> Int {
        let r = Swift.max(rank, 1)
        let a = axis < 0 ? axis + r : axis
        precondition(a >= 0 && a < r, "\(op): axis \(axis) out of range for shape \(shape)")
        return a
    }
}

// MARK: - Element access

extension Tensor {
    /// Calls `body` with a pointer to the first float32 element of this contiguous tensor.
    @inline(__always)
    func withContiguousFloats<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        precondition(dtype == .float32, "expected float32 tensor, got \(dtype)")
        if isContiguous {
            return try body(storage.base.assumingMemoryBound(to: Float.self) + layout.offset)
        }
        let c = contiguous()
        return try withExtendedLifetime(c) { try body(c.storage.base.assumingMemoryBound(to: Float.self) + c.layout.offset) }
    }

    /// Pointer to the first element; valid only while `self` is alive and contiguous.
    @inline(__always)
    var floatPointer: UnsafeMutablePointer<Float> {
        storage.base.assumingMemoryBound(to: Float.self) + layout.offset
    }

    /// Makes the storage unique, writable, contiguous and offset-free, then exposes it for in-place writes.
    public mutating func withMutableFloats<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(dtype == .float32, "withMutableFloats: expected float32 tensor, got \(dtype)")
        if !isKnownUniquelyReferenced(&storage) || storage.isReadOnly || !isContiguous
            || layout.offset != 0 || storage.count != count {
            let c = contiguousCopy()
            storage = c.storage
            layout = c.layout
        }
        return try body(UnsafeMutableBufferPointer(start: floatPointer, count: count))
    }

    /// Float32 values in row-major order (converting other dtypes).
    public func toArray() -> [Float] {
        let t = dtype == .float32 ? self : to(.float32)
        return t.withContiguousFloats { Array(UnsafeBufferPointer(start: $0, count: t.count)) }
    }

    /// Int64 values in row-major order (converting other dtypes, truncating floats toward zero).
    public func toInt64Array() -> [Int64] {
        let t = dtype == .int64 ? self.contiguous() : to(.int64)
        let p = t.storage.base.assumingMemoryBound(to: Int64.self) + t.layout.offset
        return Array(UnsafeBufferPointer(start: p, count: t.count))
    }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, not 1")
        return toArray()[0]
    }

    /// Dense row-major copy when not already contiguous; otherwise self (sharing storage).
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        return contiguousCopy().withGraph(from: self)
    }

    /// Always-fresh dense copy of the elements, any dtype, without autodiff history.
    public func contiguousCopy() -> Tensor {
        let n = count
        let out = Storage(uninitialized: dtype, count: n)
        let es = dtype.byteSize
        if isContiguous {
            if n > 0 { out.base.copyMemory(from: storage.base + layout.offset * es, byteCount: n * es) }
        } else {
            switch es {
            case 8: Tensor.gatherStrided(UInt64.self, from: storage.base, layout: layout, into: out.base)
            case 4: Tensor.gatherStrided(UInt32.self, from: storage.base, layout: layout, into: out.base)
            case 2: Tensor.gatherStrided(UInt16.self, from: storage.base, layout: layout, into: out.base)
            default: Tensor.gatherStrided(UInt8.self, from: storage.base, layout: layout, into: out.base)
            }
        }
        return Tensor(storage: out, layout: Layout(shape: shape))
    }

    /// Copies the elements of a strided view into dense row-major order, moving whole elements
    /// as `E` (an unsigned type of the element's width) instead of byte by byte.
    @inline(__always)
    static func gatherStrided<E: BitwiseCopyable>(_: E.Type, from src: UnsafeMutableRawPointer, layout: Layout,
                                 into dst: UnsafeMutableRawPointer) {
        let es = MemoryLayout<E>.size
        var o = 0
        // Raw unaligned loads: borrowed (mmap) storage need not be aligned to the element size.
        StridedIndex.forEach(shape: layout.shape, strides: layout.strides, offset: layout.offset) { i in
            dst.storeBytes(of: src.loadUnaligned(fromByteOffset: i * es, as: E.self), toByteOffset: o * es, as: E.self)
            o += 1
        }
    }

    /// Keeps the contiguous copy connected to the original in the autodiff graph.
    func withGraph(from source: Tensor) -> Tensor {
        guard source.requiresGrad, GradMode.isEnabled else { return self }
        return Tensor.record("contiguous", self, inputs: [source]) { g in [g] }
    }
}

/// Iteration over the storage indices of a strided layout, innermost dimension fastest.
public enum StridedIndex {
    /// Calls `body` with each storage index in row-major order of `shape`.
    @inline(__always)
    public static func forEach(shape: [Int], strides: [Int], offset: Int, _ body: (Int) -> Void) {
        let rank = shape.count
        if shape.contains(0) { return }
        if rank == 0 { body(offset); return }
        let inner = shape[rank - 1], innerStride = strides[rank - 1]
        var idx = [Int](repeating: 0, count: rank)
        var base = offset
        while true {
            var p = base
            for _ in 0..<inner { body(p); p += innerStride }
            var d = rank - 2
            while d >= 0 {
                idx[d] += 1
                base += strides[d]
                if idx[d] < shape[d] { break }
                base -= strides[d] * shape[d]
                idx[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }

    /// Like `forEach` for two layouts of the same shape walked in lockstep.
    @inline(__always)
    public static func forEach2(shape: [Int], _ sa: [Int], _ oa: Int, _ sb: [Int], _ ob: Int,
                                _ body: (Int, Int) -> Void) {
        let rank = shape.count
        if shape.contains(0) { return }
        if rank == 0 { body(oa, ob); return }
        let inner = shape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1]
        var idx = [Int](repeating: 0, count: rank)
        var baseA = oa, baseB = ob
        while true {
            var pa = baseA, pb = baseB
            for _ in 0..<inner { body(pa, pb); pa += ia; pb += ib }
            var d = rank - 2
            while d >= 0 {
                idx[d] += 1
                baseA += sa[d]; baseB += sb[d]
                if idx[d] < shape[d] { break }
                baseA -= sa[d] * shape[d]; baseB -= sb[d] * shape[d]
                idx[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}
