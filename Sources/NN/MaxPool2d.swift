import TensorCore

/// 2-d max pooling over [N, C, H, W] or [C, H, W], like `torch.nn.MaxPool2d` (no parameters).
public final class MaxPool2d: Module, @unchecked Sendable {
    /// Window height and width.
    public let kernelSize: (Int, Int)
    /// Window step (PyTorch's default: the kernel size).
    public let stride: (Int, Int)
    /// Implicit -∞ padding on each side.
    public let padding: (Int, Int)
    /// Spacing between window taps.
    public let dilation: (Int, Int)
    /// Whether the output size rounds up instead of down.
    public let ceilMode: Bool
    /// Which of kernel, stride, padding, dilation were given as single ints, so the repr prints `2`
    /// rather than `(2, 2)` exactly where PyTorch would.
    private let scalarForms: [Bool]

    /// Pooling with a rectangular window; `stride` nil means the window size, `padding` nil means 0
    /// and `dilation` nil means 1 (printed as ints, like PyTorch's defaults).
    public convenience init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int)? = nil,
                dilation: (Int, Int)? = nil, ceilMode: Bool = false) {
        self.init(kernelSize, stride ?? kernelSize, padding ?? (0, 0), dilation ?? (1, 1), ceilMode,
                  scalarForms: [false, false, padding == nil, dilation == nil])
    }

    /// Pooling with a square window: `MaxPool2d(kernelSize: 2)`.
    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        let s = stride ?? kernelSize
        self.init((kernelSize, kernelSize), (s, s), (padding, padding), (dilation, dilation), ceilMode,
                  scalarForms: [true, true, true, true])
    }

    private init(_ k: (Int, Int), _ s: (Int, Int), _ p: (Int, Int), _ d: (Int, Int), _ ceil: Bool, scalarForms: [Bool]) {
        precondition(k.0 > 0 && k.1 > 0 && s.0 > 0 && s.1 > 0 && d.0 > 0 && d.1 > 0,
                     "MaxPool2d: kernel_size \(k), stride \(s) and dilation \(d) must be positive")
        precondition(p.0 >= 0 && p.1 >= 0 && p.0 <= k.0 / 2 && p.1 <= k.1 / 2,
                     "MaxPool2d: padding \(p) must be non-negative and at most half of kernel_size \(k)")
        kernelSize = k
        stride = s
        padding = p
        dilation = d
        ceilMode = ceil
        self.scalarForms = scalarForms
        super.init()
    }

    /// Applies the pooling.
    public override func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3 || x.rank == 4, "MaxPool2d: input shape \(x.shape) is not [N, C, H, W] or [C, H, W]")
        return Tensor.maxPool2d(x, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    /// PyTorch's class name.
    public override var typeName: String { "MaxPool2d" }

    /// `kernel_size=…, stride=…, padding=…, dilation=…, ceil_mode=…` as PyTorch prints it.
    public override var extraDescription: String {
        let v = zip([kernelSize, stride, padding, dilation], scalarForms).map { t, scalar in scalar ? "\(t.0)" : PyRepr.tuple(t) }
        return "kernel_size=\(v[0]), stride=\(v[1]), padding=\(v[2]), dilation=\(v[3]), ceil_mode=\(PyRepr.bool(ceilMode))"
    }
}
