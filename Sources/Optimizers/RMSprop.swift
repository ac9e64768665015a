import Foundation
import TensorCore
import NN

/// RMSprop (torch.optim.RMSprop), optionally centered and with momentum.
///
/// Follows torch 2.13's `_single_tensor_rmsprop`: `step += 1`; `g (+ wd·p)`;
/// `sq = sq·α + (1 − α)·g²`; centered: `ga = lerp(ga, g, 1 − α)`, `avg = √(sq − ga²) + eps`, else
/// `avg = √sq + eps`; with momentum `buf = buf·μ + g/avg`, `p −= lr·buf`, else `p −= lr·g/avg`.
public final class RMSprop: Optimizer, @unchecked Sendable {
    /// RMSprop over `groups`; each group may override any hyper-parameter in its `options`.
    public init(groups: [ParamGroup], lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8,
                weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false, maximize: Bool = false) {
        precondition(lr >= 0, "RMSprop: invalid learning rate: \(lr)")
        precondition(eps >= 0, "RMSprop: invalid epsilon value: \(eps)")
        precondition(momentum >= 0, "RMSprop: invalid momentum value: \(momentum)")
        precondition(weightDecay >= 0, "RMSprop: invalid weight_decay value: \(weightDecay)")
        precondition(alpha >= 0, "RMSprop: invalid alpha value: \(alpha)")
        super.init(groups: groups, defaults: [
            "lr": .double(lr),
            "momentum": .torchNumber(momentum),
            "alpha": .double(alpha),
            "eps": .double(eps),
            "centered": .bool(centered),
            "weight_decay": .torchNumber(weightDecay),
            "capturable": false,
            "foreach": .none,
            "maximize": .bool(maximize),
            "differentiable": false,
        ], typeName: "RMSprop")
    }

    /// RMSprop over named parameters (e.g. `model.namedParameters()`) in one group.
    public convenience init(_ params: [(String, Parameter)], lr: Double = 1e-2, alpha: Double = 0.99,
                            eps: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0,
                            centered: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParamGroup(params)], lr: lr, alpha: alpha, eps: eps, weightDecay: weightDecay,
                  momentum: momentum, centered: centered, maximize: maximize)
    }

    /// One fused RMSprop update of `parameter`.
    public override func update(name: String, parameter: Parameter, grad: Tensor, state: inout OptimizerState,
                                group: ParamGroup) {
        let lr = group.lr, wd = group.weightDecay, alpha = group.double("alpha"), eps = group.double("eps")
        let momentum = group.double("momentum"), centered = group.bool("centered"), maximize = group.bool("maximize")
        let g = OptimizerMath.gradient(grad, of: parameter.value, name: name, op: "RMSprop")
        let shape = g.shape, n = g.count

        // torch creates step, square_avg, momentum_buffer, grad_avg together on the first step.
        state.step = (state.step ?? 0) + 1
        var sq = OptimizerMath.takeBuffer(&state, "square_avg", shape: shape, fill: 0, parameter: name, op: "RMSprop")
        var buf = momentum > 0
            ? OptimizerMath.takeBuffer(&state, "momentum_buffer", shape: shape, fill: 0, parameter: name, op: "RMSprop")
            : Tensor(zeros: [0])
        var ga = centered
            ? OptimizerMath.takeBuffer(&state, "grad_avg", shape: shape, fill: 0, parameter: name, op: "RMSprop")
            : Tensor(zeros: [0])

        let k = Kernel(maximize: maximize, decayed: wd != 0, wd: Float(wd), alpha: Float(alpha),
                       oneMinusAlpha: Float(1 - alpha), eps: Float(eps), negLR: Float(-lr), momentum: Float(momentum))
        let gp = OptimizerMath.readPointer(g)
        let sp = OptimizerMath.writePointer(&sq)
        // Absent buffers are never touched by their loop variant; `sp` stands in for them.
        let bp = momentum > 0 ? OptimizerMath.writePointer(&buf) : sp
        let ap = centered ? OptimizerMath.writePointer(&ga) : sp
        withExtendedLifetime((g, sq, buf, ga)) {
            parameter.update { p in
                guard let pp = p.baseAddress, n > 0 else { return }
                switch (centered, momentum > 0) {
                case (false, false): RMSprop.plainLoop(pp, gp, sp, n, k)
                case (true, false): RMSprop.centeredLoop(pp, gp, sp, ap, n, k)
                case (false, true): RMSprop.momentumLoop(pp, gp, sp, bp, n, k)
                case (true, true): RMSprop.centeredMomentumLoop(pp, gp, sp, ap, bp, n, k)
                }
            }
        }
        state.put("square_avg", sq)
        if momentum > 0 { state.put("momentum_buffer", buf) }
        if centered { state.put("grad_avg", ga) }
    }

    /// Loop-invariant scalars of one RMSprop update, rounded to float32 as torch does.
    struct Kernel {
        let maximize, decayed: Bool
        let wd, alpha, oneMinusAlpha, eps, negLR, momentum: Float
    }

    /// Plain RMSprop over `n` elements.
    static func plainLoop(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ sq: UnsafeMutablePointer<Float>,
                          _ n: Int, _ k: Kernel) {
        body(p, g, sq, sq, sq, n, k, centered: false, momentum: false)
    }

    /// Centered RMSprop (`ga` is the running gradient mean).
    static func centeredLoop(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ sq: UnsafeMutablePointer<Float>,
                             _ ga: UnsafeMutablePointer<Float>, _ n: Int, _ k: Kernel) {
        body(p, g, sq, ga, sq, n, k, centered: true, momentum: false)
    }

    /// RMSprop with a momentum buffer `buf`.
    static func momentumLoop(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ sq: UnsafeMutablePointer<Float>,
                             _ buf: UnsafeMutablePointer<Float>, _ n: Int, _ k: Kernel) {
        body(p, g, sq, sq, buf, n, k, centered: false, momentum: true)
    }

    /// Centered RMSprop with momentum.
    static func centeredMomentumLoop(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                                     _ sq: UnsafeMutablePointer<Float>, _ ga: UnsafeMutablePointer<Float>,
                                     _ buf: UnsafeMutablePointer<Float>, _ n: Int, _ k: Kernel) {
        body(p, g, sq, ga, buf, n, k, centered: true, momentum: true)
    }

    /// The fused update; inlined with constant flags so each loop has no conditional store.
    @inline(__always)
    private static func body(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ sq: UnsafeMutablePointer<Float>,
                             _ ga: UnsafeMutablePointer<Float>, _ buf: UnsafeMutablePointer<Float>, _ n: Int,
                             _ kernel: Kernel, centered: Bool, momentum: Bool) {
        let k = kernel
        for i in 0..<n {
            let p0 = p[i], g0 = k.maximize ? -g[i] : g[i]
            let gw = OptimizerMath.fma(p0, k.wd, g0)
            let gi = k.decayed ? gw : g0
            let si = OptimizerMath.fma(k.oneMinusAlpha * gi, gi, sq[i] * k.alpha)
            sq[i] = si
            var avg: Float
            if centered {
                let a = OptimizerMath.lerp(ga[i], gi, k.oneMinusAlpha)
                ga[i] = a
                avg = OptimizerMath.fma(-a, a, si).squareRoot()
            } else {
                avg = si.squareRoot()
            }
            avg += k.eps
            if momentum {
                let b = buf[i] * k.momentum + gi / avg
                buf[i] = b
                p[i] = OptimizerMath.fma(b, k.negLR, p0)
            } else {
                p[i] = p0 + (k.negLR * gi) / avg
            }
        }
    }
}
