import TensorCore

/// Average pooling to a fixed output size, like `torch.nn.AdaptiveAvgPool2d` (no parameters).
public final class AdaptiveAvgPool2d: Module, @unchecked Sendable {
    /// Output height and width.
    public let outputSize: (Int, Int)
    private let scalarForm: Bool

    /// Pools [N, C, H, W] or [C, H, W] to [.., oH, oW].
    public init(outputSize: (Int, Int)) {
        precondition(outputSize.0 >= 0 && outputSize.1 >= 0, "AdaptiveAvgPool2d: output_size \(outputSize) must be non-negative")
        self.outputSize = outputSize
        scalarForm = false
        super.init()
    }

    /// Pools to a square output: `AdaptiveAvgPool2d(outputSize: 1)` for global average pooling.
    public init(outputSize: Int) {
        precondition(outputSize >= 0, "AdaptiveAvgPool2d: output_size \(outputSize) must be non-negative")
        self.outputSize = (outputSize, outputSize)
        scalarForm = true
        super.init()
    }

    /// Applies the pooling.
    public override func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3 || x.rank == 4, "AdaptiveAvgPool2d: input shape \(x.shape) is not [N, C, H, W] or [C, H, W]")
        return Tensor.adaptiveAvgPool2d(x, outputSize: outputSize)
    }

    /// PyTorch's class name.
    public override var typeName: String { "AdaptiveAvgPool2d" }

    /// `output_size=…` as PyTorch prints it.
    public override var extraDescription: String {
        "output_size=\(scalarForm ? "\(outputSize.0)" : PyRepr.tuple(outputSize))"
    }
}
