import NN
import Optimizers

extension OptimizerConfig {
    /// The PyTorch optimizer these options describe, over `groups`; a group's own options (such as a
    /// fine-tune group's `lr`) take precedence over these, as in `torch.optim`.
    public func makeOptimizer(groups: [ParamGroup]) -> Optimizer {
        switch name {
        case .sgd:
            return SGD(groups: groups, lr: lr, momentum: momentum, dampening: dampening, weightDecay: weightDecay,
                       nesterov: nesterov, maximize: maximize)
        case .adam:
            return Adam(groups: groups, lr: lr, betas: (betas[0], betas[1]), eps: eps, weightDecay: weightDecay,
                        amsgrad: amsgrad, maximize: maximize)
        case .adamw:
            return AdamW(groups: groups, lr: lr, betas: (betas[0], betas[1]), eps: eps, weightDecay: weightDecay,
                         amsgrad: amsgrad, maximize: maximize)
        case .rmsprop:
            return RMSprop(groups: groups, lr: lr, alpha: alpha, eps: eps, weightDecay: weightDecay, momentum: momentum,
                           centered: centered, maximize: maximize)
        case .adagrad:
            return Adagrad(groups: groups, lr: lr, lrDecay: lrDecay, weightDecay: weightDecay,
                           initialAccumulatorValue: initialAccumulatorValue, eps: eps, maximize: maximize)
        }
    }

    /// The optimizer over one group of named parameters.
    public func makeOptimizer(_ params: [(String, Parameter)]) -> Optimizer { makeOptimizer(groups: [ParamGroup(params)]) }
}
