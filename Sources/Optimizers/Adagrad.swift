import Foundation
import TensorCore
import NN

/// Adagrad (torch.optim.Adagrad) with learning-rate decay and an initial accumulator value.
///
/// As in torch, every parameter gets its state (`step = 0`, `sum = initial_accumulator_value`) when
/// the optimizer is built. Each step follows `_single_tensor_adagrad`: `step += 1`; `g (+ wd·p)`;
/// `clr = lr / (1 + (step − 1)·lr_decay)`; `sum += g²`; `p −= clr·g / (√sum + eps)`.
public final class Adagrad: Optimizer, @unchecked Sendable {
    /// Adagrad over `groups`; each group may override any hyper-parameter in its `options`.
    public init(groups: [ParamGroup], lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
                initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) {
        precondition(lr >= 0, "Adagrad: invalid learning rate: \(lr)")
        precondition(lrDecay >= 0, "Adagrad: invalid lr_decay value: \(lrDecay)")
        precondition(weightDecay >= 0, "Adagrad: invalid weight_decay value: \(weightDecay)")
        precondition(initialAccumulatorValue >= 0, "Adagrad: invalid initial_accumulator_value value: \(initialAccumulatorValue)")
        precondition(eps >= 0, "Adagrad: invalid epsilon value: \(eps)")
        super.init(groups: groups, defaults: [
            "lr": .double(lr),
            "lr_decay": .torchNumber(lrDecay),
            "eps": .double(eps),
            "weight_decay": .torchNumber(weightDecay),
            "initial_accumulator_value": .torchNumber(initialAccumulatorValue),
            "foreach": .none,
            "maximize": .bool(maximize),
            "differentiable": false,
            "fused": .none,
        ], typeName: "Adagrad")
    }

    /// Adagrad over named parameters (e.g. `model.namedParameters()`) in one group.
    public convenience init(_ params: [(String, Parameter)], lr: Double = 1e-2, lrDecay: Double = 0,
                            weightDecay: Double = 0, initialAccumulatorValue: Double = 0, eps: Double = 1e-10,
                            maximize: Bool = false) {
        self.init(groups: [ParamGroup(params)], lr: lr, lrDecay: lrDecay, weightDecay: weightDecay,
                  initialAccumulatorValue: initialAccumulatorValue, eps: eps, maximize: maximize)
    }

    /// `step = 0` and `sum` filled with the group's `initial_accumulator_value`.
    public override func initialState(for parameter: Parameter, group: ParamGroup) -> OptimizerState? {
        let v = Float(group.double("initial_accumulator_value"))
        return OptimizerState(step: 0, [("sum", Tensor(repeating: v, shape: parameter.value.shape))])
    }

    /// One fused Adagrad update of `parameter`.
    public override func update(name: String, parameter: Parameter, grad: Tensor, state: inout OptimizerState,
                                group: ParamGroup) {
        let lr = group.lr, wd = group.weightDecay, lrDecay = group.double("lr_decay"), eps = group.double("eps")
        let maximize = group.bool("maximize")
        let g = OptimizerMath.gradient(grad, of: parameter.value, name: name, op: "Adagrad")
        let n = g.count
        let stepF = (state.step ?? 0) + 1
        state.step = stepF
        var sum = OptimizerMath.takeBuffer(&state, "sum", shape: g.shape, fill: Float(group.double("initial_accumulator_value")),
                                           parameter: name, op: "Adagrad")
        let clr = lr / (1 + (Double(stepF) - 1) * lrDecay)
        let k = Kernel(maximize: maximize, decayed: wd != 0, wd: Float(wd), negCLR: Float(-clr), eps: Float(eps))
        let gp = OptimizerMath.readPointer(g)
        let sp = OptimizerMath.writePointer(&sum)
        withExtendedLifetime((g, sum)) {
            parameter.update { p in if let pp = p.baseAddress, n > 0 { Adagrad.loop(pp, gp, sp, n, k) } }
        }
        state.put("sum", sum)
    }

    /// Loop-invariant scalars of one Adagrad update, rounded to float32 as torch does.
    struct Kernel {
        let maximize, decayed: Bool
        let wd, negCLR, eps: Float
    }

    /// The fused update over `n` elements.
    static func loop(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ sum: UnsafeMutablePointer<Float>,
                     _ n: Int, _ kernel: Kernel) {
        let k = kernel
        for i in 0..<n {
            let p0 = p[i], g0 = k.maximize ? -g[i] : g[i]
            let gw = OptimizerMath.fma(p0, k.wd, g0)
            let gi = k.decayed ? gw : g0
            let s = OptimizerMath.fma(gi, gi, sum[i])
            sum[i] = s
            p[i] = p0 + (k.negCLR * gi) / (s.squareRoot() + k.eps)
        }
    }
}
