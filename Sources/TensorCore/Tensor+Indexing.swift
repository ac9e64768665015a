// Joining and indexing: concatenate/stack, index-select, gather, one-hot.

extension Tensor {
    /// Joins tensors of one dtype (any) along `axis`; all other dims must match.
    public static func concatenate(_ parts: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!parts.isEmpty, "concatenate: no tensors given")
        let first = parts[0]
        precondition(first.rank > 0, "concatenate: zero-dimensional tensors cannot be concatenated")
        let a = first.normalizeAxis(axis, op: "concatenate")
        var outShape = first.shape
        outShape[a] = 0
        for p in parts {
            precondition(p.rank == first.rank && p.dtype == first.dtype,
                         "concatenate: part of shape \(p.shape) (\(p.dtype)) does not fit \(first.shape) (\(first.dtype))")
            for d in 0..<p.rank where d != a {
                precondition(p.shape[d] == first.shape[d], "concatenate: shapes \(first.shape) and \(p.shape) differ outside axis \(axis)")
            }
            outShape[a] += p.shape[a]
        }
        // Each part is a run of [outer, size_a · inner] elements; copy row blocks of bytes.
        let es = first.dtype.byteSize
        let outer = outShape[..<a].reduce(1, *), inner = outShape[(a + 1)...].reduce(1, *)
        let outRow = outShape[a] * inner * es
        let storage = Storage(uninitialized: first.dtype, count: outShape.reduce(1, *))
        var starts: [Int] = []
        var at = 0
        for p in parts {
            starts.append(at)
            let c = p.contiguous()
            let row = p.shape[a] * inner * es
            if row > 0 {
                withExtendedLifetime(c) {
                    let src = c.storage.base + c.layout.offset * es
                    for o in 0..<outer {
                        (storage.base + o * outRow + at * inner * es).copyMemory(from: src + o * row, byteCount: row)
                    }
                }
            }
            at += p.shape[a]
        }
        let out = Tensor(storage: storage, layout: Layout(shape: outShape))
        let sizes = parts.map { $0.shape[a] }
        return record("concatenate", out, inputs: parts) { g in
            zip(starts, sizes).map { s, n in g.slice(axis: a, s..<(s + n)) }
        }
    }

    /// Stacks equal-shaped tensors along a new `axis`.
    public static func stack(_ parts: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!parts.isEmpty, "stack: no tensors given")
        let a = axis < 0 ? axis + parts[0].rank + 1 : axis
        precondition(a >= 0 && a <= parts[0].rank, "stack: axis \(axis) out of range for parts of shape \(parts[0].shape)")
        for p in parts {
            precondition(p.shape == parts[0].shape, "stack: shapes \(parts[0].shape) and \(p.shape) differ")
        }
        return concatenate(parts.map { $0.unsqueezed(a) }, axis: a)
    }

    /// Rows (along `axis`) picked by `indices`; the gradient adds back into the picked rows.
    /// Works for any dtype; only float32 inputs carry gradients.
    public func indexSelect(axis: Int, indices: [Int]) -> Tensor {
        precondition(rank > 0, "indexSelect: cannot index a 0-d tensor")
        let a = normalizeAxis(axis, op: "indexSelect")
        let n = shape[a]
        for i in indices { precondition(i >= 0 && i < n, "indexSelect: index \(i) out of range for axis \(axis) of size \(n) (shape \(shape))") }
        let c = self.contiguous()
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape
        outShape[a] = indices.count
        let es = dtype.byteSize
        let out = Storage(uninitialized: dtype, count: outer * indices.count * inner)
        withExtendedLifetime(c) {
            let p = c.storage.base + c.layout.offset * es
            for o in 0..<outer {
                for (k, i) in indices.enumerated() {
                    (out.base + (o * indices.count + k) * inner * es).copyMemory(from: p + (o * n + i) * inner * es,
                                                                                 byteCount: inner * es)
                }
            }
        }
        let r = Tensor(storage: out, layout: Layout(shape: outShape))
        let inShape = shape
        return Tensor.record("index_select", r, inputs: [self]) { g in
            var idxShape = [Int](repeating: 1, count: inShape.count)
            idxShape[a] = indices.count
            let idx = Tensor(indices: indices, shape: idxShape).expandedInt(to: outShape)
            return [Tensor.scatterAlong(axis: a, shape: inShape, indices: idx, source: g)]
        }
    }

    /// `indexSelect` with the indices in an integer tensor (PyTorch `index_select`).
    public func indexSelect(axis: Int, index: Tensor) -> Tensor {
        precondition(index.rank <= 1 && !index.dtype.isFloatingPoint,
                     "indexSelect: index must be a 0-d or 1-d integer tensor, got \(index.dtype) of shape \(index.shape)")
        return indexSelect(axis: axis, indices: index.toInt64Array().map { Int($0) })
    }

    /// Int64 broadcast materialized (index tensors for scatter).
    func expandedInt(to target: [Int]) -> Tensor {
        let vals = toInt64Array()
        let src = Tensor(int64: vals, shape: shape)
        let e = Tensor(storage: src.storage, layout: Layout(shape: target, strides: Kernels.broadcastStrides(src.layout, to: target), offset: 0))
        return e.contiguousCopy()
    }

    /// PyTorch `gather`: out[..., j, ...] = self[..., index[..., j, ...], ...] along `axis`.
    public func gather(axis: Int, index: Tensor) -> Tensor {
        precondition(rank > 0, "gather: cannot gather from a 0-d tensor")
        let a = normalizeAxis(axis, op: "gather")
        precondition(index.rank == rank, "gather: index rank \(index.rank) != input rank \(rank)")
        for d in 0..<rank where d != a {
            precondition(index.shape[d] <= shape[d], "gather: index shape \(index.shape) exceeds input \(shape) at dim \(d)")
        }
        precondition(!index.dtype.isFloatingPoint, "gather: index must be an integer tensor, got \(index.dtype)")
        let idx = index.toInt64Array()
        let c = self.contiguous()
        let outShape = index.shape
        let es = dtype.byteSize
        let out = Storage(uninitialized: dtype, count: index.count)
        let inStrides = Layout.contiguousStrides(shape)
        let outStrides = Layout.contiguousStrides(outShape)
        withExtendedLifetime(c) {
            let p = c.storage.base + c.layout.offset * es
            for j in 0..<index.count {
                var rem = j, src = 0
                for d in 0..<rank {
                    let coord = rem / outStrides[d]
                    rem %= outStrides[d]
                    if d == a {
                        let t = Int(idx[j])
                        precondition(t >= 0 && t < shape[a], "gather: index \(t) out of range for axis \(axis) of size \(shape[a])")
                        src += t * inStrides[d]
                    } else { src += coord * inStrides[d] }
                }
                (out.base + j * es).copyMemory(from: p + src * es, byteCount: es)
            }
        }
        let r = Tensor(storage: out, layout: Layout(shape: outShape))
        let inShape = shape
        return Tensor.record("gather", r, inputs: [self]) { g in
            var z = Tensor(zeros: inShape)
            let gc = g.contiguous()
            z.withMutableFloats { pz in
                gc.withContiguousFloats { pg in
                    for j in 0..<idx.count {
                        var rem = j, dst = 0
                        for d in 0..<inShape.count {
                            let coord = rem / outStrides[d]
                            rem %= outStrides[d]
                            dst += (d == a ? Int(idx[j]) : coord) * inStrides[d]
                        }
                        pz[dst] += pg[j]
                    }
                }
            }
            return [z]
        }
    }

    /// One-hot float32 encoding of class indices: shape + [numClasses].
    public static func oneHot(_ indices: Tensor, numClasses: Int) -> Tensor {
        let idx = indices.toInt64Array()
        var out = Tensor(zeros: indices.shape + [numClasses])
        out.withMutableFloats { p in
            for (i, c) in idx.enumerated() {
                precondition(c >= 0 && Int(c) < numClasses, "oneHot: class \(c) out of range 0..<\(numClasses)")
                p[i * numClasses + Int(c)] = 1
            }
        }
        return out
    }
}
