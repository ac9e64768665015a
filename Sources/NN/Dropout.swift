import TensorCore

/// Inverted dropout, like `torch.nn.Dropout`: in training each element is zeroed with probability
/// `p` and the survivors are scaled by 1/(1−p); in evaluation it is the identity.
///
/// The mask comes from an explicit `RandomGenerator` so that training runs are reproducible and
/// resumable. Two ways to drive it:
/// - per layer: `rng` is a plain value property; a trainer saves it in checkpoints and can
///   replace it (`layer.rng = streams[RNGStreams.dropout]`);
/// - one stream for the whole model: `model.withDropoutGenerator(&streams[RNGStreams.dropout]) { … }`
///   makes every Dropout in the tree draw from that generator, in call order, for the duration of
///   the closure, and leaves the advanced state in the caller's variable. Each mask draws exactly
///   one 32-bit value per element (`bernoulliMask`), so the stream's position after a step depends
///   only on the shapes seen.
public final class Dropout: Module, @unchecked Sendable {
    /// Probability of zeroing an element.
    public let p: Float
    /// This layer's own generator, used when no shared generator is installed.
    public var rng: RandomGenerator
    /// The shared generator installed by `withDropoutGenerator`, if any.
    var shared: SharedGenerator?

    /// Dropout with probability `p`; its generator is split off `rng` (one 64-bit draw seeds it on
    /// the dropout stream), so several layers built from one generator get independent masks.
    public init(p: Float = 0.5, rng: inout RandomGenerator) {
        precondition(p >= 0 && p <= 1, "Dropout: probability has to be between 0 and 1, but got \(p)")
        self.p = p
        self.rng = RandomGenerator(seed: rng.nextUInt64(), stream: RNGStreams.streamID(RNGStreams.dropout))
        super.init()
    }

    /// Dropout with probability `p` drawing from exactly the generator `rng` (e.g. a restored state).
    public init(p: Float = 0.5, generator rng: RandomGenerator) {
        precondition(p >= 0 && p <= 1, "Dropout: probability has to be between 0 and 1, but got \(p)")
        self.p = p
        self.rng = rng
        super.init()
    }

    /// Applies dropout in training mode, the identity in evaluation mode (or when p = 0).
    public override func forward(_ x: Tensor) -> Tensor {
        guard training && p > 0 else { return x }
        precondition(x.dtype == .float32, "Dropout: expected a float32 input, got \(x.dtype)")
        if p == 1 { return x * Tensor(zeros: x.shape) }
        // PyTorch divides the 0/1 mask by (1 − p) in float32, then multiplies.
        let scale = 1 / (1 - p)
        let mask: Tensor
        if let shared {
            mask = shared.generator.bernoulliMask(x.shape, keepProbability: 1 - p)
        } else {
            mask = rng.bernoulliMask(x.shape, keepProbability: 1 - p)
        }
        return x * (mask * scale)
    }

    /// PyTorch's class name.
    public override var typeName: String { "Dropout" }

    /// `p=0.5, inplace=False` as PyTorch prints it.
    public override var extraDescription: String { "p=\(PyRepr.float(p)), inplace=False" }
}

/// A generator several dropout layers draw from in turn while `withDropoutGenerator` runs.
final class SharedGenerator: @unchecked Sendable {
    var generator: RandomGenerator
    init(_ g: RandomGenerator) { generator = g }
}

extension Module {
    /// Runs `body` with every `Dropout` in this tree drawing its masks from `rng` (in call order),
    /// then stores the advanced generator back into `rng`; the layers' own `rng` are untouched.
    public func withDropoutGenerator<R>(_ rng: inout RandomGenerator, _ body: () throws -> R) rethrows -> R {
        let box = SharedGenerator(rng)
        let layers = namedModules().compactMap { $0.1 as? Dropout }
        for l in layers { l.shared = box }
        defer {
            for l in layers { l.shared = nil }
            rng = box.generator
        }
        return try body()
    }
}
