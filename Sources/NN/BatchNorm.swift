import Foundation
import TensorCore

/// Batch normalization over the channel dimension 1, shared by `BatchNorm1d` and `BatchNorm2d`
/// (PyTorch's `_BatchNorm`).
///
/// Keys `weight`, `bias` (when `affine`; `bias` unless built with `bias: false`), `running_mean`, `running_var`, `num_batches_tracked`
/// (int64, shape []; when `trackRunningStats`). In training the batch's biased variance normalizes
/// and its unbiased variance enters `running_var`; in evaluation the running statistics normalize.
/// `freezeStatistics` keeps a training module on its running statistics without updating them, the
/// usual way to fine-tune with frozen BatchNorm statistics while `weight`/`bias` still train.
/// Forward and backward are direct loops over the [N, C, S] view with PyTorch's CPU arithmetic
/// (Double accumulation, Float mean, Double 1/√(var + eps)).
open class BatchNorm: Module, @unchecked Sendable {
    /// Channels C.
    public let numFeatures: Int
    /// Added to the variance before the square root.
    public let eps: Float
    /// Weight of the newest batch in the running averages; nil = cumulative moving average.
    public let momentum: Float?
    /// Whether there is a learnable `weight` (ones) and, unless built with `bias: false`, `bias` (zeros).
    public let affine: Bool
    /// Whether running statistics exist (and are used in evaluation).
    public let trackRunningStats: Bool
    /// Normalize with (and never update) the running statistics even in training mode.
    public var freezeStatistics: Bool = false
    /// Per-channel scale γ [C], when `affine`.
    @OptionalParam public var weight: Tensor?
    /// Per-channel shift β [C], when `affine` and built with `bias`.
    @OptionalParam public var bias: Tensor?
    /// Running mean [C], when `trackRunningStats`.
    @OptionalBufferSlot public var runningMean: Tensor?
    /// Running (unbiased) variance [C], when `trackRunningStats`.
    @OptionalBufferSlot public var runningVar: Tensor?
    /// Training batches seen, int64 shape [], when `trackRunningStats`.
    @OptionalBufferSlot public var numBatchesTracked: Tensor?

