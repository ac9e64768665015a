import Foundation
import TensorCore

/// How a loss combines its per-element values, as PyTorch's `reduction` argument.
public enum Reduction: String, Sendable, CaseIterable {
    case none, mean, sum
}

/// PyTorch-compatible loss functions with `torch.nn.functional` semantics, edge cases included.
///
/// Non-finite values are never clamped or masked: a NaN or Inf in the inputs shows up in the loss
/// (and its gradient) exactly as in PyTorch. Deciding what to do about it is the trainer's job
/// (check `loss.item.isFinite` before stepping).
public enum Loss {
    /// Cross-entropy of `logits` against class indices or class probabilities (`F.cross_entropy`).
    ///
    /// - `logits`: `[N, C]`, `[N, C, d1, ...]` or unbatched `[C]`.
    /// - `target`: int64/int32/uint8 class indices of shape `[N, d1, ...]` (`[]` when unbatched),
    ///   or float32 probabilities with exactly the shape of `logits`.
    /// - `weight`: optional per-class rescaling of shape `[C]`. With class indices and `.mean`,
    ///   the sum is divided by the summed weights of the non-ignored targets (NaN when that is 0).
    /// - `ignoreIndex`: targets equal to it contribute nothing (class-index targets only).
    /// - `labelSmoothing`: ε in [0, 1]; the loss becomes `(1-ε)·nll + ε/C · Σ_c −w_c·log p_c`.
    public static func crossEntropy(_ logits: Tensor, _ target: Tensor, weight: Tensor? = nil,
                                    ignoreIndex: Int = -100, labelSmoothing: Float = 0,
                                    reduction: Reduction = .mean) -> Tensor {
        precondition(labelSmoothing >= 0 && labelSmoothing <= 1,
                     "crossEntropy: labelSmoothing must be in [0, 1], got \(labelSmoothing)")
        precondition(logits.dtype == .float32, "crossEntropy: logits must be float32, got \(logits.dtype)")
        precondition(logits.rank >= 1, "crossEntropy: logits must have at least 1 dimension, got shape \(logits.shape)")
        if target.shape == logits.shape {
            precondition(target.dtype == .float32,
                         "crossEntropy: a target with the logits' shape \(logits.shape) holds class probabilities and must be float32, got \(target.dtype)")
            return probabilityCrossEntropy(logits, target, weight: weight, labelSmoothing: labelSmoothing,
                                           reduction: reduction)
        }
        return classIndexLoss(op: "crossEntropy", input: logits, target: target, weight: weight,
                              ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing,
                              reduction: reduction, applyLogSoftmax: true)
    }

    /// Negative log-likelihood of class indices given log-probabilities (`F.nll_loss`).
    ///
    /// Shapes, `weight`, `ignoreIndex` and the weighted mean follow `crossEntropy` with class indices.
    public static func nllLoss(_ logProbs: Tensor, _ target: Tensor, weight: Tensor? = nil,
                               ignoreIndex: Int = -100, reduction: Reduction = .mean) -> Tensor {
        precondition(logProbs.dtype == .float32, "nllLoss: input must be float32, got \(logProbs.dtype)")
        precondition(logProbs.rank >= 1, "nllLoss: input must have at least 1 dimension, got shape \(logProbs.shape)")
        return classIndexLoss(op: "nllLoss", input: logProbs, target: target, weight: weight,
                              ignoreIndex: ignoreIndex, labelSmoothing: 0, reduction: reduction,
                              applyLogSoftmax: false)
    }

