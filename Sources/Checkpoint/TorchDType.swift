import TensorCore

/// A PyTorch dtype as a pickle names it (`torch float32`, `torch FloatStorage`), and how Cairn holds it.
///
/// Cairn's `DType` has no unsigned types wider than a byte: `uint16` and `uint32` tensors are
/// widened losslessly to `int32` and `int64` on read. Everything else without a Cairn `DType`
/// (complex, float8, quantized, bits, uint64) is recognized so the reader can name it in an
/// "unsupported dtype" error.
enum TorchDType: String, CaseIterable, Sendable {
    case float64, float32, float16, bfloat16, int64, int32, int16, int8, uint8, bool
    case uint16, uint32, uint64
    case complex32, complex64, complex128
    case float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, float8_e8m0fnu, float4_e2m1fn_x2
    case qint8, quint8, qint32, quint4x2, quint2x4
    case bits1x8, bits2x4, bits4x2, bits8, bits16

    /// Bytes per element in a storage record.
    var elementSize: Int {
        switch self {
        case .float64, .int64, .uint64, .complex64: return 8
        case .float32, .int32, .uint32, .complex32, .qint32: return 4
        case .float16, .bfloat16, .int16, .uint16, .bits16: return 2
        case .complex128: return 16
        default: return 1
        }
    }

    /// The Cairn dtype tensors of this dtype are held in (widened for uint16/uint32); nil if unsupported.
    var cairnDType: DType? {
        switch self {
        case .float64: return .float64
        case .float32: return .float32
        case .float16: return .float16
        case .bfloat16: return .bfloat16
        case .int64: return .int64
        case .int32: return .int32
        case .int16: return .int16
        case .int8: return .int8
        case .uint8: return .uint8
        case .bool: return .bool
        case .uint16: return .int32
        case .uint32: return .int64
        default: return nil
        }
    }

    /// The dtype of a Cairn tensor as written to a file.
    init(_ d: DType) {
        switch d {
        case .float64: self = .float64
        case .float32: self = .float32
        case .float16: self = .float16
        case .bfloat16: self = .bfloat16
        case .int64: self = .int64
        case .int32: self = .int32
        case .int16: self = .int16
        case .int8: self = .int8
        case .uint8: self = .uint8
        case .bool: self = .bool
        }
    }

    /// The legacy typed-storage class name in module `torch` (`FloatStorage`); nil where torch has none.
    var storageClassName: String? {
        switch self {
        case .float64: return "DoubleStorage"
        case .float32: return "FloatStorage"
        case .float16: return "HalfStorage"
        case .bfloat16: return "BFloat16Storage"
        case .int64: return "LongStorage"
        case .int32: return "IntStorage"
        case .int16: return "ShortStorage"
        case .int8: return "CharStorage"
        case .uint8: return "ByteStorage"
        case .bool: return "BoolStorage"
        case .complex64: return "ComplexFloatStorage"
        case .complex128: return "ComplexDoubleStorage"
        case .qint8: return "QInt8Storage"
        case .quint8: return "QUInt8Storage"
        case .qint32: return "QInt32Storage"
        case .quint4x2: return "QUInt4x2Storage"
        case .quint2x4: return "QUInt2x4Storage"
        default: return nil
        }
    }
}
