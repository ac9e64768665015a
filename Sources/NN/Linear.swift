import TensorCore

/// y = x·Wᵀ + b, like `torch.nn.Linear` (keys `weight` [out, in], `bias` [out]).
public final class Linear: Module, @unchecked Sendable {
    /// Input features.
    public let inFeatures: Int
    /// Output features.
    public let outFeatures: Int
    /// Weight [out, in].
    @Param public var weight: Tensor
    /// Bias [out], absent when built with `bias: false`.
    @OptionalParam public var bias: Tensor?

    /// Initializes like PyTorch: weight and bias U(±1/√in), drawn from `rng`.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout RandomGenerator) {
        precondition(inFeatures >= 0 && outFeatures >= 0, "Linear: negative size (\(inFeatures), \(outFeatures))")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        _weight = Param(wrappedValue: Init.defaultWeight([outFeatures, inFeatures], rng: &rng))
        _bias = OptionalParam(wrappedValue: bias ? Init.defaultBias(count: outFeatures, fanIn: inFeatures, rng: &rng) : nil)
        super.init()
    }

    /// Wraps given tensors (e.g. loaded weights).
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "Linear: weight must be 2-d, got \(weight.shape)")
        inFeatures = weight.shape[1]
        outFeatures = weight.shape[0]
        _weight = Param(wrappedValue: weight)
        _bias = OptionalParam(wrappedValue: bias)
        super.init()
    }

    /// Applies the layer.
    public override func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.last == inFeatures, "Linear(\(inFeatures)→\(outFeatures)): input shape \(x.shape) has last dim \(x.shape.last.map(String.init) ?? "none"), expected \(inFeatures)")
        return Tensor.linear(x, weight: weight, bias: bias)
    }

    /// PyTorch's class name.
    public override var typeName: String { "Linear" }

    /// `in_features=…, out_features=…, bias=…` as PyTorch prints it.
    public override var extraDescription: String {
        "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(PyRepr.bool(bias != nil))"
    }
}
