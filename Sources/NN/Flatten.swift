import TensorCore

/// Flattens dims `startDim...endDim` into one, like `torch.nn.Flatten` (default: all but the batch dim).
public final class Flatten: Module, @unchecked Sendable {
    /// First dimension flattened (negative counts from the end).
    public let startDim: Int
    /// Last dimension flattened (negative counts from the end).
    public let endDim: Int

    /// PyTorch's defaults: start_dim 1, end_dim -1.
    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
        super.init()
    }

    /// Reshapes (a view when the input is contiguous).
    public override func forward(_ x: Tensor) -> Tensor {
        let r = Swift.max(x.rank, 1)
        let s = startDim < 0 ? startDim + r : startDim, e = endDim < 0 ? endDim + r : endDim
        precondition(s >= 0 && s < r && e >= 0 && e < r && s <= e,
                     "Flatten(start_dim=\(startDim), end_dim=\(endDim)): does not fit input shape \(x.shape)")
        return x.flattened(from: startDim, to: endDim)
    }

    /// PyTorch's class name.
    public override var typeName: String { "Flatten" }

    /// `start_dim=1, end_dim=-1` as PyTorch prints it.
    public override var extraDescription: String { "start_dim=\(startDim), end_dim=\(endDim)" }
}
