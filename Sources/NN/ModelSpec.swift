import Foundation
import TensorCore

/// A code-free description of a `Sequential`: the per-sample input shape and a list of layers.
///
/// Sizes that follow from the previous layer (`in_features`, `in_channels`, BatchNorm's
/// `num_features`, LayerNorm's `normalized_shape`) are inferred from `inputShape`, so a spec names
/// only what a person would choose. The JSON form (snake_case keys, one object per layer with a
/// `type`) is what a YAML model config maps onto 1:1 and what `ModelFile` stores in a safetensors
/// `__metadata__`:
///
///     {"input_shape": [1, 28, 28], "layers": [
///       {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
///       {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out_features": 10}]}
///
/// Shapes exclude the batch dimension; dimension arguments (`dim`, `start_dim`) count it, as in
/// PyTorch. Decoding rejects unknown layer types and unknown arguments, naming the layer index.
public struct ModelSpec: Codable, Sendable, Equatable {
    /// Per-sample input shape (no batch dimension), e.g. `[3, 32, 32]` or `[784]`.
    public var inputShape: [Int]
    /// Element type of the input: float32, or int64 for a model that starts with an embedding.
    public var inputDType: DType
    /// The layers, in order.
    public var layers: [Layer]

    /// A spec for `layers` applied to samples of `inputShape`.
    public init(inputShape: [Int], inputDType: DType = .float32, layers: [Layer]) {
        self.inputShape = inputShape
        self.inputDType = inputDType
        self.layers = layers
    }

    /// A height/width pair written as one int when both are equal (`3` or `[3, 5]`).
    public struct Size2: Codable, Sendable, Equatable, ExpressibleByIntegerLiteral {
        /// First (height) component.
        public var h: Int
        /// Second (width) component.
        public var w: Int
        /// A pair.
        public init(_ h: Int, _ w: Int) { self.h = h; self.w = w }
        /// A square pair.
        public init(integerLiteral v: Int) { self.init(v, v) }
        /// As a tuple for the layer initializers.
        public var tuple: (Int, Int) { (h, w) }

