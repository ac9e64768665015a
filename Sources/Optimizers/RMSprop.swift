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

        let alphaF = Float(alpha), oneMinusAlpha = Float(1 - alpha), epsF = Float(eps)
        let wdF = Float(wd), negLR = Float(-lr), momF = Float(momentum)
        let gp = OptimizerMath.readPointer(g)
        let sp = OptimizerMath.writePointer(&sq)
        let bp: UnsafeMutablePointer<Float>? = momentum > 0 ? OptimizerMath.writePointer(&buf) : nil
        let ap: UnsafeMutablePointer<Float>? = centered ? OptimizerMath.writePointer(&ga) : nil
        withExtendedLifetime((g, sq, buf, ga)) {
            parameter.update { p in
                for i in 0..<n {
                    var gi = maximize ? -gp[i] : gp[i]
                    if wd != 0 { gi = OptimizerMath.fma(p[i], wdF, gi) }
                    let si = OptimizerMath.fma(oneMinusAlpha * gi, gi, sp[i] * alphaF)
                    sp[i] = si
                    var avg: Float
                    if let ap {
                        let a = OptimizerMath.lerp(ap[i], gi, oneMinusAlpha)
                        ap[i] = a
                        avg = OptimizerMath.fma(-a, a, si).squareRoot()
                    } else {
                        avg = si.squareRoot()
                    }
                    avg += epsF
                    if let bp {
                        let b = bp[i] * momF + gi / avg
                        bp[i] = b
                        p[i] = OptimizerMath.fma(b, negLR, p[i])
                    } else {
                        p[i] = p[i] + (negLR * gi) / avg
                    }
                }
            }
        }
        state.put("square_avg", sq)
        if momentum > 0 { state.put("momentum_buffer", buf) }
        if centered { state.put("grad_avg", ga) }
    }
}
