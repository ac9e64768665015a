import NN

/// Named parameters sharing one set of hyper-parameters (PyTorch's `param_groups[i]`).
///
/// `options` holds every hyper-parameter exactly as torch stores it in the group dict, in torch's
/// key order (so an exported `param_groups` entry equals torch's, including `foreach`, `fused`,
/// `maximize`, … and keys added by schedulers such as `initial_lr`). Typed accessors read the
/// common ones.
public struct ParamGroup: @unchecked Sendable {
    /// The parameters with their names (state-dict keys), in order.
    public var params: [(name: String, parameter: Parameter)]
    /// Hyper-parameters in torch's order (everything in the group dict except `params`).
    public var options: HyperDict

    /// A group of `params`; `options` overrides the optimizer's defaults for this group only.
    public init(_ params: [(String, Parameter)], options: HyperDict = [:]) {
        self.params = params.map { (name: $0.0, parameter: $0.1) }
        self.options = options
    }

    /// The parameter names, in order.
    public var names: [String] { params.map(\.name) }

    /// The hyper-parameter under `key`; setting nil removes it.
    public subscript(key: String) -> HyperValue? {
        get { options[key] }
        set { options[key] = newValue }
    }

    /// The learning rate; setting it changes only this group (a scheduler's next step recomputes it).
    public var lr: Double {
        get { double("lr") }
        set { options["lr"] = .double(newValue) }
    }

    /// The weight decay (0 when absent).
    public var weightDecay: Double { options["weight_decay"]?.doubleValue ?? 0 }

    /// A numeric hyper-parameter; a precondition names the key when it is missing or not a number.
    public func double(_ key: String) -> Double {
        guard let v = options[key] else { preconditionFailure("ParamGroup: hyper-parameter '\(key)' is missing") }
        guard let d = v.doubleValue else {
            preconditionFailure("ParamGroup: hyper-parameter '\(key)' is \(v.kindName) \(v), expected a number")
        }
        return d
    }

    /// A flag hyper-parameter; absent or `None` reads as false.
    public func bool(_ key: String) -> Bool {
        guard let v = options[key], !v.isNone else { return false }
        guard let b = v.boolValue else {
            preconditionFailure("ParamGroup: hyper-parameter '\(key)' is \(v.kindName) \(v), expected a bool")
        }
        return b
    }

    /// A numeric pair such as Adam's `betas`.
    public func pair(_ key: String) -> (Double, Double) {
        guard let a = options[key]?.arrayValue, a.count == 2, let x = a[0].doubleValue, let y = a[1].doubleValue else {
            preconditionFailure("ParamGroup: hyper-parameter '\(key)' is \(options[key]?.description ?? "missing"), expected a pair of numbers")
        }
        return (x, y)
    }
}