        /// Decodes `3` or `[3, 5]`.
        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Int.self) { self.init(v, v); return }
            let a = try c.decode([Int].self)
            guard a.count == 2 else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected an int or a list of 2 ints, got \(a.count) ints")
            }
            self.init(a[0], a[1])
        }

        /// Encodes one int when square, else a list of two.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            if h == w { try c.encode(h) } else { try c.encode([h, w]) }
        }
    }

    /// One layer and its constructor arguments (the inferred sizes are not stored).
    public enum Layer: Sendable, Equatable {
        /// `nn.Linear(in_features, out_features, bias)`; in_features = last input dim.
        case linear(outFeatures: Int, bias: Bool = true)
        /// `nn.Conv2d`; in_channels = input dim 0 of a [C, H, W] sample.
        case conv2d(outChannels: Int, kernelSize: Size2, stride: Size2 = 1, padding: Size2 = 0,
                    dilation: Size2 = 1, groups: Int = 1, bias: Bool = true)
        /// `nn.BatchNorm1d` over [C] or [C, L] samples; num_features = C.
        case batchNorm1d(eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, trackRunningStats: Bool = true)
        /// `nn.BatchNorm2d` over [C, H, W] samples; num_features = C.
        case batchNorm2d(eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, trackRunningStats: Bool = true)
        /// `nn.LayerNorm`; `normalizedShape` nil = the last input dim.
        case layerNorm(normalizedShape: [Int]? = nil, eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true)
        /// `nn.ReLU`.
        case relu
        /// `nn.LeakyReLU(negative_slope)`.
        case leakyRelu(negativeSlope: Double = 0.01)
        /// `nn.GELU(approximate)` with `"none"` or `"tanh"`.
        case gelu(approximate: String = "none")
        /// `nn.SiLU`.
        case silu
        /// `nn.Sigmoid`.
        case sigmoid
        /// `nn.Tanh`.
        case tanh
        /// `nn.Softmax(dim)` (dim counts the batch dimension).
        case softmax(dim: Int)
        /// `nn.LogSoftmax(dim)` (dim counts the batch dimension).
        case logSoftmax(dim: Int)
        /// `nn.MaxPool2d`; stride nil = kernel size.
        case maxPool2d(kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0, dilation: Size2 = 1, ceilMode: Bool = false)
        /// `nn.AvgPool2d`; stride nil = kernel size.
        case avgPool2d(kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0, ceilMode: Bool = false,
                       countIncludePad: Bool = true, divisorOverride: Int? = nil)
        /// `nn.AdaptiveAvgPool2d(output_size)`.
        case adaptiveAvgPool2d(outputSize: Size2)
        /// `nn.Flatten(start_dim, end_dim)` (dims count the batch dimension).
        case flatten(startDim: Int = 1, endDim: Int = -1)
        /// `nn.Dropout(p)`.
        case dropout(p: Double = 0.5)
        /// `nn.Embedding(num_embeddings, embedding_dim, padding_idx)`; needs int64 input.
        case embedding(numEmbeddings: Int, embeddingDim: Int, paddingIdx: Int? = nil)
        /// `nn.Identity`.
        case identity

        /// The `type` string of the JSON form.
        public var kind: String {
            switch self {
            case .linear: return "linear"
            case .conv2d: return "conv2d"
            case .batchNorm1d: return "batchnorm1d"
            case .batchNorm2d: return "batchnorm2d"
            case .layerNorm: return "layernorm"
            case .relu: return "relu"
            case .leakyRelu: return "leaky_relu"
            case .gelu: return "gelu"
            case .silu: return "silu"
            case .sigmoid: return "sigmoid"
            case .tanh: return "tanh"
            case .softmax: return "softmax"
            case .logSoftmax: return "log_softmax"
            case .maxPool2d: return "maxpool2d"
            case .avgPool2d: return "avgpool2d"
            case .adaptiveAvgPool2d: return "adaptive_avgpool2d"
            case .flatten: return "flatten"
            case .dropout: return "dropout"
            case .embedding: return "embedding"
            case .identity: return "identity"
            }
        }

        /// Every `type` string the JSON form accepts.
        public static let kinds = ["linear", "conv2d", "batchnorm1d", "batchnorm2d", "layernorm", "relu", "leaky_relu",
                                   "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax", "maxpool2d", "avgpool2d",
                                   "adaptive_avgpool2d", "flatten", "dropout", "embedding", "identity"]
    }

    private enum CodingKeys: String, CodingKey {
        case inputShape = "input_shape", inputDType = "input_dtype", layers
    }

    /// Decodes the JSON form; an error names the layer index and the offending key.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inputShape = try c.decode([Int].self, forKey: .inputShape)
        inputDType = try c.decodeIfPresent(DType.self, forKey: .inputDType) ?? .float32
        layers = try c.decode([Layer].self, forKey: .layers)
    }

    /// Encodes the JSON form (`input_dtype` only when not float32).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inputShape, forKey: .inputShape)
        if inputDType != .float32 { try c.encode(inputDType, forKey: .inputDType) }
        try c.encode(layers, forKey: .layers)
    }
}

/// Why a `ModelSpec` cannot be built: the layer index and kind, the shape it received, and the reason.
public enum ModelSpecError: Error, Equatable, CustomStringConvertible {
    /// The input shape or dtype itself is unusable.
    case invalidInput(shape: [Int], reason: String)
    /// Layer `index` does not fit its input or has an invalid argument.
    case invalidLayer(index: Int, kind: String, inputShape: [Int], reason: String)
    /// The JSON form is malformed at `path` (e.g. `layers[2].kernel_size`).
    case invalidJSON(path: String, reason: String)

