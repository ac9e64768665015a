import TensorCore

/// Module-style binary cross-entropy on logits, like `torch.nn.BCEWithLogitsLoss`.
public struct BCEWithLogitsLoss: Sendable {
    /// Optional per-element rescaling, broadcast against the logits.
    public var weight: Tensor?
    /// Optional weight of the positive term (per class, broadcast against the logits).
    public var posWeight: Tensor?
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Stores the options passed on to `Loss.binaryCrossEntropyWithLogits`.
    public init(weight: Tensor? = nil, posWeight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        self.posWeight = posWeight
        self.reduction = reduction
    }

    /// The loss of `input` logits against `target` probabilities.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        Loss.binaryCrossEntropyWithLogits(input, target, weight: weight, posWeight: posWeight,
                                          reduction: reduction)
    }
}
