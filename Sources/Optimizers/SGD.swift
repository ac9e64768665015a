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
        let g = OptimizerMath.gradient(grad, of: parameter.value, name: name, op: "SGD")
        let gp = OptimizerMath.readPointer(g)
        let n = g.count
        let k = Kernel(maximize: group.bool("maximize"), decayed: wd != 0, nesterov: group.bool("nesterov"),
                       first: state["momentum_buffer"] == nil, wd: Float(wd), negLR: Float(-lr),
                       momentum: Float(momentum), oneMinusDampening: Float(1 - group.double("dampening")))
        guard momentum != 0 else {
            withExtendedLifetime(g) {
                parameter.update { p in if let pp = p.baseAddress, n > 0 { SGD.plainLoop(pp, gp, n, k) } }
            }
            return
        }
        var buf = OptimizerMath.takeBuffer(&state, "momentum_buffer", shape: g.shape, fill: 0, parameter: name, op: "SGD")
        let bp = OptimizerMath.writePointer(&buf)
        withExtendedLifetime(g) {
            parameter.update { p in if let pp = p.baseAddress, n > 0 { SGD.momentumLoop(pp, gp, bp, n, k) } }
        }
        state.put("momentum_buffer", buf)
    }

    /// Loop-invariant scalars of one SGD update, rounded to float32 as torch does.
    struct Kernel {
        let maximize, decayed, nesterov, first: Bool
        let wd, negLR, momentum, oneMinusDampening: Float
    }

    /// The gradient with `maximize` and weight decay applied: `g (+ wd·p)`.
    @inline(__always)
    private static func direction(_ p: Float, _ g: Float, _ k: Kernel) -> Float {
        let g0 = k.maximize ? -g : g
        let gw = OptimizerMath.fma(p, k.wd, g0)
        return k.decayed ? gw : g0
    }

    /// `p −= lr·g` over `n` elements.
    static func plainLoop(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ n: Int, _ kernel: Kernel) {
        let k = kernel
        for i in 0..<n {
            p[i] = OptimizerMath.fma(direction(p[i], g[i], k), k.negLR, p[i])
        }
    }

    /// Momentum (optionally Nesterov) over `n` elements; on the first step the buffer becomes `g`.
    static func momentumLoop(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ buf: UnsafeMutablePointer<Float>,
                             _ n: Int, _ kernel: Kernel) {
        let k = kernel
        for i in 0..<n {
            let gi = direction(p[i], g[i], k)
            let later = OptimizerMath.fma(gi, k.oneMinusDampening, buf[i] * k.momentum)
            let b = k.first ? gi : later
            buf[i] = b
            let nest = OptimizerMath.fma(b, k.momentum, gi)
            p[i] = OptimizerMath.fma(k.nesterov ? nest : b, k.negLR, p[i])
        }
    }
}