    /// Squared error `(input − target)²` with broadcasting (`F.mse_loss`).
    public static func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        precondition(input.dtype == .float32 && target.dtype == .float32,
                     "mseLoss: expected float32 input and target, got \(input.dtype) \(input.shape) and \(target.dtype) \(target.shape)")
        return reduce((input - target).square(), reduction)
    }

    /// Absolute error `|input − target|` with broadcasting (`F.l1_loss`; gradient 0 where equal).
    public static func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        precondition(input.dtype == .float32 && target.dtype == .float32,
                     "l1Loss: expected float32 input and target, got \(input.dtype) \(input.shape) and \(target.dtype) \(target.shape)")
        return reduce((input - target).abs(), reduction)
    }

    /// Binary cross-entropy on logits (`F.binary_cross_entropy_with_logits`), in the stable
    /// `(1−t)·x − L·logσ(x)` form with `L = 1 + (posWeight − 1)·t` and `logσ(x) = min(x,0) − log1p(e^−|x|)`.
    ///
    /// `weight` rescales each element and `posWeight` the positive term; both broadcast against
    /// `logits`. Gradients flow to `logits` and `target` (as in PyTorch, not to the weights).
    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, _ target: Tensor, weight: Tensor? = nil,
                                                    posWeight: Tensor? = nil,
                                                    reduction: Reduction = .mean) -> Tensor {
        let op = "binaryCrossEntropyWithLogits"
        precondition(logits.dtype == .float32 && target.dtype == .float32,
                     "\(op): expected float32 logits and target, got \(logits.dtype) \(logits.shape) and \(target.dtype) \(target.shape)")
        precondition(logits.shape == target.shape,
                     "\(op): target shape \(target.shape) must equal logits shape \(logits.shape)")
        var shape = logits.shape
        if let weight {
            precondition(weight.dtype == .float32, "\(op): weight must be float32, got \(weight.dtype)")
            shape = Kernels.broadcastShape(shape, weight.shape, op: op + " weight")
        }
        if let posWeight {
            precondition(posWeight.dtype == .float32, "\(op): posWeight must be float32, got \(posWeight.dtype)")
            shape = Kernels.broadcastShape(shape, posWeight.shape, op: op + " posWeight")
        }
        let x = dense(logits.detach().expanded(to: shape)), t = dense(target.detach().expanded(to: shape))
        let w = weight.map { dense($0.detach().expanded(to: shape)) }
        let pw = posWeight.map { dense($0.detach().expanded(to: shape)) }
        let n = shape.reduce(1, *)
        let loss = Storage(uninitialized: .float32, count: n)
        withExtendedLifetime((x, t, w, pw)) {
            let px = floats(x), pt = floats(t), pl = loss.base.assumingMemoryBound(to: Float.self)
            let pwp = pw.map(floats), wp = w.map(floats)
            for i in 0..<n {
                let xi = px[i], ti = pt[i]
                var logSig = logSigmoid(xi)
                if let pwp { logSig *= (pwp[i] - 1) * ti + 1 }
                var l = (1 - ti) * xi - logSig
                if let wp { l *= wp[i] }
                pl[i] = l
            }
        }
        let (inShape, tShape) = (logits.shape, target.shape)
        let needsTargetGrad = target.requiresGrad
        let elementwise = Tensor.record("binary_cross_entropy_with_logits", Tensor(storage: loss, layout: Layout(shape: shape)),
                                        inputs: [logits, target]) { g in
            let gc = dense(g)
            var gx = Tensor(zeros: shape), gt = Tensor(zeros: needsTargetGrad ? shape : [0])
            withExtendedLifetime((gc, x, t, w, pw)) {
                let pg = floats(gc), px = floats(x), pt = floats(t)
                let pwp = pw.map(floats), wp = w.map(floats)
                gx.withMutableFloats { dx in
                    gt.withMutableFloats { dt in
                        for i in 0..<n {
                            let xi = px[i], ti = pt[i]
                            let gi = wp.map { pg[i] * $0[i] } ?? pg[i]
                            let sig = sigmoid(xi)
                            if let pwp {
                                let p = pwp[i]
                                dx[i] = ((p * ti + 1 - ti) * sig - p * ti) * gi
                                if needsTargetGrad { dt[i] = ((1 - p) * logSigmoid(xi) - xi) * gi }
                            } else {
                                dx[i] = (sig - ti) * gi
                                if needsTargetGrad { dt[i] = -xi * gi }
                            }
                        }
                    }
                }
            }
            return [gx.sumTo(inShape), needsTargetGrad ? gt.sumTo(tShape) : nil]
        }
        return reduce(elementwise, reduction)
    }

    /// Applies PyTorch's `reduction` to per-element losses (the mean of an empty tensor is NaN).
    public static func reduce(_ loss: Tensor, _ reduction: Reduction) -> Tensor {
        switch reduction {
        case .none: return loss
        case .sum: return loss.sum()
        case .mean: return loss.mean()
        }
    }

    // MARK: - Probability targets

    /// `−Σ_c w_c·t_c·log_softmax(x)_c`, composed from differentiable ops so `target` gets a gradient too.
    static func probabilityCrossEntropy(_ logits: Tensor, _ target: Tensor, weight: Tensor?,
                                        labelSmoothing eps: Float, reduction: Reduction) -> Tensor {
        let classDim = logits.rank == 1 ? 0 : 1
        let classes = logits.shape[classDim]
        let logp = logits.logSoftmax(axis: classDim)
        let t = eps > 0 ? target * (1 - eps) + eps / Float(classes) : target
        var prod = logp * t
        if let weight {
            checkWeight(weight, classes: classes, op: "crossEntropy")
            var wShape = [Int](repeating: 1, count: logits.rank)
            wShape[classDim] = classes
            prod = prod * weight.detach().reshaped(wShape)
        }
        switch reduction {
        case .none: return -prod.sum(axis: classDim)
        case .sum: return -prod.sum()
        case .mean:
            // PyTorch divides by the number of positions (numel / C), NaN when there are none.
            let positions = classes == 0 ? 0 : logits.count / classes
            return -prod.sum() / Float(positions)
        }
    }

    static func checkWeight(_ weight: Tensor, classes: Int, op: String) {
        precondition(weight.dtype == .float32 && weight.shape == [classes],
                     "\(op): weight must be float32 of shape [\(classes)] (one per class), got \(weight.dtype) \(weight.shape)")
    }

    // MARK: - Scalar helpers

    @inline(__always) static func logSigmoid(_ x: Float) -> Float {
        Swift.min(x, 0) - Foundation.log1p(Foundation.exp(-Swift.abs(x)))
    }

    @inline(__always) static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }

    /// A dense, offset-free float32 copy unless already contiguous.
    @inline(__always) static func dense(_ t: Tensor) -> Tensor { t.isContiguous ? t : t.contiguousCopy() }

    /// First element of a contiguous float32 tensor; valid while `t` is alive.
    @inline(__always) static func floats(_ t: Tensor) -> UnsafeMutablePointer<Float> {
        t.storage.base.assumingMemoryBound(to: Float.self) + t.layout.offset
    }
}
