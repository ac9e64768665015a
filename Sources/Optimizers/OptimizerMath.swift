import TensorCore

/// Float32 scalar helpers and raw-buffer access shared by the fused optimizer loops.
///
/// PyTorch's CPU kernels use fused multiply-add in `add(alpha=)`, `addcmul` and `lerp` (vectorized
/// `fmadd`), but not in `addcdiv`; the loops mirror that so results match torch to the last bit in
/// nearly every element. `fma` goes through Double: the product of two floats is exact there, so
/// only a (very rarely visible) double rounding separates it from a hardware FMA, without a libm
/// call per element on targets built without FMA instructions.
///
/// The optimizer loops are written so the compiler can vectorize them: plain functions of raw
/// pointers (no closure context), loop-invariant choices as selects rather than branches, and no
/// conditional stores (variants get their own loop). Vectorizing `squareRoot()` also needs the
/// target's `-Xcc -fno-math-errno` (otherwise it is an errno-setting `sqrtf` call).
enum OptimizerMath {
    /// a·b + c with one (double-precision) rounding of the product.
    @inline(__always)
    static func fma(_ a: Float, _ b: Float, _ c: Float) -> Float {
        Float(Double(a) * Double(b) + Double(c))
    }

    /// torch.lerp(start, end, weight) as ATen's vector kernel computes it for a scalar weight:
    /// `fma(weight, end − start, start)` for |weight| < 0.5, else `fma(weight − 1, end − start, end)`.
    @inline(__always)
    static func lerp(_ start: Float, _ end: Float, _ weight: Float) -> Float {
        let small = Swift.abs(weight) < 0.5
        return fma(small ? weight : weight - 1, end - start, small ? start : end)
    }

    /// torch.maximum: NaN wins.
    @inline(__always)
    static func maximum(_ a: Float, _ b: Float) -> Float {
        let m = a > b ? a : b
        return a.isNaN || b.isNaN ? .nan : m
    }

    /// A float32 tensor with the elements of `t` laid out densely (shares `t`'s bytes when already so).
    static func denseFloats(_ t: Tensor) -> Tensor {
        var c = t.dtype == .float32 ? t : t.to(.float32)
        if !c.isContiguous { c = c.contiguousCopy() }
        return c.detach()
    }

    /// Read pointer to the first element of a dense float32 tensor (see `denseFloats`).
    @inline(__always)
    static func readPointer(_ t: Tensor) -> UnsafePointer<Float> {
        UnsafePointer(t.storage.base.assumingMemoryBound(to: Float.self) + t.layout.offset)
    }

    /// Makes `t`'s storage private, dense and offset-free, then returns a pointer to it; valid while
    /// `t` is alive and not reassigned.
    @inline(__always)
    static func writePointer(_ t: inout Tensor) -> UnsafeMutablePointer<Float> {
        t.withMutableFloats { _ in }
        return t.storage.base.assumingMemoryBound(to: Float.self)
    }

    /// Takes buffer `key` out of `state` for in-place updating, or makes one filled with `fill`.
    ///
    /// A buffer loaded from elsewhere with another dtype is converted; one with another shape is a
    /// programmer error (the load functions check shapes and report them as typed errors).
    static func takeBuffer(_ state: inout OptimizerState, _ key: String, shape: [Int], fill: Float,
                           parameter name: String, op: String) -> Tensor {
        guard var t = state.take(key) else {
            return fill == 0 ? Tensor(zeros: shape) : Tensor(repeating: fill, shape: shape)
        }
        precondition(t.shape == shape,
                      "\(op): state '\(key)' of parameter '\(name)' has shape \(t.shape), parameter has shape \(shape)")
        if t.dtype != .float32 { t = t.to(.float32) }
        return t.detach()
    }

    /// The gradient of `parameter` as a dense float32 tensor, checked against the value's shape.
    static func gradient(_ grad: Tensor, of value: Tensor, name: String, op: String) -> Tensor {
        precondition(grad.shape == value.shape,
                     "\(op): gradient of '\(name)' has shape \(grad.shape), parameter has shape \(value.shape)")
        precondition(value.dtype == .float32, "\(op): parameter '\(name)' is \(value.dtype); optimizers update float32 parameters")
        return denseFloats(grad)
    }
}
