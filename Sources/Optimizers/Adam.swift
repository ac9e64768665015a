import CKernels
import Foundation
import TensorCore
import NN

/// Adam (torch.optim.Adam), with AMSGrad, `maximize`, and coupled or decoupled (AdamW) weight decay.
///
/// Follows torch 2.13's `_single_tensor_adam` (the CPU default): `step += 1`; weight decay either
/// adds `wd·p` to the gradient or (decoupled) scales `p` by `1 − lr·wd`; `m = lerp(m, g, 1 − β1)`;
/// `v = v·β2 + (1 − β2)·g²`; `denom = √v / √(1 − β2^t) + eps` (with AMSGrad's running max of `v`);
/// `p += −(lr / (1 − β1^t))·m / denom`. Bias corrections are computed in Double, as in Python.
public class Adam: Optimizer, @unchecked Sendable {
    /// Adam over `groups`; each group may override any hyper-parameter in its `options`.
    public init(groups: [ParamGroup], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false,
                decoupledWeightDecay: Bool = false) {
        Adam.validate(lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, name: decoupledWeightDecay ? "AdamW" : "Adam")
        super.init(groups: groups, defaults: Adam.defaults(lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                                                           amsgrad: amsgrad, maximize: maximize,
                                                           decoupled: decoupledWeightDecay),
                   typeName: "Adam")
    }

    /// Adam over named parameters (e.g. `model.namedParameters()`) in one group.
    public convenience init(_ params: [(String, Parameter)], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false,
                            maximize: Bool = false, decoupledWeightDecay: Bool = false) {
        self.init(groups: [ParamGroup(params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                  amsgrad: amsgrad, maximize: maximize, decoupledWeightDecay: decoupledWeightDecay)
    }

    /// For subclasses (AdamW) that fix the defaults and the type name.
    override init(groups: [ParamGroup], defaults: HyperDict, typeName: String) {
        super.init(groups: groups, defaults: defaults, typeName: typeName)
    }

    static func validate(lr: Double, betas: (Double, Double), eps: Double, weightDecay: Double, name: String) {
        precondition(lr >= 0, "\(name): invalid learning rate: \(lr)")
        precondition(eps >= 0, "\(name): invalid epsilon value: \(eps)")
        precondition(betas.0 >= 0 && betas.0 < 1, "\(name): invalid beta parameter at index 0: \(betas.0)")
        precondition(betas.1 >= 0 && betas.1 < 1, "\(name): invalid beta parameter at index 1: \(betas.1)")
        precondition(weightDecay >= 0, "\(name): invalid weight_decay value: \(weightDecay)")
    }

    /// torch 2.13's Adam defaults, in its key order.
    static func defaults(lr: Double, betas: (Double, Double), eps: Double, weightDecay: Double, amsgrad: Bool,
                         maximize: Bool, decoupled: Bool) -> HyperDict {
        [
            "lr": .double(lr),
            "betas": .tuple([.double(betas.0), .double(betas.1)]),
            "eps": .double(eps),
            "weight_decay": .torchNumber(weightDecay),
            "amsgrad": .bool(amsgrad),
            "maximize": .bool(maximize),
            "foreach": .none,
            "capturable": false,
            "differentiable": false,
            "fused": .none,
            "decoupled_weight_decay": .bool(decoupled),
        ]
    }

    /// One fused Adam update of `parameter`.
    public override func update(name: String, parameter: Parameter, grad: Tensor, state: inout OptimizerState,
                                group: ParamGroup) {
        let lr = group.lr, wd = group.weightDecay, (beta1, beta2) = group.pair("betas"), eps = group.double("eps")
        let amsgrad = group.bool("amsgrad"), maximize = group.bool("maximize")
        let decoupled = group.bool("decoupled_weight_decay")
        let g = OptimizerMath.gradient(grad, of: parameter.value, name: name, op: typeName)
        let shape = g.shape, n = g.count

        // State keys appear in torch's order: step, exp_avg, exp_avg_sq, max_exp_avg_sq.
        let stepF = (state.step ?? 0) + 1
        state.step = stepF
        var m = OptimizerMath.takeBuffer(&state, "exp_avg", shape: shape, fill: 0, parameter: name, op: typeName)
        var v = OptimizerMath.takeBuffer(&state, "exp_avg_sq", shape: shape, fill: 0, parameter: name, op: typeName)
        var vmax = amsgrad
            ? OptimizerMath.takeBuffer(&state, "max_exp_avg_sq", shape: shape, fill: 0, parameter: name, op: typeName)
            : Tensor(zeros: [0])

        let step = Double(stepF)
        let biasCorrection1 = 1 - pow(beta1, step)
        let biasCorrection2 = 1 - pow(beta2, step)
        let stepSize = lr / biasCorrection1
        let bc2Sqrt = Float(pow(biasCorrection2, 0.5))
        let gp = OptimizerMath.readPointer(g)
        let mp = OptimizerMath.writePointer(&m), vp = OptimizerMath.writePointer(&v)
        let xp: UnsafeMutablePointer<Float>? = amsgrad ? OptimizerMath.writePointer(&vmax) : nil
        let k = cairn_adam_params(maximize: maximize ? 1 : 0, coupled: wd != 0 && !decoupled ? 1 : 0,
                                  scaled: wd != 0 && decoupled ? 1 : 0, wd: Float(wd), decay: Float(1 - lr * wd),
                                  w1: Float(1 - beta1), b2: Float(beta2), one_minus_b2: Float(1 - beta2),
                                  bc2_sqrt: bc2Sqrt, eps: Float(eps), neg_step: Float(-stepSize))
        withExtendedLifetime((g, m, v, vmax)) {
            parameter.update { p in
                guard let pp = p.baseAddress, n > 0 else { return }
                withUnsafePointer(to: k) { cairn_adam_update(pp, gp, mp, vp, xp, n, $0) }
            }
        }
        state.put("exp_avg", m)
        state.put("exp_avg_sq", v)
        if amsgrad { state.put("max_exp_avg_sq", vmax) }
    }
}
