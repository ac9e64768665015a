import TensorCore

/// 2-d average pooling over [N, C, H, W] or [C, H, W], like `torch.nn.AvgPool2d` (no parameters).
public final class AvgPool2d: Module, @unchecked Sendable {
    /// Window height and width.
    public let kernelSize: (Int, Int)
    /// Window step (PyTorch's default: the kernel size).
    public let stride: (Int, Int)
    /// Implicit zero padding on each side.
    public let padding: (Int, Int)
    /// Whether the output size rounds up instead of down.
    public let ceilMode: Bool
    /// Whether padded zeros count in the divisor.
    public let countIncludePad: Bool
    /// A fixed divisor replacing the window size, when set.
    public let divisorOverride: Int?
    /// Which of kernel, stride, padding were given as single ints (printed as ints, like PyTorch).
    private let scalarForms: [Bool]

    /// Pooling with a rectangular window; `stride` nil means the window size, `padding` nil means 0.
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int)? = nil, ceilMode: Bool = false,
                countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        let s = stride ?? kernelSize
        scalarForms = [false, false, padding == nil]
        let padding = padding ?? (0, 0)
        precondition(kernelSize.0 > 0 && kernelSize.1 > 0 && s.0 > 0 && s.1 > 0,
                     "AvgPool2d: kernel_size \(kernelSize) and stride \(s) must be positive")
        precondition(padding.0 >= 0 && padding.1 >= 0 && padding.0 <= kernelSize.0 / 2 && padding.1 <= kernelSize.1 / 2,
                     "AvgPool2d: padding \(padding) must be non-negative and at most half of kernel_size \(kernelSize)")
        precondition(divisorOverride != 0, "AvgPool2d: divisor_override must not be zero")
        self.kernelSize = kernelSize
        self.stride = s
        self.padding = padding
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.divisorOverride = divisorOverride
        super.init()
    }

    /// Pooling with a square window: `AvgPool2d(kernelSize: 2)`.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        let s = stride ?? kernelSize
        precondition(kernelSize > 0 && s > 0, "AvgPool2d: kernel_size \(kernelSize) and stride \(s) must be positive")
        precondition(padding >= 0 && padding <= kernelSize / 2,
                     "AvgPool2d: padding \(padding) must be non-negative and at most half of kernel_size \(kernelSize)")
        precondition(divisorOverride != 0, "AvgPool2d: divisor_override must not be zero")
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (s, s)
        self.padding = (padding, padding)
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.divisorOverride = divisorOverride
        scalarForms = [true, true, true]
        super.init()
    }

    /// Applies the pooling.
    public override func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3 || x.rank == 4, "AvgPool2d: input shape \(x.shape) is not [N, C, H, W] or [C, H, W]")
        return Tensor.avgPool2d(x, kernel: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                                countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }

    /// PyTorch's class name.
    public override var typeName: String { "AvgPool2d" }

    /// `kernel_size=…, stride=…, padding=…` as PyTorch prints it.
    public override var extraDescription: String {
        let v = zip([kernelSize, stride, padding], scalarForms).map { t, scalar in scalar ? "\(t.0)" : PyRepr.tuple(t) }
        return "kernel_size=\(v[0]), stride=\(v[1]), padding=\(v[2])"
    }
}
