#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a safetensors file could not be read or written; every case names the file it concerns.
///
/// Reader cases follow the validation steps of the format spec (§5) in order. Offsets are absolute
/// byte offsets in the file, so `xxd -s OFFSET` shows the offending bytes.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Step 1: the file is shorter than the 8-byte header length.
    case headerTooSmall(file: String, fileSize: Int)
    /// Step 2: the declared header length exceeds the upstream limit.
    case headerTooLarge(file: String, headerLength: UInt64, limit: UInt64)
    /// Step 3: the declared header does not fit in the file.
    case invalidHeaderLength(file: String, headerLength: UInt64, fileSize: Int)
    /// Step 4: the header is not valid UTF-8 at `offset`.
    case invalidUTF8(file: String, offset: Int)
    /// Step 5: the header is not exactly one JSON object.
    case invalidJSON(file: String, offset: Int, reason: String)
    /// Step 6: `__metadata__` is neither null nor a string-to-string object.
    case invalidMetadata(file: String, key: String, offset: Int, reason: String)
    /// Step 6: a tensor entry lacks a member or has one of the wrong type or range.
    case invalidTensorInfo(file: String, tensor: String, offset: Int, reason: String)
    /// Step 6: a dtype string that no safetensors version defines.
    case unknownDType(file: String, tensor: String, dtype: String, offset: Int)
    /// Step 7: a key appears twice (top level or inside `__metadata__`).
    case duplicateKey(file: String, key: String, offset: Int)
    /// Step 8: a tensor's range leaves a gap, overlaps another, or ends before it begins.
    case invalidOffset(file: String, tensor: String, begin: UInt64, end: UInt64, expected: UInt64, offset: Int)
    /// Step 9: the byte range does not match shape × dtype size (`expectedBytes` nil: the size overflows or is not whole bytes).
    case sizeMismatch(file: String, tensor: String, dtype: String, shape: [UInt64],
                      expectedBytes: UInt64?, foundBytes: UInt64, offset: Int)
    /// Step 10: the tensors do not cover the data buffer exactly (trailing bytes or truncation).
    case bufferNotCovered(file: String, covered: UInt64, bufferSize: UInt64, offset: Int)
    /// A dtype that safetensors defines but the toolkit cannot hold (U16, U32, U64, C64, F8_*, F4, F6_*).
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// A lookup of a tensor name the file does not contain.
    case missingTensor(file: String, name: String)
    /// Writer: two tensors share a name.
    case duplicateName(file: String, name: String)
    /// Writer: a tensor is named `__metadata__`, which the format reserves.
    case reservedName(file: String, name: String)
    /// A system call failed (`errno` as reported by the OS).
    case io(file: String, operation: String, errno: Int32)

    /// A message naming the file and, where it helps, the byte offset, the tensor, and expected vs found.
    public var description: String {
        switch self {
        case let .headerTooSmall(file, size):
            return "\(file): header too small: file is \(size) bytes, fewer than the 8-byte header length"
        case let .headerTooLarge(file, n, limit):
            return "\(file): header too large: header length \(n) at offset 0 exceeds the limit of \(limit) bytes"
        case let .invalidHeaderLength(file, n, size):
            return "\(file): invalid header length: 8 + \(n) header bytes exceed the file size of \(size) bytes"
        case let .invalidUTF8(file, offset):
            return "\(file): invalid header: not valid UTF-8 at byte offset \(offset)"
        case let .invalidJSON(file, offset, reason):
            return "\(file): invalid header JSON at byte offset \(offset): \(reason)"
        case let .invalidMetadata(file, key, offset, reason):
            return "\(file): invalid header JSON: __metadata__ entry \(quoted(key)) at byte offset \(offset): \(reason)"
        case let .invalidTensorInfo(file, tensor, offset, reason):
            return "\(file): invalid header JSON for tensor \(quoted(tensor)) at byte offset \(offset): \(reason)"
        case let .unknownDType(file, tensor, dtype, offset):
            return "\(file): unknown dtype \(quoted(dtype)) for tensor \(quoted(tensor)) at byte offset \(offset)"
        case let .duplicateKey(file, key, offset):
            return "\(file): duplicate key \(quoted(key)) at byte offset \(offset)"
        case let .invalidOffset(file, tensor, begin, end, expected, offset):
            let why = begin != expected
                ? "begins at \(begin) but the previous tensor ends at \(expected)"
                : "ends before it begins"
            return "\(file): invalid offset for tensor \(quoted(tensor)): data_offsets [\(begin), \(end)] \(why)"
                + " (file offset \(offset))"
        case let .sizeMismatch(file, tensor, dtype, shape, expected, found, offset):
            let want = expected.map { "\($0) bytes" } ?? "a size that overflows or is not whole bytes"
            return "\(file): invalid shape/dtype/offsets for tensor \(quoted(tensor)): \(dtype) shape \(shape) needs"
                + " \(want) but data_offsets span \(found) bytes (file offset \(offset))"
        case let .bufferNotCovered(file, covered, size, offset):
            let why = covered < size ? "\(size - covered) trailing bytes not covered by any tensor"
                                     : "data is truncated by \(covered - size) bytes"
            return "\(file): incomplete metadata: tensors cover \(covered) bytes of a \(size)-byte data buffer, \(why)"
                + " (file offset \(offset))"
        case let .unsupportedDType(file, tensor, dtype):
            return "\(file): unsupported dtype \(dtype) for tensor \(quoted(tensor))"
        case let .missingTensor(file, name):
            return "\(file): no tensor named \(quoted(name))"
        case let .duplicateName(file, name):
            return "\(file): duplicate tensor name \(quoted(name))"
        case let .reservedName(file, name):
            return "\(file): tensor name \(quoted(name)) is reserved for the metadata map"
        case let .io(file, operation, code):
            return "\(file): \(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    /// Debug-quoted so control characters and quotes in hostile names stay readable on one line.
    private func quoted(_ s: String) -> String { s.debugDescription }
}
