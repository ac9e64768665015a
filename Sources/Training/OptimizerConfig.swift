/// The `optimizer:` section: one of PyTorch's optimizers and its options, with PyTorch's defaults.
///
/// Each optimizer accepts only its own options (`momentum` is an error for adam):
///
/// | name | options (default) |
/// |---|---|
/// | sgd | lr (0.001), momentum (0), dampening (0), weight_decay (0), nesterov (false), maximize (false) |
/// | adam | lr (0.001), betas ([0.9, 0.999]), eps (1e-8), weight_decay (0), amsgrad (false), maximize (false) |
/// | adamw | as adam, weight_decay (0.01) |
/// | rmsprop | lr (0.01), alpha (0.99), eps (1e-8), weight_decay (0), momentum (0), centered (false), maximize (false) |
/// | adagrad | lr (0.01), lr_decay (0), weight_decay (0), initial_accumulator_value (0), eps (1e-10), maximize (false) |
public struct OptimizerConfig: Codable, Equatable, Sendable {
    /// Which optimizer.
    public enum Name: String, Codable, Sendable, CaseIterable {
        case sgd, adam, adamw, rmsprop, adagrad
    }

    /// Which optimizer (default adam).
    public var name: Name
    /// Learning rate.
    public var lr: Double
    /// Weight decay (L2 penalty; decoupled for adamw).
    public var weightDecay: Double
    /// Adam/AdamW `(beta1, beta2)`.
    public var betas: [Double]
    /// Term added to the denominator (adam, adamw, rmsprop, adagrad).
    public var eps: Double
    /// AMSGrad variant (adam, adamw).
    public var amsgrad: Bool
    /// Momentum factor (sgd, rmsprop).
    public var momentum: Double
    /// Dampening for momentum (sgd).
    public var dampening: Double
    /// Nesterov momentum (sgd; needs momentum > 0 and dampening 0).
    public var nesterov: Bool
    /// Smoothing constant (rmsprop).
    public var alpha: Double
    /// Normalize by the estimated variance of the gradient (rmsprop).
    public var centered: Bool
    /// Learning-rate decay (adagrad).
    public var lrDecay: Double
    /// Starting value of the sum of squares (adagrad).
    public var initialAccumulatorValue: Double
    /// Maximize the objective instead of minimizing.
    public var maximize: Bool

    /// An optimizer with PyTorch's defaults for `name`.
    public init(name: Name = .adam, lr: Double? = nil) {
        self.name = name
        self.lr = lr ?? (name == .rmsprop || name == .adagrad ? 1e-2 : 1e-3)
        weightDecay = name == .adamw ? 1e-2 : 0
        betas = [0.9, 0.999]
        eps = name == .adagrad ? 1e-10 : 1e-8
        amsgrad = false
        momentum = 0
        dampening = 0
        nesterov = false
        alpha = 0.99
        centered = false
        lrDecay = 0
        initialAccumulatorValue = 0
        maximize = false
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, lr, weightDecay = "weight_decay", betas, eps, amsgrad, momentum, dampening, nesterov, alpha, centered
        case lrDecay = "lr_decay", initialAccumulatorValue = "initial_accumulator_value", maximize
    }

    /// The options `name` takes, in the order they are written back.
    static func options(_ name: Name) -> [CodingKeys] {
        switch name {
        case .sgd: return [.lr, .momentum, .dampening, .weightDecay, .nesterov, .maximize]
        case .adam, .adamw: return [.lr, .betas, .eps, .weightDecay, .amsgrad, .maximize]
        case .rmsprop: return [.lr, .alpha, .eps, .weightDecay, .momentum, .centered, .maximize]
        case .adagrad: return [.lr, .lrDecay, .weightDecay, .initialAccumulatorValue, .eps, .maximize]
        }
    }

    /// The option keys of `name` (for other modules' messages).
    public static func optionNames(_ name: Name) -> [String] { options(name).map(\.rawValue) }

    /// Decodes `name` first, then only that optimizer's options.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name: Name = try c.choice(.name, or: nil)
        self.init(name: name)
        let allowed = OptimizerConfig.options(name)
        // An option of another optimizer gets its own message; a typo is left to the unknown-key check.
        for key in c.presentKeys {
            if let k = CodingKeys(rawValue: key), k != .name, !allowed.contains(k) {
                throw c.invalid(k, "\(name.rawValue) has no option '\(key)'; its options are \(allowed.map(\.rawValue).joined(separator: ", "))")
            }
        }
        lr = try c.value(.lr, or: lr)
        try c.check(lr >= 0 && lr.isFinite, .lr, "must be a finite number ≥ 0, got \(lr)")
        weightDecay = try c.value(.weightDecay, or: weightDecay)
        try c.check(weightDecay >= 0 && weightDecay.isFinite, .weightDecay, "must be ≥ 0, got \(weightDecay)")
        eps = try c.value(.eps, or: eps)
        try c.check(eps >= 0 && eps.isFinite, .eps, "must be ≥ 0, got \(eps)")
        maximize = try c.value(.maximize, or: maximize)
        switch name {
        case .adam, .adamw:
            betas = try c.value(.betas, or: betas)
            try c.check(betas.count == 2 && betas.allSatisfy { (0..<1).contains($0) }, .betas,
                        "must be two numbers in [0, 1), got \(betas)")
            amsgrad = try c.value(.amsgrad, or: amsgrad)
        case .sgd:
            momentum = try c.value(.momentum, or: momentum)
            dampening = try c.value(.dampening, or: dampening)
            nesterov = try c.value(.nesterov, or: nesterov)
            try c.check(momentum >= 0, .momentum, "must be ≥ 0, got \(momentum)")
            try c.check(!nesterov || (momentum > 0 && dampening == 0), .nesterov,
                        "nesterov momentum needs momentum > 0 and dampening 0 (as in PyTorch)")
        case .rmsprop:
            alpha = try c.value(.alpha, or: alpha)
            momentum = try c.value(.momentum, or: momentum)
            centered = try c.value(.centered, or: centered)
            try c.check(alpha >= 0, .alpha, "must be ≥ 0, got \(alpha)")
            try c.check(momentum >= 0, .momentum, "must be ≥ 0, got \(momentum)")
        case .adagrad:
            lrDecay = try c.value(.lrDecay, or: lrDecay)
            initialAccumulatorValue = try c.value(.initialAccumulatorValue, or: initialAccumulatorValue)
            try c.check(lrDecay >= 0, .lrDecay, "must be ≥ 0, got \(lrDecay)")
            try c.check(initialAccumulatorValue >= 0, .initialAccumulatorValue, "must be ≥ 0, got \(initialAccumulatorValue)")
        }
    }

    /// Encodes `name` and that optimizer's options.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        for k in OptimizerConfig.options(name) {
            switch k {
            case .lr: try c.encode(lr, forKey: k)
            case .weightDecay: try c.encode(weightDecay, forKey: k)
            case .betas: try c.encode(betas, forKey: k)
            case .eps: try c.encode(eps, forKey: k)
            case .amsgrad: try c.encode(amsgrad, forKey: k)
            case .momentum: try c.encode(momentum, forKey: k)
            case .dampening: try c.encode(dampening, forKey: k)
            case .nesterov: try c.encode(nesterov, forKey: k)
            case .alpha: try c.encode(alpha, forKey: k)
            case .centered: try c.encode(centered, forKey: k)
            case .lrDecay: try c.encode(lrDecay, forKey: k)
            case .initialAccumulatorValue: try c.encode(initialAccumulatorValue, forKey: k)
            case .maximize: try c.encode(maximize, forKey: k)
            case .name: break
            }
        }
    }
}