    /// A message naming the layer.
    public var description: String {
        switch self {
        case let .invalidInput(shape, reason):
            return "model spec: input_shape \(shape): \(reason)"
        case let .invalidLayer(index, kind, shape, reason):
            return "model spec: layers[\(index)] (\(kind)) with per-sample input shape \(shape): \(reason)"
        case let .invalidJSON(path, reason):
            return "model spec JSON: at \(path.isEmpty ? "top level" : path): \(reason)"
        }
    }
}

// MARK: - JSON text

extension ModelSpec {
    /// Parses the JSON form; a malformed document throws `ModelSpecError.invalidJSON` naming the key path.
    public static func decode(json: Data) throws -> ModelSpec {
        do {
            return try JSONDecoder().decode(ModelSpec.self, from: json)
        } catch let e as DecodingError {
            let (path, reason) = ModelSpec.describe(e)
            throw ModelSpecError.invalidJSON(path: path, reason: reason)
        }
    }

    /// Compact JSON with sorted keys (deterministic, so equal specs give equal bytes).
    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return try e.encode(self)
    }

    /// A dotted key path (`layers[2].kernel_size`) and a reason for a decoding error.
    public static func describe(_ error: DecodingError) -> (path: String, reason: String) {
        func render(_ path: [CodingKey]) -> String {
            var out = ""
            for k in path {
                if let i = k.intValue { out += "[\(i)]" } else { out += out.isEmpty ? k.stringValue : ".\(k.stringValue)" }
            }
            return out
        }
        switch error {
        case let .keyNotFound(key, ctx):
            return (render(ctx.codingPath + [key]), "required key is missing")
        case let .typeMismatch(type, ctx):
            return (render(ctx.codingPath), "expected \(type): \(ctx.debugDescription)")
        case let .valueNotFound(type, ctx):
            return (render(ctx.codingPath), "expected \(type), found null")
        case let .dataCorrupted(ctx):
            return (render(ctx.codingPath), ctx.debugDescription)
        @unknown default:
            return ("", "\(error)")
        }
    }
}

// MARK: - Building and shape inference

extension ModelSpec {
    /// Builds the model, initializing parameters from `rng` in layer order (as PyTorch's constructors do).
    public func build(rng: inout RandomGenerator) throws -> Sequential {
        var modules: [Module] = []
        try walk { index, layer, shape, _ in
            modules.append(try Self.module(layer, index: index, input: shape, rng: &rng))
        }
        return Sequential(modules)
    }

    /// The per-sample output shape, checking every layer without allocating parameters.
    public func outputShape() throws -> [Int] {
        try walk { _, _, _, _ in }
    }

    /// Per-sample shapes entering each layer, then the final output shape (count = layers + 1).
    public func shapes() throws -> [[Int]] {
        var out: [[Int]] = []
        let last = try walk { _, _, shape, _ in out.append(shape) }
        return out + [last]
    }

    /// Visits each layer with its input shape and dtype after checking it fits; returns the output shape.
    @discardableResult
    private func walk(_ visit: (Int, Layer, [Int], DType) throws -> Void) throws -> [Int] {
        guard inputShape.allSatisfy({ $0 > 0 }) else {
            throw ModelSpecError.invalidInput(shape: inputShape, reason: "every dimension must be positive")
        }
        guard inputDType == .float32 || inputDType == .int64 else {
            throw ModelSpecError.invalidInput(shape: inputShape, reason: "input_dtype must be float32 or int64, got \(inputDType.rawValue)")
        }
        guard Self.boundedCount(inputShape) != nil else {
            throw ModelSpecError.invalidInput(shape: inputShape, reason: "more than \(Self.maxElements) elements per sample")
        }
        var shape = inputShape
        var dtype = inputDType
        for (i, layer) in layers.enumerated() {
            let out = try Self.infer(layer, index: i, input: shape, dtype: dtype)
            // Bounding every shape and parameter tensor keeps later size arithmetic from overflowing and
            // turns a hostile config into an error instead of an allocation that cannot succeed.
            guard Self.boundedCount(out) != nil else {
                throw ModelSpecError.invalidLayer(index: i, kind: layer.kind, inputShape: shape,
                                                  reason: "output shape \(out) has more than \(Self.maxElements) elements")
            }
            guard Self.boundedCount(Self.parameterShape(layer, input: shape)) != nil else {
                throw ModelSpecError.invalidLayer(index: i, kind: layer.kind, inputShape: shape,
                                                  reason: "its weight would have more than \(Self.maxElements) elements")
            }
            try visit(i, layer, shape, dtype)
            shape = out
            dtype = .float32
        }
        return shape
    }

