import Foundation
import TensorCore

/// PyTorch's default initializers (`torch.nn.init`), drawing from an explicit generator.
public enum Init {
    /// Fan-in and fan-out of a weight shaped like PyTorch's ([out, in, *kernel]).
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "Init.fans: needs at least 2 dims, got \(shape)")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// `kaiming_uniform_(w, a)` with leaky-ReLU gain: U(-b, b), b = gain·√(3 / fan_in).
    public static func kaimingUniform(_ shape: [Int], a: Float, rng: inout RandomGenerator) -> Tensor {
        let fanIn = fans(shape).fanIn
        let gain = (2 / (1 + a * a)).squareRoot()
        let bound = fanIn == 0 ? 0 : gain * (3 / Float(fanIn)).squareRoot()
        return rng.uniform(shape, low: -bound, high: bound)
    }

    /// The default weight init of Linear and Conv: kaiming-uniform with a = √5, i.e. U(±1/√fan_in).
    public static func defaultWeight(_ shape: [Int], rng: inout RandomGenerator) -> Tensor {
        kaimingUniform(shape, a: Float(5).squareRoot(), rng: &rng)
    }

    /// The default bias init of Linear and Conv: U(±1/√fan_in) of the weight's fan-in.
    public static func defaultBias(count: Int, fanIn: Int, rng: inout RandomGenerator) -> Tensor {
        let bound: Float = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
        return rng.uniform([count], low: -bound, high: bound)
    }

    /// `xavier_uniform_`: U(±gain·√(6 / (fan_in + fan_out))).
    public static func xavierUniform(_ shape: [Int], gain: Float = 1, rng: inout RandomGenerator) -> Tensor {
        let (i, o) = fans(shape)
        let bound = gain * (6 / Float(max(i + o, 1))).squareRoot()
        return rng.uniform(shape, low: -bound, high: bound)
    }

    /// `normal_(mean, std)`.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout RandomGenerator) -> Tensor {
        rng.normal(shape, mean: mean, std: std)
    }
}
