import NN

/// One `model.layers` item in its YAML spelling, mapped 1:1 onto `ModelSpec.Layer`.
///
/// An item is a bare kind (`relu`), a kind with its main argument (`maxpool2d: 2`, `dropout: 0.1`)
/// or a kind with an argument mapping (`conv2d: {out: 16, kernel: 5}`). Argument names are
/// PyTorch's with the `_features`/`_channels`/`_size` noise dropped; see `YAMLLayer.arguments`.
struct YAMLLayer: Codable, Equatable {
    var layer: ModelSpec.Layer

    init(_ layer: ModelSpec.Layer) { self.layer = layer }

    /// YAML argument names per kind, in the order they are written back.
    static let arguments: [String: [String]] = [
        "linear": ["out", "bias"],
        "conv2d": ["out", "kernel", "stride", "padding", "dilation", "groups", "bias"],
        "batchnorm1d": ["eps", "momentum", "affine", "track_running_stats"],
        "batchnorm2d": ["eps", "momentum", "affine", "track_running_stats"],
        "layernorm": ["shape", "eps", "affine", "bias"],
        "leaky_relu": ["slope"], "gelu": ["approximate"],
        "softmax": ["dim"], "log_softmax": ["dim"],
        "maxpool2d": ["kernel", "stride", "padding", "dilation", "ceil_mode"],
        "avgpool2d": ["kernel", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"],
        "adaptive_avgpool2d": ["out"], "flatten": ["start_dim", "end_dim"], "dropout": ["p"],
        "embedding": ["num", "dim", "padding_idx"],
    ]

    /// The argument a scalar after the kind stands for (`maxpool2d: 2` is `kernel: 2`).
    static let shorthand: [String: String] = [
        "linear": "out", "leaky_relu": "slope", "gelu": "approximate", "softmax": "dim", "log_softmax": "dim",
        "maxpool2d": "kernel", "avgpool2d": "kernel", "adaptive_avgpool2d": "out", "dropout": "p",
    ]

    /// Kinds written back in shorthand when only the main argument differs from its default.
    private static let writtenShort: Set<String> = ["leaky_relu", "gelu", "softmax", "log_softmax", "maxpool2d",
                                                    "avgpool2d", "adaptive_avgpool2d", "dropout"]

    init(from decoder: Decoder) throws {
        if let kind = try? decoder.singleValueContainer().decode(String.self) {
            guard ModelSpec.Layer.kinds.contains(kind) else { throw YAMLLayer.unknownKind(kind, decoder.codingPath) }
            let args = Args(kind: kind, parent: nil, key: AnyKey(kind), form: .bare, codingPath: decoder.codingPath)
            layer = try YAMLLayer.build(kind, args)
            return
        }
        let c: KeyedDecodingContainer<AnyKey>
        do { c = try decoder.container(keyedBy: AnyKey.self) } catch {
            throw DecodingError.typeMismatch(YAMLLayer.self, .init(codingPath: decoder.codingPath,
                debugDescription: "expected a layer: a kind such as 'relu', or 'kind: arguments' such as 'linear: {out: 10}'"))
        }
        let keys = c.allKeys
        guard keys.count == 1, let key = keys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: keys.isEmpty
                ? "empty layer; expected 'kind: arguments' such as 'linear: {out: 10}'"
                : "a layer is one 'kind: arguments' pair, found \(keys.count) keys (\(keys.map(\.stringValue).joined(separator: ", "))); put each layer in its own list item"))
        }
        let kind = key.stringValue
        guard ModelSpec.Layer.kinds.contains(kind) else { throw YAMLLayer.unknownKind(kind, decoder.codingPath) }
        let form: Args.Form
        if try c.decodeNil(forKey: key) {
            form = .bare
        } else if let m = try? c.nestedContainer(keyedBy: AnyKey.self, forKey: key) {
            form = .mapping(m)
        } else {
            guard YAMLLayer.shorthand[kind] != nil else {
                let names = YAMLLayer.arguments[kind] ?? []
                throw DecodingError.typeMismatch(YAMLLayer.self, .init(codingPath: decoder.codingPath + [key], debugDescription: names.isEmpty
                    ? "\(kind) takes no arguments"
                    : "expected a mapping of \(kind) arguments (\(names.joined(separator: ", ")))"))
            }
            form = .shorthand
        }
        layer = try YAMLLayer.build(kind, Args(kind: kind, parent: c, key: key, form: form, codingPath: decoder.codingPath))
    }

    private static func unknownKind(_ kind: String, _ path: [CodingKey]) -> DecodingError {
        let hint = ConfigError.closest(to: kind, in: ModelSpec.Layer.kinds).map { " (did you mean '\($0)'?)" } ?? ""
        return .dataCorrupted(.init(codingPath: path, debugDescription:
            "unknown layer kind '\(kind)'\(hint); expected one of \(ModelSpec.Layer.kinds.joined(separator: ", "))"))
    }

    /// Reads a layer's arguments from whichever form it was written in.
    private struct Args {
        enum Form {
            case bare
            case shorthand
            case mapping(KeyedDecodingContainer<AnyKey>)
        }

        let kind: String
        let parent: KeyedDecodingContainer<AnyKey>?
        let key: AnyKey
        let form: Form
        let codingPath: [CodingKey]

        func opt<T: Decodable>(_ name: String, _ fallback: T) throws -> T {
            switch form {
            case .bare: return fallback
            case .shorthand: return name == YAMLLayer.shorthand[kind] ? try parent!.decode(T.self, forKey: key) : fallback
            case let .mapping(m): return try m.value(AnyKey(name), or: fallback)
            }
        }

        /// An optional argument whose explicit `null` means "none" rather than the default.
        func optNil<T: Decodable>(_ name: String, _ fallback: T?) throws -> T? {
            switch form {
            case .bare: return fallback
            case .shorthand: return name == YAMLLayer.shorthand[kind] ? try parent!.decode(T.self, forKey: key) : fallback
            case let .mapping(m):
                guard m.contains(AnyKey(name)) else { return fallback }
                return try m.decodeNil(forKey: AnyKey(name)) ? nil : m.decode(T.self, forKey: AnyKey(name))
            }
        }

        func req<T: Decodable>(_ name: String) throws -> T {
            switch form {
            case let .mapping(m): return try m.decode(T.self, forKey: AnyKey(name))
            case .shorthand where name == YAMLLayer.shorthand[kind]: return try parent!.decode(T.self, forKey: key)
            default:
                throw DecodingError.keyNotFound(AnyKey(name), .init(codingPath: codingPath + (parent == nil ? [] : [key]),
                    debugDescription: "\(kind) needs '\(name)', e.g. '\(kind): {\(name): …}'"))
            }
        }
    }

    private static func build(_ kind: String, _ a: Args) throws -> ModelSpec.Layer {
        typealias S = ModelSpec.Size2
        switch kind {
        case "linear": return .linear(outFeatures: try a.req("out"), bias: try a.opt("bias", true))
        case "conv2d":
            return .conv2d(outChannels: try a.req("out"), kernelSize: try a.req("kernel"), stride: try a.opt("stride", 1 as S),
                           padding: try a.opt("padding", 0 as S), dilation: try a.opt("dilation", 1 as S),
                           groups: try a.opt("groups", 1), bias: try a.opt("bias", true))
        case "batchnorm1d", "batchnorm2d":
            let eps: Double = try a.opt("eps", 1e-5), m: Double? = try a.optNil("momentum", 0.1)
            let affine: Bool = try a.opt("affine", true), track: Bool = try a.opt("track_running_stats", true)
            return kind == "batchnorm1d" ? .batchNorm1d(eps: eps, momentum: m, affine: affine, trackRunningStats: track)
                                         : .batchNorm2d(eps: eps, momentum: m, affine: affine, trackRunningStats: track)
        case "layernorm":
            var shape: [Int]?
            if let one = try? a.optNil("shape", nil as Int?) { shape = [one] } else { shape = try a.optNil("shape", nil as [Int]?) }
            return .layerNorm(normalizedShape: shape, eps: try a.opt("eps", 1e-5), elementwiseAffine: try a.opt("affine", true),
                              bias: try a.opt("bias", true))
        case "relu": return .relu
        case "silu": return .silu
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        case "identity": return .identity
        case "leaky_relu": return .leakyRelu(negativeSlope: try a.opt("slope", 0.01))
        case "gelu": return .gelu(approximate: try a.opt("approximate", "none"))
        case "softmax": return .softmax(dim: try a.req("dim"))
        case "log_softmax": return .logSoftmax(dim: try a.req("dim"))
        case "maxpool2d":
            return .maxPool2d(kernelSize: try a.req("kernel"), stride: try a.optNil("stride", nil as S?), padding: try a.opt("padding", 0 as S),
                              dilation: try a.opt("dilation", 1 as S), ceilMode: try a.opt("ceil_mode", false))
        case "avgpool2d":
            return .avgPool2d(kernelSize: try a.req("kernel"), stride: try a.optNil("stride", nil as S?), padding: try a.opt("padding", 0 as S),
                              ceilMode: try a.opt("ceil_mode", false), countIncludePad: try a.opt("count_include_pad", true),
                              divisorOverride: try a.optNil("divisor_override", nil as Int?))
        case "adaptive_avgpool2d": return .adaptiveAvgPool2d(outputSize: try a.req("out"))
        case "flatten": return .flatten(startDim: try a.opt("start_dim", 1), endDim: try a.opt("end_dim", -1))
        case "dropout": return .dropout(p: try a.opt("p", 0.5))
        case "embedding":
            return .embedding(numEmbeddings: try a.req("num"), embeddingDim: try a.req("dim"),
                              paddingIdx: try a.optNil("padding_idx", nil as Int?))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: a.codingPath, debugDescription: "unknown layer kind '\(kind)'"))
        }
    }

    /// A value as written back.
    private enum Arg: Encodable, Equatable {
        case int(Int), double(Double), bool(Bool), string(String), size(ModelSpec.Size2), ints([Int]), null

        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case let .int(v): try c.encode(v)
            case let .double(v): try c.encode(v)
            case let .bool(v): try c.encode(v)
            case let .string(v): try c.encode(v)
            case let .size(v): try c.encode(v)
            case let .ints(v): try c.encode(v)
            case .null: try c.encodeNil()
            }
        }
    }

    /// The arguments that differ from their defaults (required ones always), in `arguments` order.
    private var writtenArguments: [(String, Arg)] {
        typealias S = ModelSpec.Size2
        var out: [(String, Arg)] = []
        func add(_ name: String, _ v: Arg, unless d: Arg? = nil) { if v != d { out.append((name, v)) } }
        func size(_ s: S?) -> Arg { s.map(Arg.size) ?? .null }
        switch layer {
        case let .linear(o, b): add("out", .int(o)); add("bias", .bool(b), unless: .bool(true))
        case let .conv2d(o, k, s, p, d, g, b):
            add("out", .int(o)); add("kernel", .size(k)); add("stride", .size(s), unless: .size(1))
            add("padding", .size(p), unless: .size(0)); add("dilation", .size(d), unless: .size(1))
            add("groups", .int(g), unless: .int(1)); add("bias", .bool(b), unless: .bool(true))
        case let .batchNorm1d(e, m, a, t), let .batchNorm2d(e, m, a, t):
            add("eps", .double(e), unless: .double(1e-5)); add("momentum", m.map(Arg.double) ?? .null, unless: .double(0.1))
            add("affine", .bool(a), unless: .bool(true)); add("track_running_stats", .bool(t), unless: .bool(true))
        case let .layerNorm(ns, e, a, b):
            if let ns { add("shape", .ints(ns)) }
            add("eps", .double(e), unless: .double(1e-5)); add("affine", .bool(a), unless: .bool(true))
            add("bias", .bool(b), unless: .bool(true))
        case .relu, .silu, .sigmoid, .tanh, .identity: break
        case let .leakyRelu(s): add("slope", .double(s), unless: .double(0.01))
        case let .gelu(a): add("approximate", .string(a), unless: .string("none"))
        case let .softmax(d), let .logSoftmax(d): add("dim", .int(d))
        case let .maxPool2d(k, s, p, d, cm):
            add("kernel", .size(k)); add("stride", size(s), unless: .null); add("padding", .size(p), unless: .size(0))
            add("dilation", .size(d), unless: .size(1)); add("ceil_mode", .bool(cm), unless: .bool(false))
        case let .avgPool2d(k, s, p, cm, cip, div):
            add("kernel", .size(k)); add("stride", size(s), unless: .null); add("padding", .size(p), unless: .size(0))
            add("ceil_mode", .bool(cm), unless: .bool(false)); add("count_include_pad", .bool(cip), unless: .bool(true))
            add("divisor_override", div.map(Arg.int) ?? .null, unless: .null)
        case let .adaptiveAvgPool2d(o): add("out", .size(o))
        case let .flatten(a, b): add("start_dim", .int(a), unless: .int(1)); add("end_dim", .int(b), unless: .int(-1))
        case let .dropout(p): add("p", .double(p), unless: .double(0.5))
        case let .embedding(n, d, pad):
            add("num", .int(n)); add("dim", .int(d)); add("padding_idx", pad.map(Arg.int) ?? .null, unless: .null)
        }
        return out
    }

    /// Writes the shortest form that reads back as the same layer.
    func encode(to encoder: Encoder) throws {
        let kind = layer.kind
        let args = writtenArguments
        if args.isEmpty {
            var c = encoder.singleValueContainer()
            try c.encode(kind)
            return
        }
        var c = encoder.container(keyedBy: AnyKey.self)
        if args.count == 1, YAMLLayer.writtenShort.contains(kind), args[0].0 == YAMLLayer.shorthand[kind], args[0].1 != .null {
            try c.encode(args[0].1, forKey: AnyKey(kind))
            return
        }
        var m = c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey(kind))
        for (name, v) in args { try m.encode(v, forKey: AnyKey(name)) }
    }
}
