import TensorCore

/// 2-d convolution over [N, C, H, W] (or unbatched [C, H, W]), like `torch.nn.Conv2d` with zero padding.
///
/// Keys `weight` [out, in/groups, kH, kW] and `bias` [out]; the arithmetic is `Tensor.conv2d`.
public final class Conv2d: Module, @unchecked Sendable {
    /// Input channels.
    public let inChannels: Int
    /// Output channels.
    public let outChannels: Int
    /// Kernel height and width.
    public let kernelSize: (Int, Int)
    /// Vertical and horizontal step.
    public let stride: (Int, Int)
    /// Zero padding added to each side (rows, columns).
    public let padding: (Int, Int)
    /// Spacing between kernel taps.
    public let dilation: (Int, Int)
    /// Channel groups (each output group sees `inChannels / groups` inputs).
    public let groups: Int
    /// Weight [out, in/groups, kH, kW].
    @Param public var weight: Tensor
    /// Bias [out], absent when built with `bias: false`.
    @OptionalParam public var bias: Tensor?

    /// Initializes like PyTorch: weight kaiming-uniform(a = √5), i.e. U(±1/√fan_in), bias U(±1/√fan_in),
    /// with fan_in = in/groups·kH·kW, drawn from `rng` (weight first).
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                rng: inout RandomGenerator) {
        Conv2d.check(inChannels, outChannels, kernelSize, stride, padding, dilation, groups)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        let shape = [outChannels, inChannels / groups, kernelSize.0, kernelSize.1]
        _weight = Param(wrappedValue: Init.defaultWeight(shape, rng: &rng))
        let fanIn = Init.fans(shape).fanIn
        _bias = OptionalParam(wrappedValue: bias ? Init.defaultBias(count: outChannels, fanIn: fanIn, rng: &rng) : nil)
        super.init()
    }

    /// Square-kernel convenience: `Conv2d(3, 16, kernelSize: 3, padding: 1, rng: &rng)`.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, rng: inout RandomGenerator) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: (padding, padding), dilation: (dilation, dilation), groups: groups, bias: bias, rng: &rng)
    }

    /// Wraps given tensors (e.g. loaded weights); channels and kernel size come from `weight`.
    public init(weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                dilation: (Int, Int) = (1, 1), groups: Int = 1) {
        precondition(weight.rank == 4, "Conv2d: weight must be [out, in/groups, kH, kW], got \(weight.shape)")
        let (o, i, kh, kw) = (weight.shape[0], weight.shape[1] * groups, weight.shape[2], weight.shape[3])
        Conv2d.check(i, o, (kh, kw), stride, padding, dilation, groups)
        if let bias { precondition(bias.shape == [o], "Conv2d: bias shape \(bias.shape) does not match weight \(weight.shape)") }
        inChannels = i
        outChannels = o
        kernelSize = (kh, kw)
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        _weight = Param(wrappedValue: weight)
        _bias = OptionalParam(wrappedValue: bias)
        super.init()
    }

    private static func check(_ i: Int, _ o: Int, _ k: (Int, Int), _ s: (Int, Int), _ p: (Int, Int),
                              _ d: (Int, Int), _ groups: Int) {
        precondition(groups >= 1, "Conv2d: groups must be positive, got \(groups)")
        precondition(i > 0 && o > 0 && i % groups == 0 && o % groups == 0,
                     "Conv2d: in_channels \(i) and out_channels \(o) must be positive and divisible by groups \(groups)")
        precondition(k.0 > 0 && k.1 > 0 && s.0 > 0 && s.1 > 0 && d.0 > 0 && d.1 > 0 && p.0 >= 0 && p.1 >= 0,
                     "Conv2d: invalid kernel_size \(k), stride \(s), padding \(p) or dilation \(d)")
    }

    /// Applies the convolution.
    public override func forward(_ x: Tensor) -> Tensor {
        precondition((x.rank == 4 || x.rank == 3) && x.shape[x.rank - 3] == inChannels,
                     "Conv2d(\(inChannels)→\(outChannels)): input shape \(x.shape) is not [N, \(inChannels), H, W] or [\(inChannels), H, W]")
        return Tensor.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// PyTorch's class name.
    public override var typeName: String { "Conv2d" }

    /// PyTorch's `extra_repr`: defaults for padding, dilation, groups and bias are left out.
    public override var extraDescription: String {
        var s = "\(inChannels), \(outChannels), kernel_size=\(PyRepr.tuple(kernelSize)), stride=\(PyRepr.tuple(stride))"
        if padding != (0, 0) { s += ", padding=\(PyRepr.tuple(padding))" }
        if dilation != (1, 1) { s += ", dilation=\(PyRepr.tuple(dilation))" }
        if groups != 1 { s += ", groups=\(groups)" }
        if bias == nil { s += ", bias=False" }
        return s
    }
}
