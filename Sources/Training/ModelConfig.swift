import NN
import TensorCore

/// The `model:` section: the per-sample input shape and the layers of a `Sequential`, in the YAML
/// spelling of `NN.ModelSpec` (one `kind: arguments` item per layer, so layer `i` of the list is
/// `i.` in the state dict, exactly as `torch.nn.Sequential` numbers it).
///
/// ```yaml
/// model:
///   input: [1, 28, 28]          # C, H, W (or [features])
///   layers:
///     - conv2d: {out: 16, kernel: 5, padding: 2}
///     - relu
///     - maxpool2d: 2
///     - flatten
///     - linear: {out: 10}
/// ```
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Per-sample input shape without the batch dimension.
    public var input: [Int]
    /// float32, or int64 for a model that starts with an embedding.
    public var inputDType: DType
    /// The layers, in order.
    public var layers: [ModelSpec.Layer]

    /// A model section.
    public init(input: [Int], inputDType: DType = .float32, layers: [ModelSpec.Layer]) {
        self.input = input
        self.inputDType = inputDType
        self.layers = layers
    }

    /// The equivalent `ModelSpec` (shape-checked by `ModelSpec.shapes()` during parsing).
    public var spec: ModelSpec { ModelSpec(inputShape: input, inputDType: inputDType, layers: layers) }

    enum CodingKeys: String, CodingKey {
        case input, inputDType = "input_dtype", layers
    }

    /// Decodes the YAML form; layer errors name the layer's index.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        input = try c.decode([Int].self, forKey: .input)
        try c.check(!input.isEmpty && input.allSatisfy { $0 > 0 }, .input,
                    "must be a non-empty list of positive sizes (C, H, W or features), got \(input)")
        let dtype = try c.value(.inputDType, or: "float32")
        switch dtype {
        case "float32": inputDType = .float32
        case "int64": inputDType = .int64
        default: throw c.invalid(.inputDType, "must be float32 or int64, got '\(dtype)'")
        }
        layers = try c.decode([YAMLLayer].self, forKey: .layers).map(\.layer)
        try c.check(!layers.isEmpty, .layers, "must list at least one layer")
    }

    /// Encodes the YAML form (`input_dtype` only when not float32).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(input, forKey: .input)
        if inputDType != .float32 { try c.encode(inputDType.rawValue, forKey: .inputDType) }
        try c.encode(layers.map(YAMLLayer.init), forKey: .layers)
    }
}
