import Foundation
import TensorCore

/// Normalizes over the trailing `normalizedShape` dimensions, like `torch.nn.LayerNorm`.
///
/// Keys `weight` (ones) and `bias` (zeros), both shaped `normalizedShape`, when `elementwiseAffine`.
/// Forward and backward are direct loops over rows of the trailing elements, with PyTorch's CPU
/// formulas (biased variance, rstd = 1/√(var + eps), y = (x·rstd − mean·rstd)·γ + β).
public final class LayerNorm: Module, @unchecked Sendable {
    /// The trailing dimensions normalized together.
    public let normalizedShape: [Int]
    /// Added to the variance before the square root.
    public let eps: Float
    /// Whether there are learnable per-element `weight` and `bias`.
    public let elementwiseAffine: Bool
    /// Whether the affine part includes `bias` (PyTorch's `bias=` argument).
    public let hasBias: Bool
    /// Scale γ, shaped `normalizedShape`.
    @OptionalParam public var weight: Tensor?
    /// Shift β, shaped `normalizedShape`.
    @OptionalParam public var bias: Tensor?

    /// PyTorch's defaults: eps 1e-5, affine with bias.
    public init(_ normalizedShape: [Int], eps: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        precondition(!normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 },
                     "LayerNorm: normalized_shape must be non-empty and positive, got \(normalizedShape)")
        self.normalizedShape = normalizedShape
        self.eps = eps
        self.elementwiseAffine = elementwiseAffine
        self.hasBias = elementwiseAffine && bias
        _weight = OptionalParam(wrappedValue: elementwiseAffine ? Tensor(repeating: 1, shape: normalizedShape) : nil)
        _bias = OptionalParam(wrappedValue: elementwiseAffine && bias ? Tensor(zeros: normalizedShape) : nil)
        super.init()
    }

    /// Normalizing the last dimension of size `features`.
    public convenience init(_ features: Int, eps: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        self.init([features], eps: eps, elementwiseAffine: elementwiseAffine, bias: bias)
    }

    /// Normalizes each row of the trailing `normalizedShape` elements.
    public override func forward(_ x: Tensor) -> Tensor {
        let k = normalizedShape.count
        precondition(x.rank >= k && Array(x.shape.suffix(k)) == normalizedShape,
                     "LayerNorm(\(normalizedShape)): input shape \(x.shape) does not end with \(normalizedShape)")
        precondition(x.dtype == .float32, "LayerNorm: expected a float32 input, got \(x.dtype)")
        let d = normalizedShape.reduce(1, *), rows = x.count / d
        let xd = x.detach().contiguous()
        let gamma = weight?.toArray(), beta = bias?.toArray()
        var mean = [Float](repeating: 0, count: rows), rstd = [Float](repeating: 0, count: rows)
        let y = xd.withFloats { p in
            Tensor.filled(x.shape) { o in
                for r in 0..<rows {
                    let row = p + r * d, out = o + r * d
                    var sum = 0.0
                    for j in 0..<d { sum += Double(row[j]) }
                    let m = sum / Double(d)
                    var sq = 0.0
                    for j in 0..<d { let dv = Double(row[j]) - m; sq += dv * dv }
                    let v = Float(sq / Double(d))
                    let rs = 1 / (Swift.max(v, 0) + eps).squareRoot()
                    let mf = Float(m)
                    mean[r] = mf
                    rstd[r] = rs
                    let shift = -rs * mf
                    for j in 0..<d {
                        let h = row[j] * rs + shift
                        out[j] = h * (gamma?[j] ?? 1) + (beta?[j] ?? 0)
                    }
                }
            }
        }
        let params = [weight, bias].compactMap { $0 }
        let (hasW, hasB) = (weight != nil, bias != nil)
        let needInput = x.gradNode != nil
        let shape = normalizedShape
        return Tensor.record("layer_norm", y, inputs: [x] + params) { g in
            LayerNorm.backward(g, xd, mean: mean, rstd: rstd, gamma: gamma, rows: rows, d: d,
                               needInput: needInput, hasWeight: hasW, hasBias: hasB, paramShape: shape)
        }
    }

    /// PyTorch's `layer_norm_backward_cpu` formulas: dx = rstd·dy·γ + b·x + c per row.
    static func backward(_ g: Tensor, _ x: Tensor, mean: [Float], rstd: [Float], gamma: [Float]?, rows: Int, d: Int,
                         needInput: Bool, hasWeight: Bool, hasBias: Bool, paramShape: [Int]) -> [Tensor?] {
        var dgamma = [Double](repeating: 0, count: hasWeight ? d : 0)
        var dbeta = [Double](repeating: 0, count: hasBias ? d : 0)
        var dx: Tensor?
        g.contiguous().withFloats { pg in
            x.withFloats { px in
                for r in 0..<rows {
                    let gr = pg + r * d, xr = px + r * d
                    let m = mean[r], rs = rstd[r]
                    for j in 0..<dgamma.count { dgamma[j] += Double(gr[j] * (xr[j] - m) * rs) }
                    for j in 0..<dbeta.count { dbeta[j] += Double(gr[j]) }
                }
                guard needInput else { return }
                dx = Tensor.filled(x.shape) { o in
                    for r in 0..<rows {
                        let gr = pg + r * d, xr = px + r * d
                        var ds = 0.0, db = 0.0
                        for j in 0..<d {
                            let gg = Double(gr[j] * (gamma?[j] ?? 1))
                            ds += gg * Double(xr[j])
                            db += gg
                        }
                        let m = Double(mean[r]), rs = Double(rstd[r]), n = Double(d)
                        let b = (db * m - ds) * rs * rs * rs / n
                        let c = -b * m - db * rs / n
                        for j in 0..<d {
                            let gg = Double(gr[j] * (gamma?[j] ?? 1))
                            o[r * d + j] = Float(rs * gg + b * Double(xr[j]) + c)
                        }
                    }
                }
            }
        }
        var grads: [Tensor?] = [dx]
        if hasWeight { grads.append(Tensor(dgamma.map { Float($0) }, shape: paramShape)) }
        if hasBias { grads.append(Tensor(dbeta.map { Float($0) }, shape: paramShape)) }
        return grads
    }

    /// PyTorch's class name.
    public override var typeName: String { "LayerNorm" }

    /// `(6,), eps=1e-05, elementwise_affine=True, bias=True` as PyTorch prints it.
    public override var extraDescription: String {
        "\(PyRepr.tuple(normalizedShape)), eps=\(PyRepr.float(eps)), "
            + "elementwise_affine=\(PyRepr.bool(elementwiseAffine)), bias=\(PyRepr.bool(bias != nil))"
    }
}
