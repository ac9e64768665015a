import TensorCore

/// Module-style negative log-likelihood with fixed options, like `torch.nn.NLLLoss`.
public struct NLLLoss: Sendable {
    /// Optional per-class weights of shape `[C]`.
    public var weight: Tensor?
    /// Targets equal to this contribute nothing.
    public var ignoreIndex: Int
    /// How per-position losses are combined.
    public var reduction: Reduction

    /// Stores the options passed on to `Loss.nllLoss`.
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.reduction = reduction
    }

    /// The loss of `input` log-probabilities against class-index `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        Loss.nllLoss(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    }
}
