import TensorCore

/// Module-style mean absolute error, like `torch.nn.L1Loss`.
public struct L1Loss: Sendable {
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Stores the reduction passed on to `Loss.l1Loss`.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        Loss.l1Loss(input, target, reduction: reduction)
    }
}
