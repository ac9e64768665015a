import Foundation
import TensorCore
import NN

/// Scales all gradients together so their combined norm is at most `maxNorm`, like
/// `torch.nn.utils.clip_grad_norm_`, and returns the total norm before clipping.
///
/// Each gradient's `normType`-norm (2 by default; `.infinity` for the largest magnitude) is
/// computed, then the norm of those norms; every gradient is multiplied by
/// `min(maxNorm / (total + 1e-6), 1)` (float32, as torch does — including the multiply by 1).
/// Parameters without a gradient are ignored. A non-finite total is returned as is (check
/// `isFinite` where torch's `error_if_nonfinite=True` would raise); gradients then become NaN,
/// as in torch.
@discardableResult
public func clipGradNorm(_ params: [Parameter], maxNorm: Double, normType: Double = 2) -> Float {
    precondition(normType > 0, "clipGradNorm: normType must be positive or .infinity, got \(normType)")
    let withGrad = params.filter { $0.grad != nil }
    if withGrad.isEmpty { return 0 }
    let norms = withGrad.map { p -> Float in
        let g = OptimizerMath.denseFloats(p.grad!)
        return withExtendedLifetime(g) { norm(OptimizerMath.readPointer(g), g.count, normType) }
    }
    let total = norms.withUnsafeBufferPointer { norm($0.baseAddress!, $0.count, normType) }
    // torch: clip_coef = max_norm / (total_norm + 1e-6) with `__rtruediv__` = reciprocal() * max_norm.
    let coef = Swift.min((1 / (total + Float(1e-6))) * Float(maxNorm), 1)
    for p in withGrad { scaleGradient(p) { $0 * coef } }
    return total
}

/// Clamps every gradient element to `[-clipValue, clipValue]` (torch.nn.utils.clip_grad_value_).
public func clipGradValue(_ params: [Parameter], clipValue: Double) {
    precondition(clipValue >= 0, "clipGradValue: clipValue must be non-negative, got \(clipValue)")
    let hi = Float(clipValue), lo = -Float(clipValue)
    for p in params where p.grad != nil {
        scaleGradient(p) { x in x.isNaN ? x : Swift.min(Swift.max(x, lo), hi) }
    }
}

/// The `p`-norm of `n` floats, accumulated in Double and rounded once to float32.
private func norm(_ x: UnsafePointer<Float>, _ n: Int, _ p: Double) -> Float {
    if p.isInfinite {
        var m: Float = 0
        for i in 0..<n {
            let a = Swift.abs(x[i])
            if a.isNaN { return .nan }
            if a > m { m = a }
        }
        return m
    }
    var acc = 0.0
    if p == 2 {
        for i in 0..<n { let d = Double(x[i]); acc += d * d }
        return Float(acc.squareRoot())
    }
    if p == 1 {
        for i in 0..<n { acc += Swift.abs(Double(x[i])) }
        return Float(acc)
    }
    for i in 0..<n { acc += pow(Swift.abs(Double(x[i])), p) }
    return Float(pow(acc, 1 / p))
}

/// Rewrites a parameter's gradient elementwise, in place when nothing else shares its storage.
private func scaleGradient(_ p: Parameter, _ f: (Float) -> Float) {
    guard var g = p.grad.map(OptimizerMath.denseFloats) else { return }
    // Detaching the gradient from the parameter first leaves `g` as the only owner of its bytes.
    p.setGrad(nil)
    g.withMutableFloats { b in for i in 0..<b.count { b[i] = f(b[i]) } }
    p.setGrad(g)
}
