import TensorCore

/// Element-wise comparison of two same-shape tensors in float64 (any dtypes).
///
/// NaN handling: positions where both are NaN count as equal; positions where exactly one is NaN
/// are counted in `nanMismatches` and left out of the differences. Equal infinities differ by 0;
/// other positions with an infinity differ by infinity.
struct TensorComparison: Equatable {
    /// Largest |a - b| over the compared positions.
    var maxAbsDiff: Double = 0
    /// `maxAbsDiff / max(max|a|, max|b|)` over finite values; 0 when both are all zero.
    var relDiff: Double = 0
    /// Positions where a != b (NaN mismatches included).
    var differing: Int = 0
    /// Positions where exactly one side is NaN.
    var nanMismatches: Int = 0

    /// Whether every element matched.
    var identical: Bool { differing == 0 }

    /// Compares `a` and `b`; their shapes must agree (the caller reports shape differences).
    init(_ a: Tensor, _ b: Tensor) {
        precondition(a.shape == b.shape, "TensorComparison: shapes \(a.shape) and \(b.shape) differ")
        let ca = a.contiguousCopy(), cb = b.contiguousCopy()
        var scale = 0.0
        withExtendedLifetime((ca, cb)) {
            let pa = UnsafeRawPointer(ca.storage.base), pb = UnsafeRawPointer(cb.storage.base)
            for i in 0..<ca.count {
                let x = DTypeCodec.readDouble(pa, i, ca.dtype), y = DTypeCodec.readDouble(pb, i, cb.dtype)
                if x.isNaN || y.isNaN {
                    if x.isNaN != y.isNaN { nanMismatches += 1; differing += 1 }
                    continue
                }
                if x.isFinite { scale = Swift.max(scale, Swift.abs(x)) }
                if y.isFinite { scale = Swift.max(scale, Swift.abs(y)) }
                if x == y { continue }
                differing += 1
                maxAbsDiff = Swift.max(maxAbsDiff, Swift.abs(x - y))
            }
        }
        relDiff = maxAbsDiff == 0 ? 0 : (scale == 0 ? .infinity : maxAbsDiff / scale)
    }
}