    /// Most elements in a per-sample shape or in one parameter tensor.
    public static let maxElements = 1 << 31

    /// The product of `dims`, or nil when it overflows or exceeds `maxElements`.
    static func boundedCount(_ dims: [Int]) -> Int? {
        var n = 1
        for d in dims {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o, p <= maxElements else { return nil }
            n = p
        }
        return n
    }

    /// The dims of a layer's largest parameter (empty for a layer without one).
    static func parameterShape(_ layer: Layer, input s: [Int]) -> [Int] {
        switch layer {
        case let .linear(out, _): return [out, s.last ?? 1]
        case let .conv2d(out, k, _, _, _, groups, _): return [out, s.first.map { $0 / max(groups, 1) } ?? 1, k.h, k.w]
        case let .layerNorm(shape, _, _, _): return shape ?? []
        case let .embedding(n, dim, _): return [n, dim]
        default: return []
        }
    }

    /// Output shape of one layer, or an error naming it.
    static func infer(_ layer: Layer, index: Int, input s: [Int], dtype: DType) throws -> [Int] {
        func fail(_ reason: String) -> ModelSpecError {
            .invalidLayer(index: index, kind: layer.kind, inputShape: s, reason: reason)
        }
        if case .embedding = layer {} else if dtype != .float32 {
            throw fail("expects a float32 input, got \(dtype.rawValue) (only an embedding takes integer input)")
        }
        /// A dimension that counts the batch, normalized against the batched rank.
        func batchedDim(_ d: Int, _ name: String) throws -> Int {
            let r = s.count + 1
            guard d >= -r && d < r else { throw fail("\(name)=\(d) is out of range for a batched input of rank \(r)") }
            return d < 0 ? d + r : d
        }
        func positive(_ p: Size2, _ name: String) throws {
            guard p.h > 0 && p.w > 0 else { throw fail("\(name) must be positive, got \(p.h == p.w ? "\(p.h)" : "[\(p.h), \(p.w)]")") }
        }
        func pooled(_ n: Int, k: Int, st: Int, p: Int, d: Int, ceil: Bool) throws -> Int {
            // Arguments come from config files: any of them may be huge, so no step may trap.
            guard n <= maxElements, k <= maxElements, st <= maxElements, p <= maxElements, d <= maxElements else {
                throw fail("kernel, stride, padding and dilation must be at most \(maxElements)")
            }
            let span = n + 2 * p - d * (k - 1) - 1
            var o = (ceil ? (span + st - 1) / st : span / st) + 1
            // PyTorch drops a last window that would start inside the right padding.
            if ceil && (o - 1) * st >= n + p { o -= 1 }
            return span < 0 ? 0 : o
        }
        switch layer {
        case let .linear(out, _):
            guard out > 0 else { throw fail("out_features must be positive, got \(out)") }
            guard !s.isEmpty else { throw fail("needs at least one dimension") }
            return Array(s.dropLast()) + [out]
        case let .conv2d(out, k, st, p, d, groups, _):
            guard s.count == 3 else { throw fail("needs a [C, H, W] sample") }
            try positive(k, "kernel_size"); try positive(st, "stride"); try positive(d, "dilation")
            guard p.h >= 0 && p.w >= 0 else { throw fail("padding must be non-negative") }
            guard groups >= 1, out > 0, s[0] % groups == 0, out % groups == 0 else {
                throw fail("in_channels \(s[0]) and out_channels \(out) must be positive and divisible by groups \(groups)")
            }
            let h = try pooled(s[1], k: k.h, st: st.h, p: p.h, d: d.h, ceil: false)
            let w = try pooled(s[2], k: k.w, st: st.w, p: p.w, d: d.w, ceil: false)
            guard h > 0 && w > 0 else { throw fail("kernel does not fit: output would be \(out)×\(h)×\(w)") }
            return [out, h, w]
        case let .batchNorm1d(eps, momentum, _, _):
            guard s.count == 1 || s.count == 2 else { throw fail("needs a [C] or [C, L] sample") }
            guard eps >= 0 else { throw fail("eps must be non-negative, got \(eps)") }
            if let m = momentum, !(0...1).contains(m) { throw fail("momentum must be in [0, 1], got \(m)") }
            return s
        case let .batchNorm2d(eps, momentum, _, _):
            guard s.count == 3 else { throw fail("needs a [C, H, W] sample") }
            guard eps >= 0 else { throw fail("eps must be non-negative, got \(eps)") }
            if let m = momentum, !(0...1).contains(m) { throw fail("momentum must be in [0, 1], got \(m)") }
            return s
        case let .layerNorm(shape, eps, _, _):
            guard let last = s.last else { throw fail("needs at least one dimension") }
            let ns = shape ?? [last]
            guard !ns.isEmpty, ns.count <= s.count, Array(s.suffix(ns.count)) == ns else {
                throw fail("normalized_shape \(ns) is not a suffix of the input shape")
            }
            guard eps >= 0 else { throw fail("eps must be non-negative, got \(eps)") }
            return s
        case .relu, .silu, .sigmoid, .tanh, .identity:
            return s
        case let .leakyRelu(slope):
            guard slope.isFinite else { throw fail("negative_slope must be finite") }
            return s
        case let .gelu(approx):
            guard approx == "none" || approx == "tanh" else { throw fail("approximate must be 'none' or 'tanh', got '\(approx)'") }
            return s
        case let .softmax(dim), let .logSoftmax(dim):
            _ = try batchedDim(dim, "dim")
            return s
        case let .maxPool2d(k, stride, p, d, ceil):
            guard s.count == 3 else { throw fail("needs a [C, H, W] sample") }
            let st = stride ?? k
            try positive(k, "kernel_size"); try positive(st, "stride"); try positive(d, "dilation")
            guard p.h >= 0, p.w >= 0, p.h <= k.h / 2, p.w <= k.w / 2 else {
                throw fail("padding must be non-negative and at most half of kernel_size")
            }
            let h = try pooled(s[1], k: k.h, st: st.h, p: p.h, d: d.h, ceil: ceil)
            let w = try pooled(s[2], k: k.w, st: st.w, p: p.w, d: d.w, ceil: ceil)
            guard h > 0 && w > 0 else { throw fail("window does not fit: output would be \(s[0])×\(h)×\(w)") }
            return [s[0], h, w]
        case let .avgPool2d(k, stride, p, ceil, _, divisor):
            guard s.count == 3 else { throw fail("needs a [C, H, W] sample") }
            let st = stride ?? k
            try positive(k, "kernel_size"); try positive(st, "stride")
            guard p.h >= 0, p.w >= 0, p.h <= k.h / 2, p.w <= k.w / 2 else {
                throw fail("padding must be non-negative and at most half of kernel_size")
            }
            if divisor == 0 { throw fail("divisor_override must not be zero") }
            let h = try pooled(s[1], k: k.h, st: st.h, p: p.h, d: 1, ceil: ceil)
            let w = try pooled(s[2], k: k.w, st: st.w, p: p.w, d: 1, ceil: ceil)
            guard h > 0 && w > 0 else { throw fail("window does not fit: output would be \(s[0])×\(h)×\(w)") }
            return [s[0], h, w]
        case let .adaptiveAvgPool2d(o):
            guard s.count == 3 else { throw fail("needs a [C, H, W] sample") }
            try positive(o, "output_size")
            return [s[0], o.h, o.w]
        case let .flatten(start, end):
            let a = try batchedDim(start, "start_dim"), b = try batchedDim(end, "end_dim")
            guard a >= 1 else { throw fail("start_dim=\(start) would merge the batch dimension") }
            guard a <= b else { throw fail("start_dim=\(start) comes after end_dim=\(end)") }
            // Per-sample dims are the batched ones shifted by one.
            let merged = s[(a - 1)...(b - 1)].reduce(1, *)
            return Array(s[..<(a - 1)]) + [merged] + Array(s[b...])
        case let .dropout(p):
            guard (0...1).contains(p) else { throw fail("p must be in [0, 1], got \(p)") }
            return s
        case let .embedding(n, dim, pad):
            guard dtype == .int64 else { throw fail("needs int64 indices (set input_dtype: int64 and put it first)") }
            guard n > 0 && dim > 0 else { throw fail("num_embeddings \(n) and embedding_dim \(dim) must be positive") }
            if let pad, !(pad >= -n && pad < n) { throw fail("padding_idx \(pad) must be within num_embeddings \(n)") }
            return s + [dim]
        }
    }

