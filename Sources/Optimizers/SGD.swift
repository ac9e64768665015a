import TensorCore
import NN

/// Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD).
///
/// Follows torch 2.13's `_single_tensor_sgd`: `g = grad (+ wd·p)`; with momentum the buffer starts
/// as a copy of `g` and then becomes `buf·momentum + (1 − dampening)·g`; Nesterov uses
/// `g + momentum·buf`, otherwise `buf`; finally `p −= lr·g`.
public final class SGD: Optimizer, @unchecked Sendable {
    /// SGD over `groups`; each group may override any hyper-parameter in its `options`.
    public init(groups: [ParamGroup], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) {
        precondition(lr >= 0, "SGD: invalid learning rate: \(lr)")
        precondition(momentum >= 0, "SGD: invalid momentum value: \(momentum)")
        precondition(weightDecay >= 0, "SGD: invalid weight_decay value: \(weightDecay)")
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum requires a momentum and zero dampening")
        super.init(groups: groups, defaults: [
            "lr": .double(lr),
            "momentum": .torchNumber(momentum),
            "dampening": .torchNumber(dampening),
            "weight_decay": .torchNumber(weightDecay),
            "nesterov": .bool(nesterov),
            "maximize": .bool(maximize),
            "foreach": .none,
            "differentiable": false,
            "fused": .none,
        ], typeName: "SGD")
    }

    /// SGD over named parameters (e.g. `model.namedParameters()`) in one group.
    public convenience init(_ params: [(String, Parameter)], lr: Double = 1e-3, momentum: Double = 0,
                            dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false,
                            maximize: Bool = false) {
        self.init(groups: [ParamGroup(params)], lr: lr, momentum: momentum, dampening: dampening,
                  weightDecay: weightDecay, nesterov: nesterov, maximize: maximize)
    }

    /// One fused SGD update of `parameter`.
    public override func update(name: String, parameter: Parameter, grad: Tensor, state: inout OptimizerState,
                                group: ParamGroup) {
        let lr = group.lr, wd = group.weightDecay, momentum = group.double("momentum")
        let dampening = group.double("dampening"), nesterov = group.bool("nesterov"), maximize = group.bool("maximize")
        let g = OptimizerMath.gradient(grad, of: parameter.value, name: name, op: "SGD")
        let gp = OptimizerMath.readPointer(g)
        let n = g.count
        let wdF = Float(wd), negLR = Float(-lr), momF = Float(momentum), oneMinusDamp = Float(1 - dampening)

        guard momentum != 0 else {
            withExtendedLifetime(g) {
                parameter.update { p in
                    for i in 0..<n {
                        var gi = maximize ? -gp[i] : gp[i]
                        if wd != 0 { gi = OptimizerMath.fma(p[i], wdF, gi) }
                        p[i] = OptimizerMath.fma(gi, negLR, p[i])
                    }
                }
            }
            return
        }
        let first = state["momentum_buffer"] == nil
        var buf = OptimizerMath.takeBuffer(&state, "momentum_buffer", shape: g.shape, fill: 0, parameter: name, op: "SGD")
        let bp = OptimizerMath.writePointer(&buf)
        withExtendedLifetime(g) {
            parameter.update { p in
                for i in 0..<n {
                    var gi = maximize ? -gp[i] : gp[i]
                    if wd != 0 { gi = OptimizerMath.fma(p[i], wdF, gi) }
                    let b = first ? gi : OptimizerMath.fma(gi, oneMinusDamp, bp[i] * momF)
                    bp[i] = b
                    let d = nesterov ? OptimizerMath.fma(b, momF, gi) : b
                    p[i] = OptimizerMath.fma(d, negLR, p[i])
                }
            }
        }
        state.put("momentum_buffer", buf)
    }
}
