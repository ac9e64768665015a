import NN

/// AdamW (torch.optim.AdamW): Adam with decoupled weight decay, default `weight_decay = 0.01`.
///
/// As in torch 2.13 it is Adam with `decoupled_weight_decay=True`; loading state always keeps that
/// flag true (torch's `AdamW.__setstate__`).
public final class AdamW: Adam, @unchecked Sendable {
    /// AdamW over `groups`; each group may override any hyper-parameter in its `options`.
    public init(groups: [ParamGroup], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                weightDecay: Double = 1e-2, amsgrad: Bool = false, maximize: Bool = false) {
        Adam.validate(lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, name: "AdamW")
        super.init(groups: groups, defaults: Adam.defaults(lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                                                           amsgrad: amsgrad, maximize: maximize, decoupled: true),
                   typeName: "AdamW")
    }

    /// AdamW over named parameters (e.g. `model.namedParameters()`) in one group.
    public convenience init(_ params: [(String, Parameter)], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false,
                            maximize: Bool = false) {
        self.init(groups: [ParamGroup(params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                  amsgrad: amsgrad, maximize: maximize)
    }

    /// Keeps `decoupled_weight_decay` true whatever was loaded.
    public override func didLoadHyperParameters() {
        super.didLoadHyperParameters()
        for i in paramGroups.indices { paramGroups[i]["decoupled_weight_decay"] = true }
    }
}
