import Foundation

// Differentiable element-wise ops. Each forward is a `Kernels` loop; each backward rule is written
// with the same ops, run under `GradMode.noGrad`, and reduces broadcast dimensions with `sumTo`.

extension Tensor {
    /// Element-wise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let r = Kernels.map(a, b, op: "add", Add())
        let (sa, sb) = (a.shape, b.shape)
        return record("add", r, inputs: [a, b]) { g in [g.sumTo(sa), g.sumTo(sb)] }
    }

    /// Element-wise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let r = Kernels.map(a, b, op: "sub", Sub())
        let (sa, sb) = (a.shape, b.shape)
        return record("sub", r, inputs: [a, b]) { g in [g.sumTo(sa), (-g).sumTo(sb)] }
    }

    /// Element-wise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let r = Kernels.map(a, b, op: "mul", Mul())
        return record("mul", r, inputs: [a, b]) { g in
            [a.node == nil ? nil : (g * b.detach()).sumTo(a.shape),
             b.node == nil ? nil : (g * a.detach()).sumTo(b.shape)]
        }
    }

    /// Element-wise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let r = Kernels.map(a, b, op: "div", Div())
        return record("div", r, inputs: [a, b]) { g in
            let bd = b.detach()
            return [a.node == nil ? nil : (g / bd).sumTo(a.shape),
                    b.node == nil ? nil : (-(g * r.detach()) / bd).sumTo(b.shape)]
        }
    }

    /// Negation.
    public static prefix func - (a: Tensor) -> Tensor {
        let r = Kernels.unary(a) { -$0 }
        return record("neg", r, inputs: [a]) { g in [-g] }
    }

    /// Adds a scalar.
    public static func + (a: Tensor, s: Float) -> Tensor {
        record("add_scalar", Kernels.map(a, AddScalar(s: s)), inputs: [a]) { g in [g] }
    }
    /// Adds a scalar.
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    /// Subtracts a scalar.
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
    /// Scalar minus tensor.
    public static func - (s: Float, a: Tensor) -> Tensor {
        record("rsub_scalar", Kernels.unary(a) { s - $0 }, inputs: [a]) { g in [-g] }
    }
    /// Multiplies by a scalar.
    public static func * (a: Tensor, s: Float) -> Tensor {
        record("mul_scalar", Kernels.map(a, MulScalar(s: s)), inputs: [a]) { g in [g * s] }
    }
    /// Multiplies by a scalar.
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    /// Divides by a scalar.
    public static func / (a: Tensor, s: Float) -> Tensor {
        record("div_scalar", Kernels.unary(a) { $0 / s }, inputs: [a]) { g in [g / s] }
    }
    /// Scalar divided by tensor.
    public static func / (s: Float, a: Tensor) -> Tensor {
        let r = Kernels.unary(a) { s / $0 }
        return record("rdiv_scalar", r, inputs: [a]) { g in [-(g * r.detach()) / a.detach()] }
    }

    /// e^x.
    public func exp() -> Tensor {
        let r = Kernels.unary(self) { Foundation.exp($0) }
        return Tensor.record("exp", r, inputs: [self]) { g in [g * r.detach()] }
    }

    /// Natural logarithm.
    public func log() -> Tensor {
        let x = self.detach()
        return Tensor.record("log", Kernels.unary(self) { Foundation.log($0) }, inputs: [self]) { g in [g / x] }
    }

    /// Square root.
    public func sqrt() -> Tensor {
        let r = Kernels.unary(self) { $0.squareRoot() }
        return Tensor.record("sqrt", r, inputs: [self]) { g in [g / (r.detach() * 2)] }
    }

    /// Absolute value (gradient sign(x), 0 at 0 as in PyTorch).
    public func abs() -> Tensor {
        let x = self.detach()
        return Tensor.record("abs", Kernels.unary(self) { Swift.abs($0) }, inputs: [self]) { g in
            [Kernels.binary(g, x, op: "abs_backward") { $1 > 0 ? $0 : ($1 < 0 ? -$0 : 0) }]
        }
    }

    /// x^p for a scalar exponent.
    public func pow(_ p: Float) -> Tensor {
        let x = self.detach()
        let r: Tensor = p == 2 ? Kernels.unary(self) { $0 * $0 } : Kernels.unary(self) { Foundation.pow($0, p) }
        return Tensor.record("pow", r, inputs: [self]) { g in
            // PyTorch returns zeros for p == 0 instead of 0·x⁻¹ (NaN at x = 0).
            if p == 0 { return [Tensor(zeros: x.shape)] }
            return [Kernels.binary(g, x, op: "pow_backward") { gg, xx in gg * p * (p == 2 ? xx : Foundation.pow(xx, p - 1)) }]
        }
    }

    /// x².
    public func square() -> Tensor { pow(2) }

    /// max(x, 0); NaN and -0 pass through unchanged, as in PyTorch.
    public func relu() -> Tensor {
        let r = Kernels.map(self, ReLU())
        return Tensor.record("relu", r, inputs: [self]) { g in
            [Kernels.map(g, r.detach(), op: "relu_backward", ReLUBackward())]
        }
    }

    /// x for x > 0, slope·x otherwise.
    public func leakyRelu(_ slope: Float = 0.01) -> Tensor {
        let x = self.detach()
        return Tensor.record("leaky_relu", Kernels.unary(self) { $0 > 0 ? $0 : $0 * slope }, inputs: [self]) { g in
            [Kernels.binary(g, x, op: "leaky_relu_backward") { $1 > 0 ? $0 : $0 * slope }]
        }
    }

    /// Logistic sigmoid 1 / (1 + e^-x), PyTorch's formula (0 for x below about -88, never NaN).
    public func sigmoid() -> Tensor {
        let r = Kernels.unary(self) { Tensor.sigmoidScalar($0) }
        return Tensor.record("sigmoid", r, inputs: [self]) { g in
            [Kernels.binary(g, r.detach(), op: "sigmoid_backward") { $0 * $1 * (1 - $1) }]
        }
    }

    @inline(__always) static func sigmoidScalar(_ x: Float) -> Float {
        1 / (1 + Foundation.exp(-x))
    }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor {
        let r = Kernels.unary(self) { Foundation.tanh($0) }
        return Tensor.record("tanh", r, inputs: [self]) { g in
            [Kernels.binary(g, r.detach(), op: "tanh_backward") { $0 * (1 - $1 * $1) }]
        }
    }

    /// GELU; `approximate: "none"` (erf, PyTorch's default) or `"tanh"`.
    public func gelu(approximate: String = "none") -> Tensor {
        let x = self.detach()
        if approximate == "tanh" {
            let k: Float = (2 / Float.pi).squareRoot()
            let r = Kernels.unary(self) { v in 0.5 * v * (1 + Foundation.tanh(k * (v + 0.044715 * v * v * v))) }
            return Tensor.record("gelu_tanh", r, inputs: [self]) { g in
                [Kernels.binary(g, x, op: "gelu_backward") { gg, v in
                    let inner = k * (v + 0.044715 * v * v * v)
                    let t = Foundation.tanh(inner)
                    let dinner = k * (1 + 3 * 0.044715 * v * v)
                    return gg * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dinner)
                }]
            }
        }
        precondition(approximate == "none", "gelu: approximate must be 'none' or 'tanh', got '\(approximate)'")
        // PyTorch multiplies by 1/√2 rather than dividing by √2; the rounding differs.
        let invSqrt2 = Float(0.5.squareRoot())
        let r = Kernels.unary(self) { v in v * 0.5 * (1 + Foundation.erf(v * invSqrt2)) }
        return Tensor.record("gelu", r, inputs: [self]) { g in
            [Kernels.binary(g, x, op: "gelu_backward") { gg, v in
                let cdf = 0.5 * (1 + Foundation.erf(v * invSqrt2))
                let pdf = Foundation.exp(-0.5 * v * v) / (2 * Float.pi).squareRoot()
                return gg * (cdf + v * pdf)
            }]
        }
    }

    /// x · sigmoid(x).
    public func silu() -> Tensor {
        let x = self.detach()
        let r = Kernels.unary(self) { $0 / (1 + Foundation.exp(-$0)) }
        return Tensor.record("silu", r, inputs: [self]) { g in
            [Kernels.binary(g, x, op: "silu_backward") { gg, v in
                let s = Tensor.sigmoidScalar(v)
                return gg * s * (1 + v * (1 - s))
            }]
        }
    }

    /// Clamps into [lo, hi]; gradient passes where the value was inside.
    public func clamp(min lo: Float = -.infinity, max hi: Float = .infinity) -> Tensor {
        let x = self.detach()
        return Tensor.record("clamp", Kernels.unary(self) { Swift.min(Swift.max($0, lo), hi) }, inputs: [self]) { g in
            [Kernels.binary(g, x, op: "clamp_backward") { ($1 >= lo && $1 <= hi) ? $0 : 0 }]
        }
    }

    /// Element-wise maximum with broadcasting; NaN propagates and the gradient splits evenly on
    /// ties, as in PyTorch.
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        // Not Swift.max: that drops a NaN in its first argument and returns b on ties (-0 vs 0).
        let r = Kernels.binary(a, b, op: "maximum") { x, y in x.isNaN || y.isNaN ? .nan : (x < y ? y : x) }
        let (ad, bd) = (a.detach(), b.detach())
        return record("maximum", r, inputs: [a, b]) { g in
            let wa = Kernels.binary(ad, bd, op: "maximum_backward") { $0 > $1 ? 1 : ($0 == $1 ? 0.5 : 0) }
            return [(g * wa).sumTo(a.shape), (g * (1 - wa)).sumTo(b.shape)]
        }
    }

    /// Element-wise minimum with broadcasting.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { -maximum(-a, -b) }

    /// Sum `self` down to `shape` over broadcast dimensions (the adjoint of broadcasting).
    public func sumTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        precondition(lead >= 0, "sumTo: cannot reduce \(shape) to \(target)")
        var axes: [Int] = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        var r = axes.isEmpty ? self : sum(axes: axes, keepDims: true)
        if lead > 0 || r.shape != target { r = r.reshaped(target) }
        return r
    }
}

