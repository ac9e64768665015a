import Foundation
import TensorCore

// Cross-entropy and NLL with class-index targets as one fused loop each way: cross-entropy sits on
// the training hot path, and composing log-softmax, gather, masking and the weighted mean from
// separate ops would allocate and walk the logits several times per step.
//
// The input is viewed as [outer, C, inner] (C = classes, inner = product of trailing dims); each
// "row" is the C values of one target position, `inner` floats apart.

extension Loss {
    /// Class-index targets checked against the input and laid out one per row.
    struct ClassIndexTargets {
        let outer: Int
        let classes: Int
        let inner: Int
        /// Target per row, row-major over (outer, inner).
        let values: [Int64]
        /// Shape of the unreduced loss (the target's shape).
        let shape: [Int]
    }

    /// Validates dtype, shape and range of class-index targets (preconditions name op, index and C).
    static func classIndexTargets(op: String, input: Tensor, target: Tensor, ignoreIndex: Int) -> ClassIndexTargets {
        precondition(target.dtype == .int64 || target.dtype == .int32 || target.dtype == .uint8,
                     "\(op): class-index target must be int64 or int32, got \(target.dtype) of shape \(target.shape) "
                     + "(class probabilities must be float32 with the input's shape \(input.shape))")
        let classes = input.rank == 1 ? input.shape[0] : input.shape[1]
        let expected = input.rank == 1 ? [] : [input.shape[0]] + Array(input.shape.dropFirst(2))
        precondition(target.shape == expected,
                     "\(op): target shape \(target.shape) does not fit input shape \(input.shape) (expected \(expected))")
        let values = target.toInt64Array()
        let ignore = Int64(ignoreIndex)
        for (k, t) in values.enumerated() where t != ignore {
            precondition(t >= 0 && t < Int64(classes),
                         "\(op): target \(t) at position \(k) is out of range for \(classes) classes (valid 0..<\(classes), ignoreIndex \(ignoreIndex))")
        }
        let outer = input.rank == 1 ? 1 : input.shape[0]
        let inner = input.rank <= 2 ? 1 : input.shape.dropFirst(2).reduce(1, *)
        return ClassIndexTargets(outer: outer, classes: classes, inner: inner, values: values, shape: target.shape)
    }

    /// Fused (log-softmax +) gather + weighting + smoothing + reduction, with a fused backward rule.
    static func classIndexLoss(op: String, input: Tensor, target: Tensor, weight: Tensor?, ignoreIndex: Int,
                               labelSmoothing eps: Float, reduction: Reduction, applyLogSoftmax: Bool) -> Tensor {
        let tg = classIndexTargets(op: op, input: input, target: target, ignoreIndex: ignoreIndex)
        // Unit weights when none are given: multiplying by 1 is exact, so one loop serves both.
        let w: [Float] = weight.map { checkWeight($0, classes: tg.classes, op: op); return $0.toArray() }
            ?? [Float](repeating: 1, count: tg.classes)
        let rows = tg.outer * tg.inner
        let geometry = RowGeometry(outer: tg.outer, classes: tg.classes, inner: tg.inner, ignore: Int64(ignoreIndex),
                                   eps: eps, logSoftmax: applyLogSoftmax)
        let x = dense(input.detach())
        // Softmax probabilities kept for the backward pass, so it needs no second round of exp.
        let needsGrad = applyLogSoftmax && input.requiresGrad && GradMode.isEnabled
        let probs = needsGrad ? Storage(uninitialized: .float32, count: x.count) : nil
        let perRow = reduction == .none ? Storage(uninitialized: .float32, count: rows) : nil
        let sums = withExtendedLifetime((x, probs, perRow)) {
            w.withUnsafeBufferPointer { pw in
                tg.values.withUnsafeBufferPointer { pt in
                    geometry.forward(floats(x), weights: pw, targets: pt,
                                     probs: probs?.base.assumingMemoryBound(to: Float.self),
                                     perRow: perRow?.base.assumingMemoryBound(to: Float.self))
                }
            }
        }
        let result: Tensor
        switch reduction {
        case .none:
            result = Tensor(storage: perRow!, layout: Layout(shape: tg.shape))
        case .sum:
            let v = eps > 0 ? Double(geometry.oneMinusEps) * sums.nll + sums.smooth * Double(geometry.epsPerClass) : sums.nll
            result = Tensor(scalar: Float(v))
        case .mean:
            // 0/0 (everything ignored, or zero total weight) is NaN, as in PyTorch.
            let v = eps > 0
                ? Double(geometry.oneMinusEps) * (sums.nll / sums.weight) + (sums.smooth / sums.weight) * Double(geometry.epsPerClass)
                : sums.nll / sums.weight
            result = Tensor(scalar: Float(v))
        }
        let normalizer: Float = reduction == .mean ? Float(sums.weight) : 1
        let inShape = input.shape, targets = tg.values
        return Tensor.record(applyLogSoftmax ? "cross_entropy" : "nll_loss", result, inputs: [input]) { g in
            let gc = dense(g)
            let out = Storage(uninitialized: .float32, count: inShape.reduce(1, *))
            withExtendedLifetime((gc, probs)) {
                w.withUnsafeBufferPointer { pw in
                    targets.withUnsafeBufferPointer { pt in
                        geometry.backward(upstream: floats(gc), perRowUpstream: reduction == .none,
                                          normalizer: normalizer, weights: pw, targets: pt,
                                          probs: probs?.base.assumingMemoryBound(to: Float.self),
                                          into: out.base.assumingMemoryBound(to: Float.self))
                    }
                }
            }
            return [Tensor(storage: out, layout: Layout(shape: inShape))]
        }
    }