    /// The module for a layer already checked by `infer`.
    static func module(_ layer: Layer, index: Int, input s: [Int], rng: inout RandomGenerator) throws -> Module {
        switch layer {
        case let .linear(out, bias): return Linear(s.last!, out, bias: bias, rng: &rng)
        case let .conv2d(out, k, st, p, d, groups, bias):
            return Conv2d(s[0], out, kernelSize: k.tuple, stride: st.tuple, padding: p.tuple, dilation: d.tuple,
                          groups: groups, bias: bias, rng: &rng)
        case let .batchNorm1d(eps, m, affine, track):
            return BatchNorm1d(s[0], eps: Float(eps), momentum: m.map(Float.init), affine: affine, trackRunningStats: track)
        case let .batchNorm2d(eps, m, affine, track):
            return BatchNorm2d(s[0], eps: Float(eps), momentum: m.map(Float.init), affine: affine, trackRunningStats: track)
        case let .layerNorm(shape, eps, affine, bias):
            return LayerNorm(shape ?? [s.last!], eps: Float(eps), elementwiseAffine: affine, bias: bias)
        case .relu: return ReLU()
        case let .leakyRelu(slope): return LeakyReLU(negativeSlope: Float(slope))
        case let .gelu(approx): return GELU(approximate: approx)
        case .silu: return SiLU()
        case .sigmoid: return Sigmoid()
        case .tanh: return Tanh()
        case let .softmax(dim): return Softmax(dim: dim)
        case let .logSoftmax(dim): return LogSoftmax(dim: dim)
        case let .maxPool2d(k, st, p, d, ceil):
            return MaxPool2d(kernelSize: k.tuple, stride: st?.tuple, padding: p.tuple, dilation: d.tuple, ceilMode: ceil)
        case let .avgPool2d(k, st, p, ceil, cip, div):
            return AvgPool2d(kernelSize: k.tuple, stride: st?.tuple, padding: p.tuple, ceilMode: ceil,
                             countIncludePad: cip, divisorOverride: div)
        case let .adaptiveAvgPool2d(o): return AdaptiveAvgPool2d(outputSize: o.tuple)
        case let .flatten(a, b): return Flatten(startDim: a, endDim: b)
        case let .dropout(p): return Dropout(p: Float(p), rng: &rng)
        case let .embedding(n, dim, pad): return Embedding(n, dim, paddingIdx: pad, rng: &rng)
        case .identity: return Identity()
        }
    }
}