    /// PyTorch's defaults: eps 1e-5, momentum 0.1, affine with bias, tracking running statistics.
    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true, bias: Bool = true) {
        precondition(numFeatures > 0, "BatchNorm: num_features must be positive, got \(numFeatures)")
        precondition(eps >= 0, "BatchNorm: eps must be non-negative, got \(eps)")
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.trackRunningStats = trackRunningStats
        _weight = OptionalParam(wrappedValue: affine ? Tensor(repeating: 1, shape: [numFeatures]) : nil)
        _bias = OptionalParam(wrappedValue: affine && bias ? Tensor(zeros: [numFeatures]) : nil)
        _runningMean = OptionalBufferSlot(wrappedValue: trackRunningStats ? Tensor(zeros: [numFeatures]) : nil,
                                          key: "running_mean")
        _runningVar = OptionalBufferSlot(wrappedValue: trackRunningStats ? Tensor(repeating: 1, shape: [numFeatures]) : nil,
                                         key: "running_var")
        _numBatchesTracked = OptionalBufferSlot(wrappedValue: trackRunningStats ? Tensor(int64: [0], shape: []) : nil,
                                                key: "num_batches_tracked")
        super.init()
    }

    /// Checks the input rank (subclasses state what they accept).
    open func checkInputRank(_ x: Tensor) {}

    /// Resets running statistics to mean 0, variance 1 and zero batches (PyTorch's `reset_running_stats`).
    public func resetRunningStats() {
        guard trackRunningStats else { return }
        runningMean = Tensor(zeros: [numFeatures])
        runningVar = Tensor(repeating: 1, shape: [numFeatures])
        numBatchesTracked = Tensor(int64: [0], shape: [])
    }

    /// Normalizes `x` of shape [N, C, ...].
    open override func forward(_ x: Tensor) -> Tensor {
        checkInputRank(x)
        precondition(x.rank >= 2 && x.shape[1] == numFeatures,
                     "\(typeName)(\(numFeatures)): input shape \(x.shape) does not have \(numFeatures) channels in dim 1")
        precondition(x.dtype == .float32, "\(typeName): expected a float32 input, got \(x.dtype)")
        let hasRunning = runningMean != nil && runningVar != nil
        let useBatchStats = (training && !freezeStatistics) || !hasRunning
        let n = x.shape[0], c = numFeatures, s = x.shape.dropFirst(2).reduce(1, *)
        let perChannel = n * s
        if training && !freezeStatistics {
            precondition(perChannel > 1,
                         "\(typeName): expected more than 1 value per channel when training, got input shape \(x.shape)")
        }
        let xd = x.detach().contiguous()
        var mean = [Float](repeating: 0, count: c)
        var invstd = [Float](repeating: 0, count: c)
        if useBatchStats {
            var varSum = [Float](repeating: 0, count: c)
            xd.withFloats { p in
                for ch in 0..<c {
                    var sum = 0.0
                    for b in 0..<n {
                        let row = p + (b * c + ch) * s
                        for i in 0..<s { sum += Double(row[i]) }
                    }
                    let m = Float(sum / Double(perChannel))
                    var sq = 0.0
                    for b in 0..<n {
                        let row = p + (b * c + ch) * s
                        for i in 0..<s { let d = row[i] - m; sq += Double(d * d) }
                    }
                    mean[ch] = m
                    varSum[ch] = Float(sq)
                }
            }
            for ch in 0..<c {
                let biased = varSum[ch] / Float(perChannel)
                invstd[ch] = Float(1 / (Double(biased) + Double(eps)).squareRoot())
            }
            if training && !freezeStatistics && trackRunningStats && hasRunning {
                updateRunningStats(mean: mean, varSum: varSum, count: perChannel)
            }
        } else {
            mean = runningMean!.toArray()
            let rv = runningVar!.toArray()
            for ch in 0..<c { invstd[ch] = 1 / (rv[ch] + eps).squareRoot() }
        }
        let gamma = weight?.toArray() ?? [Float](repeating: 1, count: c)
        let beta = bias?.toArray() ?? [Float](repeating: 0, count: c)
        var alpha = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
        for ch in 0..<c {
            alpha[ch] = invstd[ch] * gamma[ch]
            shift[ch] = beta[ch] - mean[ch] * alpha[ch]
        }
        let y = xd.withFloats { p in
            Tensor.filled(x.shape) { o in
                for b in 0..<n {
                    for ch in 0..<c {
                        let base = (b * c + ch) * s
                        let a = alpha[ch], sh = shift[ch]
                        for i in 0..<s { o[base + i] = p[base + i] * a + sh }
                    }
                }
            }
        }
        let inputs = [x] + [weight, bias].compactMap { $0 }
        let (hasW, hasB) = (weight != nil, bias != nil)
        let needInput = x.gradNode != nil
        return Tensor.record("batch_norm", y, inputs: inputs) { g in
            BatchNorm.backward(g, xd, mean: mean, invstd: invstd, gamma: gamma, batchStats: useBatchStats,
                               n: n, c: c, s: s, needInput: needInput, hasWeight: hasW, hasBias: hasB)
        }
    }

    /// PyTorch's running-average update: momentum (or 1/num_batches_tracked), unbiased batch variance.
    private func updateRunningStats(mean: [Float], varSum: [Float], count: Int) {
        let tracked = (numBatchesTracked?.toInt64Array().first ?? 0) + 1
        numBatchesTracked = Tensor(int64: [tracked], shape: [])
        let factor: Float = momentum ?? Float(1 / Double(tracked))
        var rm = runningMean!.toArray(), rv = runningVar!.toArray()
        for ch in 0..<numFeatures {
            rm[ch] = factor * mean[ch] + (1 - factor) * rm[ch]
            let unbiased = Double(varSum[ch] / Float(count - 1))
            rv[ch] = Float(Double(factor) * unbiased + Double((1 - factor) * rv[ch]))
        }
        runningMean = Tensor(rm, shape: [numFeatures])
        runningVar = Tensor(rv, shape: [numFeatures])
    }

    /// Gradients of input, weight and bias (PyTorch's `batch_norm_cpu_backward`): with batch
    /// statistics the mean and variance depend on the input; with running statistics they are constants.
    static func backward(_ g: Tensor, _ x: Tensor, mean: [Float], invstd: [Float], gamma: [Float], batchStats: Bool,
                         n: Int, c: Int, s: Int, needInput: Bool, hasWeight: Bool, hasBias: Bool) -> [Tensor?] {
        let count = n * s
        var sumDy = [Float](repeating: 0, count: c), dot = [Float](repeating: 0, count: c)
        let gd = g.contiguous()
        var dx: Tensor?
        gd.withFloats { pg in
            x.withFloats { px in
                for ch in 0..<c {
                    var sg = 0.0, sd = 0.0
                    let m = mean[ch]
                    for b in 0..<n {
                        let base = (b * c + ch) * s
                        for i in 0..<s {
                            let gy = pg[base + i]
                            sg += Double(gy)
                            sd += Double((px[base + i] - m) * gy)
                        }
                    }
                    sumDy[ch] = Float(sg)
                    dot[ch] = Float(sd)
                }
                guard needInput else { return }
                dx = Tensor.filled(x.shape) { o in
                    for ch in 0..<c {
                        let m = mean[ch], istd = invstd[ch], w = gamma[ch]
                        if batchStats {
                            let k = dot[ch] * istd * istd / Float(count)
                            let gradMean = sumDy[ch] / Float(count)
                            for b in 0..<n {
                                let base = (b * c + ch) * s
                                for i in 0..<s {
                                    let d = (px[base + i] - m) * k
                                    o[base + i] = (pg[base + i] - gradMean - d) * istd * w
                                }
                            }
                        } else {
                            let a = istd * w
                            for b in 0..<n {
                                let base = (b * c + ch) * s
                                for i in 0..<s { o[base + i] = pg[base + i] * a }
                            }
                        }
                    }
                }
            }
        }
        var grads: [Tensor?] = [dx]
        if hasWeight { grads.append(Tensor((0..<c).map { dot[$0] * invstd[$0] }, shape: [c])) }
        if hasBias { grads.append(Tensor(sumDy, shape: [c])) }
        return grads
    }

    /// PyTorch's `extra_repr`: `4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True`.
    open override var extraDescription: String {
        "\(numFeatures), eps=\(PyRepr.float(eps)), momentum=\(momentum.map(PyRepr.float) ?? "None"), "
            + "affine=\(PyRepr.bool(affine)), bias=\(PyRepr.bool(bias != nil)), "
            + "track_running_stats=\(PyRepr.bool(trackRunningStats))"
    }
}

