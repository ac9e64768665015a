import TensorCore

/// Module-style cross-entropy with fixed options, like `torch.nn.CrossEntropyLoss`.
public struct CrossEntropyLoss: Sendable {
    /// Optional per-class weights of shape `[C]`.
    public var weight: Tensor?
    /// Class-index targets equal to this contribute nothing.
    public var ignoreIndex: Int
    /// Label-smoothing ε in [0, 1].
    public var labelSmoothing: Float
    /// How per-position losses are combined.
    public var reduction: Reduction

    /// Stores the options passed on to `Loss.crossEntropy`.
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, labelSmoothing: Float = 0,
                reduction: Reduction = .mean) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.labelSmoothing = labelSmoothing
        self.reduction = reduction
    }

    /// The loss of `input` logits against `target` (class indices or probabilities).
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        Loss.crossEntropy(input, target, weight: weight, ignoreIndex: ignoreIndex,
                          labelSmoothing: labelSmoothing, reduction: reduction)
    }
}