    /// The [outer, C, inner] view and options shared by the fused forward and backward loops.
    struct RowGeometry {
        let outer: Int, classes: Int, inner: Int
        let ignore: Int64
        let eps: Float
        let logSoftmax: Bool
        var oneMinusEps: Float { 1 - eps }
        var epsPerClass: Float { eps / Float(classes) }

        /// Writes per-row losses (when asked) and softmax probabilities (when asked); returns
        /// Σ w_t·nll, Σ smoothing terms and Σ w_t over the non-ignored rows.
        func forward(_ px: UnsafePointer<Float>, weights w: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Int64>,
                     probs: UnsafeMutablePointer<Float>?, perRow: UnsafeMutablePointer<Float>?)
            -> (nll: Double, smooth: Double, weight: Double) {
            var nllSum = 0.0, smoothSum = 0.0, totalWeight = 0.0
            let smoothing = eps > 0, oneMinusEps = self.oneMinusEps, epsPerClass = self.epsPerClass
            for o in 0..<outer {
                for i in 0..<inner {
                    let j = o * inner + i
                    let t = targets[j]
                    let base = o * classes * inner + i
                    if t == ignore {
                        perRow?[j] = 0
                        if let probs { for c in 0..<classes { probs[base + c * inner] = 0 } }
                        continue
                    }
                    let row = px + base
                    var m: Float = 0, logZ: Float = 0
                    if logSoftmax {
                        m = -.infinity
                        for c in 0..<classes { m = Swift.max(m, row[c * inner]) }
                        var z: Float = 0
                        if let probs {
                            let q = probs + base
                            for c in 0..<classes { let e = Foundation.exp(row[c * inner] - m); q[c * inner] = e; z += e }
                            let inv = 1 / z
                            for c in 0..<classes { q[c * inner] *= inv }
                        } else {
                            for c in 0..<classes { z += Foundation.exp(row[c * inner] - m) }
                        }
                        logZ = Foundation.log(z)
                    }
                    let wt = w[Int(t)]
                    // Same operation order as PyTorch's log_softmax: (x − max) − log Σexp.
                    let lpt = logSoftmax ? (row[Int(t) * inner] - m) - logZ : row[Int(t) * inner]
                    let nll = -lpt * wt
                    nllSum += Double(nll)
                    totalWeight += Double(wt)
                    if smoothing {
                        var s: Float = 0
                        for c in 0..<classes {
                            let lp = logSoftmax ? (row[c * inner] - m) - logZ : row[c * inner]
                            s += lp * w[c]
                        }
                        smoothSum -= Double(s)
                        perRow?[j] = oneMinusEps * nll + (-s) * epsPerClass
                    } else {
                        perRow?[j] = nll
                    }
                }
            }
            return (nllSum, smoothSum, totalWeight)
        }

        /// Input gradient of every row (ignored rows get 0).
        ///
        /// Per row, d log p_c = −a·[c = t] − b·w_c with a = (1−ε)·w_t·g/norm and b = ε/C·g/norm;
        /// through log-softmax, dx_c = d log p_c + p_c·(a + b·Σw).
        func backward(upstream pg: UnsafePointer<Float>, perRowUpstream: Bool, normalizer: Float,
                      weights w: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Int64>,
                      probs: UnsafePointer<Float>?, into dx: UnsafeMutablePointer<Float>) {
            precondition(!logSoftmax || probs != nil, "crossEntropy: backward without saved probabilities")
            var weightSum: Float = 0
            for c in 0..<classes { weightSum += w[c] }
            let smoothing = eps > 0, oneMinusEps = self.oneMinusEps, epsPerClass = self.epsPerClass
            for o in 0..<outer {
                for i in 0..<inner {
                    let j = o * inner + i
                    let t = targets[j]
                    let base = o * classes * inner + i
                    if t == ignore {
                        for c in 0..<classes { dx[base + c * inner] = 0 }
                        continue
                    }
                    let scale = (perRowUpstream ? pg[j] : pg[0]) / normalizer
                    let a = oneMinusEps * w[Int(t)] * scale
                    let b = smoothing ? epsPerClass * scale : 0
                    if let probs {
                        let k = a + b * weightSum
                        for c in 0..<classes { dx[base + c * inner] = probs[base + c * inner] * k - b * w[c] }
                    } else {
                        for c in 0..<classes { dx[base + c * inner] = -b * w[c] }
                    }
                    dx[base + Int(t) * inner] -= a
                }
            }
        }
    }
}
