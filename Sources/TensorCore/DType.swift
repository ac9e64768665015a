/// Element type of a tensor's storage; compute happens in `float32`, the rest are for exact storage.
public enum DType: String, CaseIterable, Sendable, Codable, Hashable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Whether values are floating point (and so may be parameters with gradients).
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: return true
        default: return false
        }
    }

    /// The dtype string used in safetensors headers (`F32`, `I64`, ...).
    public var safetensorsName: String {
        switch self {
        case .float64: return "F64"
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .int64: return "I64"
        case .int32: return "I32"
        case .int16: return "I16"
        case .int8: return "I8"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        }
    }

    /// Parses a safetensors dtype string; nil for unknown or unsupported spellings.
    public init?(safetensorsName: String) {
        guard let d = DType.allCases.first(where: { $0.safetensorsName == safetensorsName }) else { return nil }
        self = d
    }

    /// PyTorch's name for the dtype (`torch.float32` → "float32"; also the storage class prefix).
    public var torchName: String { rawValue }
}
