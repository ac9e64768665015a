import TensorCore

/// Module-style mean squared error, like `torch.nn.MSELoss`.
public struct MSELoss: Sendable {
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Stores the reduction passed on to `Loss.mseLoss`.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        Loss.mseLoss(input, target, reduction: reduction)
    }
}