/// Batch normalization of [N, C] or [N, C, L] inputs, like `torch.nn.BatchNorm1d`.
public final class BatchNorm1d: BatchNorm, @unchecked Sendable {
    /// Requires a 2-d or 3-d input.
    public override func checkInputRank(_ x: Tensor) {
        precondition(x.rank == 2 || x.rank == 3, "BatchNorm1d: expected 2D or 3D input, got shape \(x.shape)")
    }

    /// PyTorch's class name.
    public override var typeName: String { "BatchNorm1d" }
}

/// Batch normalization of [N, C, H, W] inputs, like `torch.nn.BatchNorm2d`.
public final class BatchNorm2d: BatchNorm, @unchecked Sendable {
    /// Requires a 4-d input.
    public override func checkInputRank(_ x: Tensor) {
        precondition(x.rank == 4, "BatchNorm2d: expected 4D input, got shape \(x.shape)")
    }

    /// PyTorch's class name.
    public override var typeName: String { "BatchNorm2d" }
}

extension Module {
    /// Sets `freezeStatistics` on every BatchNorm in this module tree (fine-tuning with frozen statistics).
    public func freezeBatchNormStatistics(_ frozen: Bool = true) {
        for (_, m) in namedModules() { (m as? BatchNorm)?.freezeStatistics = frozen }
    }
}