// MARK: - JSON form of a layer

extension ModelSpec.Layer: Codable {
    /// String keys of the JSON form.
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Allowed argument keys per kind (besides `type`).
    static let arguments: [String: [String]] = [
        "linear": ["out_features", "bias"],
        "conv2d": ["out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias"],
        "batchnorm1d": ["eps", "momentum", "affine", "track_running_stats"],
        "batchnorm2d": ["eps", "momentum", "affine", "track_running_stats"],
        "layernorm": ["normalized_shape", "eps", "elementwise_affine", "bias"],
        "leaky_relu": ["negative_slope"], "gelu": ["approximate"],
        "softmax": ["dim"], "log_softmax": ["dim"],
        "maxpool2d": ["kernel_size", "stride", "padding", "dilation", "ceil_mode"],
        "avgpool2d": ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"],
        "adaptive_avgpool2d": ["output_size"], "flatten": ["start_dim", "end_dim"], "dropout": ["p"],
        "embedding": ["num_embeddings", "embedding_dim", "padding_idx"],
    ]

    /// Decodes `{"type": kind, arg: value, …}`; unknown kinds and arguments are errors.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let kind = try c.decode(String.self, forKey: Key("type"))
        guard Self.kinds.contains(kind) else {
            throw DecodingError.dataCorruptedError(forKey: Key("type"), in: c,
                debugDescription: "unknown layer type '\(kind)'; expected one of \(Self.kinds.joined(separator: ", "))")
        }
        let allowed = Set(Self.arguments[kind] ?? []).union(["type"])
        for k in c.allKeys where !allowed.contains(k.stringValue) {
            throw DecodingError.dataCorruptedError(forKey: k, in: c,
                debugDescription: "unknown argument '\(k.stringValue)' for layer type '\(kind)'")
        }
        func req<T: Decodable>(_ k: String, _ t: T.Type = T.self) throws -> T { try c.decode(T.self, forKey: Key(k)) }
        func opt<T: Decodable>(_ k: String, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: Key(k)) ?? d }
        func optNil<T: Decodable>(_ k: String, _ d: T?) throws -> T? {
            // An explicit null means "none" (momentum: null → cumulative average), absence the default.
            guard c.contains(Key(k)) else { return d }
            return try c.decodeNil(forKey: Key(k)) ? nil : c.decode(T.self, forKey: Key(k))
        }
        switch kind {
        case "linear": self = .linear(outFeatures: try req("out_features"), bias: try opt("bias", true))
        case "conv2d":
            self = .conv2d(outChannels: try req("out_channels"), kernelSize: try req("kernel_size"),
                           stride: try opt("stride", 1), padding: try opt("padding", 0), dilation: try opt("dilation", 1),
                           groups: try opt("groups", 1), bias: try opt("bias", true))
        case "batchnorm1d", "batchnorm2d":
            let eps: Double = try opt("eps", 1e-5), m: Double? = try optNil("momentum", 0.1)
            let affine: Bool = try opt("affine", true), track: Bool = try opt("track_running_stats", true)
            self = kind == "batchnorm1d"
                ? .batchNorm1d(eps: eps, momentum: m, affine: affine, trackRunningStats: track)
                : .batchNorm2d(eps: eps, momentum: m, affine: affine, trackRunningStats: track)
        case "layernorm":
            var shape: [Int]? = nil
            if c.contains(Key("normalized_shape")), !(try c.decodeNil(forKey: Key("normalized_shape"))) {
                if let one = try? c.decode(Int.self, forKey: Key("normalized_shape")) { shape = [one] } else {
                    shape = try req("normalized_shape", [Int].self)
                }
            }
            self = .layerNorm(normalizedShape: shape, eps: try opt("eps", 1e-5),
                              elementwiseAffine: try opt("elementwise_affine", true), bias: try opt("bias", true))
        case "relu": self = .relu
        case "leaky_relu": self = .leakyRelu(negativeSlope: try opt("negative_slope", 0.01))
        case "gelu": self = .gelu(approximate: try opt("approximate", "none"))
        case "silu": self = .silu
        case "sigmoid": self = .sigmoid
        case "tanh": self = .tanh
        case "softmax": self = .softmax(dim: try req("dim"))
        case "log_softmax": self = .logSoftmax(dim: try req("dim"))
        case "maxpool2d":
            self = .maxPool2d(kernelSize: try req("kernel_size"), stride: try optNil("stride", nil),
                              padding: try opt("padding", 0), dilation: try opt("dilation", 1), ceilMode: try opt("ceil_mode", false))
        case "avgpool2d":
            self = .avgPool2d(kernelSize: try req("kernel_size"), stride: try optNil("stride", nil),
                              padding: try opt("padding", 0), ceilMode: try opt("ceil_mode", false),
                              countIncludePad: try opt("count_include_pad", true),
                              divisorOverride: try optNil("divisor_override", nil))
        case "adaptive_avgpool2d": self = .adaptiveAvgPool2d(outputSize: try req("output_size"))
        case "flatten": self = .flatten(startDim: try opt("start_dim", 1), endDim: try opt("end_dim", -1))
        case "dropout": self = .dropout(p: try opt("p", 0.5))
        case "embedding":
            self = .embedding(numEmbeddings: try req("num_embeddings"), embeddingDim: try req("embedding_dim"),
                              paddingIdx: try optNil("padding_idx", nil))
        default: self = .identity
        }
    }

    /// Encodes `{"type": kind, …}` with every argument spelled out (nil optionals as null).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(kind, forKey: Key("type"))
        func put<T: Encodable>(_ k: String, _ v: T) throws { try c.encode(v, forKey: Key(k)) }
        func putOpt<T: Encodable>(_ k: String, _ v: T?) throws {
            if let v { try c.encode(v, forKey: Key(k)) } else { try c.encodeNil(forKey: Key(k)) }
        }
        switch self {
        case let .linear(o, b): try put("out_features", o); try put("bias", b)
        case let .conv2d(o, k, s, p, d, g, b):
            try put("out_channels", o); try put("kernel_size", k); try put("stride", s); try put("padding", p)
            try put("dilation", d); try put("groups", g); try put("bias", b)
        case let .batchNorm1d(e, m, a, t), let .batchNorm2d(e, m, a, t):
            try put("eps", e); try putOpt("momentum", m); try put("affine", a); try put("track_running_stats", t)
        case let .layerNorm(ns, e, a, b):
            try putOpt("normalized_shape", ns); try put("eps", e); try put("elementwise_affine", a); try put("bias", b)
        case .relu, .silu, .sigmoid, .tanh, .identity: break
        case let .leakyRelu(s): try put("negative_slope", s)
        case let .gelu(a): try put("approximate", a)
        case let .softmax(d), let .logSoftmax(d): try put("dim", d)
        case let .maxPool2d(k, s, p, d, cm):
            try put("kernel_size", k); try putOpt("stride", s); try put("padding", p); try put("dilation", d)
            try put("ceil_mode", cm)
        case let .avgPool2d(k, s, p, cm, cip, div):
            try put("kernel_size", k); try putOpt("stride", s); try put("padding", p); try put("ceil_mode", cm)
            try put("count_include_pad", cip); try putOpt("divisor_override", div)
        case let .adaptiveAvgPool2d(o): try put("output_size", o)
        case let .flatten(a, b): try put("start_dim", a); try put("end_dim", b)
        case let .dropout(p): try put("p", p)
        case let .embedding(n, d, pad): try put("num_embeddings", n); try put("embedding_dim", d); try putOpt("padding_idx", pad)
        }
    }
}
