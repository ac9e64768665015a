import TensorCore

// Read/write access to float32 elements for the layers whose forward and backward are direct loops
// (BatchNorm, LayerNorm, Embedding); TensorCore keeps its own pointer accessors internal.

extension Tensor {
    /// Calls `body` with a pointer to this tensor's float32 elements in row-major order (copying
    /// only when it is not contiguous or not float32).
    func withFloats<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        let t = dtype != .float32 ? to(.float32).contiguousCopy() : (isContiguous ? self : contiguousCopy())
        return try withExtendedLifetime(t) {
            try body(UnsafePointer(t.storage.base.assumingMemoryBound(to: Float.self) + t.layout.offset))
        }
    }

    /// A new contiguous float32 tensor of `shape` whose elements `body` writes (all of them).
    static func filled(_ shape: [Int], _ body: (UnsafeMutablePointer<Float>) throws -> Void) rethrows -> Tensor {
        let n = shape.reduce(1, *)
        let s = Storage(uninitialized: .float32, count: n)
        try body(s.base.bindMemory(to: Float.self, capacity: Swift.max(n, 1)))
        return Tensor(storage: s, layout: Layout(shape: shape))
    }
}