// MARK: - Comparisons and selection (not differentiable in the condition)

extension Tensor {
    /// Element-wise comparison producing a `bool` tensor.
    static func compare(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Bool) -> Tensor {
        Kernels.binary(a, b, op: op) { f($0, $1) ? 1 : 0 }.to(.bool)
    }
    /// a > b.
    public static func .> (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: "gt") { $0 > $1 } }
    /// a < b.
    public static func .< (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: "lt") { $0 < $1 } }
    /// a >= b.
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: "ge") { $0 >= $1 } }
    /// a <= b.
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: "le") { $0 <= $1 } }
    /// a == b element-wise.
    public static func .== (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: "eq") { $0 == $1 } }
    /// a != b element-wise.
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: "ne") { $0 != $1 } }
    /// a > s.
    public static func .> (a: Tensor, s: Float) -> Tensor { a .> Tensor(scalar: s) }
    /// a < s.
    public static func .< (a: Tensor, s: Float) -> Tensor { a .< Tensor(scalar: s) }
    /// a >= s.
    public static func .>= (a: Tensor, s: Float) -> Tensor { a .>= Tensor(scalar: s) }
    /// a <= s.
    public static func .<= (a: Tensor, s: Float) -> Tensor { a .<= Tensor(scalar: s) }
    /// a == s element-wise.
    public static func .== (a: Tensor, s: Float) -> Tensor { a .== Tensor(scalar: s) }
    /// a != s element-wise.
    public static func .!= (a: Tensor, s: Float) -> Tensor { a .!= Tensor(scalar: s) }

    /// Picks `a` where `condition` is true (non-zero), else `b`; gradients flow to both branches.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let c = condition.dtype == .float32 ? condition : condition.to(.float32)
        let r = Kernels.ternary(c, a, b, op: "where") { $0 != 0 ? $1 : $2 }
        return record("where", r, inputs: [a, b]) { g in
            let m = Kernels.binary(g, c, op: "where_backward") { $1 != 0 ? $0 : 0 }
            return [m.sumTo(a.shape), (g - m).sumTo(b.shape)]
        }
    }
}


// The hot element-wise operations as types, so `Kernels.map` inlines and vectorizes them.
private struct Add: ElementMap2 { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
private struct Sub: ElementMap2 { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
private struct Mul: ElementMap2 { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
private struct Div: ElementMap2 { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
private struct AddScalar: ElementMap { let s: Float; @inline(__always) func callAsFunction(_ x: Float) -> Float { x + s } }
private struct MulScalar: ElementMap { let s: Float; @inline(__always) func callAsFunction(_ x: Float) -> Float { x * s } }
/// max(x, 0) keeping NaN and -0, as PyTorch.
private struct ReLU: ElementMap { @inline(__always) func callAsFunction(_ x: Float) -> Float { x < 0 ? 0 : x } }
/// The incoming gradient where the ReLU output is positive (or NaN), else 0.
private struct ReLUBackward: ElementMap2 { @inline(__always) func callAsFunction(_ g: Float, _ r: Float) -> Float { r <= 0 ? 0 : g } }
