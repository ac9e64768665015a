import TensorCore

// Parameter-free element-wise and row-wise layers, each a thin wrapper over the Tensor op of the
// same name, kept together because each is a few lines.

/// max(x, 0), like `torch.nn.ReLU`.
public final class ReLU: Module, @unchecked Sendable {
    /// A ReLU layer.
    public override init() { super.init() }
    /// Applies ReLU.
    public override func forward(_ x: Tensor) -> Tensor { x.relu() }
    /// PyTorch's class name.
    public override var typeName: String { "ReLU" }
}

/// x for x > 0, negativeSlope·x otherwise, like `torch.nn.LeakyReLU`.
public final class LeakyReLU: Module, @unchecked Sendable {
    /// Slope for negative inputs.
    public let negativeSlope: Float
    /// PyTorch's default slope 0.01.
    public init(negativeSlope: Float = 0.01) {
        self.negativeSlope = negativeSlope
        super.init()
    }
    /// Applies leaky ReLU.
    public override func forward(_ x: Tensor) -> Tensor { x.leakyRelu(negativeSlope) }
    /// PyTorch's class name.
    public override var typeName: String { "LeakyReLU" }
    /// `negative_slope=0.01` as PyTorch prints it.
    public override var extraDescription: String { "negative_slope=\(PyRepr.float(negativeSlope))" }
}

/// Gaussian error linear unit, like `torch.nn.GELU`: exact (erf) or the tanh approximation.
public final class GELU: Module, @unchecked Sendable {
    /// `"none"` (erf) or `"tanh"`.
    public let approximate: String
    /// PyTorch's default is the exact form.
    public init(approximate: String = "none") {
        precondition(approximate == "none" || approximate == "tanh",
                     "GELU: approximate must be 'none' or 'tanh', got '\(approximate)'")
        self.approximate = approximate
        super.init()
    }
    /// Applies GELU.
    public override func forward(_ x: Tensor) -> Tensor { x.gelu(approximate: approximate) }
    /// PyTorch's class name.
    public override var typeName: String { "GELU" }
    /// `approximate='none'` as PyTorch prints it.
    public override var extraDescription: String { "approximate='\(approximate)'" }
}

/// x·sigmoid(x), like `torch.nn.SiLU`.
public final class SiLU: Module, @unchecked Sendable {
    /// A SiLU layer.
    public override init() { super.init() }
    /// Applies SiLU.
    public override func forward(_ x: Tensor) -> Tensor { x.silu() }
    /// PyTorch's class name.
    public override var typeName: String { "SiLU" }
}

/// Logistic sigmoid, like `torch.nn.Sigmoid`.
public final class Sigmoid: Module, @unchecked Sendable {
    /// A sigmoid layer.
    public override init() { super.init() }
    /// Applies the sigmoid.
    public override func forward(_ x: Tensor) -> Tensor { x.sigmoid() }
    /// PyTorch's class name.
    public override var typeName: String { "Sigmoid" }
}

/// Hyperbolic tangent, like `torch.nn.Tanh`.
public final class Tanh: Module, @unchecked Sendable {
    /// A tanh layer.
    public override init() { super.init() }
    /// Applies tanh.
    public override func forward(_ x: Tensor) -> Tensor { x.tanh() }
    /// PyTorch's class name.
    public override var typeName: String { "Tanh" }
}

/// Softmax along `dim`, like `torch.nn.Softmax(dim=…)`.
public final class Softmax: Module, @unchecked Sendable {
    /// The normalized dimension (negative counts from the end).
    public let dim: Int
    /// Softmax along `dim` (explicit: PyTorch's implicit-dim choice is deprecated).
    public init(dim: Int) {
        self.dim = dim
        super.init()
    }
    /// Applies softmax.
    public override func forward(_ x: Tensor) -> Tensor { x.softmax(axis: dim) }
    /// PyTorch's class name.
    public override var typeName: String { "Softmax" }
    /// `dim=1` as PyTorch prints it.
    public override var extraDescription: String { "dim=\(dim)" }
}

/// Log-softmax along `dim`, like `torch.nn.LogSoftmax(dim=…)`.
public final class LogSoftmax: Module, @unchecked Sendable {
    /// The normalized dimension (negative counts from the end).
    public let dim: Int
    /// Log-softmax along `dim`.
    public init(dim: Int) {
        self.dim = dim
        super.init()
    }
    /// Applies log-softmax.
    public override func forward(_ x: Tensor) -> Tensor { x.logSoftmax(axis: dim) }
    /// PyTorch's class name.
    public override var typeName: String { "LogSoftmax" }
    /// `dim=1` as PyTorch prints it.
    public override var extraDescription: String { "dim=\(dim)" }
}

/// Returns its input unchanged, like `torch.nn.Identity` (a placeholder when removing a layer).
public final class Identity: Module, @unchecked Sendable {
    /// An identity layer.
    public override init() { super.init() }
    /// Returns `x`.
    public override func forward(_ x: Tensor) -> Tensor { x }
    /// PyTorch's class name.
    public override var typeName: String { "Identity" }
}
