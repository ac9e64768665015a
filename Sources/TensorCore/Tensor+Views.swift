// Views share storage with their source: reshape, permute/transpose, expand, slice, squeeze.
// Each is differentiable; its backward rule is the inverse view (or a sum/scatter for expand/slice).

extension Tensor {
    /// Same elements in a new shape; one dimension may be -1. Views when contiguous, else copies.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        let known = s.filter { $0 != -1 }.reduce(1, *)
        let unknown = s.firstIndex(of: -1)
        precondition(s.filter { $0 == -1 }.count <= 1 && s.allSatisfy { $0 >= -1 },
                     "reshape: invalid target shape \(newShape)")
        if let u = unknown {
            precondition(known > 0 && count % known == 0, "reshape: cannot reshape \(shape) (\(count) elements) into \(newShape)")
            s[u] = count / known
        }
        precondition(s.reduce(1, *) == count, "reshape: cannot reshape \(shape) (\(count) elements) into \(newShape)")
        if s == shape { return self }
        let src = isContiguous ? self : contiguousCopy()
        let r = Tensor(storage: src.storage, layout: Layout(shape: s, offset: src.layout.offset))
        let old = shape
        return Tensor.record("reshape", r, inputs: [self]) { g in [g.reshaped(old)] }
    }

    /// Alias of `reshaped`, PyTorch's name.
    public func view(_ newShape: [Int]) -> Tensor { reshaped(newShape) }

    /// Flattens dims `start...end` into one (PyTorch `flatten`).
    public func flattened(from start: Int = 0, to end: Int = -1) -> Tensor {
        if rank == 0 { return reshaped([1]) }
        let s = normalizeAxis(start, op: "flatten"), e = normalizeAxis(end, op: "flatten")
        precondition(s <= e, "flatten: start \(start) after end \(end) for shape \(shape)")
        let mid = shape[s...e].reduce(1, *)
        return reshaped(Array(shape[..<s]) + [mid] + Array(shape[(e + 1)...]))
    }

    /// Reorders dimensions (a view).
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.count == rank && Set(order.map { normalizeAxis($0, op: "permute") }).count == rank,
                     "permute: \(order) is not a permutation of \(rank) dims (shape \(shape))")
        let o = order.map { normalizeAxis($0, op: "permute") }
        let r = Tensor(storage: storage,
                       layout: Layout(shape: o.map { shape[$0] }, strides: o.map { layout.strides[$0] }, offset: layout.offset))
        var inverse = [Int](repeating: 0, count: rank)
        for (i, d) in o.enumerated() { inverse[d] = i }
        return Tensor.record("permute", r, inputs: [self]) { g in [g.permuted(inverse)] }
    }

    /// Swaps two dimensions (a view).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var o = Array(0..<rank)
        o.swapAt(normalizeAxis(a, op: "transpose"), normalizeAxis(b, op: "transpose"))
        return permuted(o)
    }

    /// Transpose of a 2-d tensor (PyTorch `.t()`).
    public var T: Tensor {
        precondition(rank == 2, "T: needs a 2-d tensor, got shape \(shape)")
        return transposed(0, 1)
    }

    /// Broadcast view to `target` (stride 0 on stretched dims), without autodiff.
    public func expanded(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(target.count >= rank, "expand: cannot expand \(shape) to \(target)")
        for i in 0..<rank {
            let d = shape[i], t = target[target.count - rank + i]
            precondition(d == t || d == 1, "expand: cannot expand \(shape) to \(target)")
        }
        return Tensor(storage: storage, layout: Layout(shape: target, strides: Kernels.broadcastStrides(layout, to: target),
                                                        offset: layout.offset))
    }

    /// Differentiable broadcast view; the backward sums over the stretched dims.
    public func expand(_ target: [Int]) -> Tensor {
        let r = expanded(to: target).detach()
        let old = shape
        return Tensor.record("expand", r, inputs: [self]) { g in [g.sumTo(old)] }
    }

    /// Elements `start..<end` along `axis` (a view).
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = normalizeAxis(axis, op: "slice")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "slice: range \(range) out of bounds for axis \(axis) of size \(shape[a]) (shape \(shape))")
        var l = layout
        l.shape[a] = range.count
        l.offset += range.lowerBound * layout.strides[a]
        let r = Tensor(storage: storage, layout: l)
        let full = shape
        return Tensor.record("slice", r, inputs: [self]) { g in
            var z = Tensor(zeros: full)
            z.assign(g, axis: a, at: range.lowerBound)
            return [z]
        }
    }

    /// Row `i` of the first axis, removing that axis (like `t[i]`).
    public subscript(i: Int) -> Tensor {
        precondition(rank >= 1, "subscript: cannot index a 0-d tensor")
        let ii = i < 0 ? i + shape[0] : i
        precondition(ii >= 0 && ii < shape[0], "subscript: index \(i) out of range for size \(shape[0])")
        return slice(axis: 0, ii..<(ii + 1)).squeezed(0)
    }

    /// Inserts a dimension of size 1 at `axis` (a view).
    public func unsqueezed(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "unsqueeze: axis \(axis) out of range for shape \(shape)")
        var l = layout
        l.shape.insert(1, at: a)
        l.strides.insert(a < rank ? layout.strides[a] * shape[a] : 1, at: a)
        return view(layout: l, op: "unsqueeze")
    }

    /// Removes dimension `axis`, which must have size 1 (a view).
    public func squeezed(_ axis: Int) -> Tensor {
        let a = normalizeAxis(axis, op: "squeeze")
        precondition(shape[a] == 1, "squeeze: axis \(axis) has size \(shape[a]), not 1 (shape \(shape))")
        var l = layout
        l.shape.remove(at: a)
        l.strides.remove(at: a)
        return view(layout: l, op: "squeeze")
    }

    /// A view with the same elements in another layout; the gradient reshapes back.
    private func view(layout l: Layout, op: String) -> Tensor {
        let old = shape
        return Tensor.record(op, Tensor(storage: storage, layout: l), inputs: [self]) { g in [g.reshaped(old)] }
    }

    /// Writes `src` into this tensor along `axis` starting at `start` (in place, copy-on-write).
    public mutating func assign(_ src: Tensor, axis: Int, at start: Int) {
        let a = normalizeAxis(axis, op: "assign")
        precondition(src.rank == rank && start >= 0 && start + src.shape[a] <= shape[a],
                     "assign: cannot place \(src.shape) at \(start) along axis \(axis) of \(shape)")
        for d in 0..<rank where d != a {
            precondition(src.shape[d] == shape[d], "assign: shape \(src.shape) does not fit \(shape) outside axis \(axis)")
        }
        withMutableFloats { _ in }
        var dst = layout
        dst.shape = src.shape
        dst.offset += start * layout.strides[a]
        let base = storage.base.assumingMemoryBound(to: Float.self)
        let s = src.dtype == .float32 ? src : src.to(.float32)
        let sb = s.storage.base.assumingMemoryBound(to: Float.self)
        withExtendedLifetime(s) {
            StridedIndex.forEach2(shape: s.shape, dst.strides, dst.offset, s.layout.strides, s.layout.offset) { i, j in
                base[i] = sb[j]
            }
        }
    }
}
