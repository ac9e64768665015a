#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a `.pt`/`.pth` file could not be read or written; every case names the file it concerns.
///
/// Zip offsets are absolute byte offsets in the file (`xxd -s OFFSET`); pickle offsets count from
/// the start of the `data.pkl` record, which the message names.
public enum TorchFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A system call failed.
    case io(file: String, operation: String, errno: Int32)
    /// A pre-1.6 (or `_use_new_zipfile_serialization=False`) pickle stream, not a zip archive.
    case legacyFormat(file: String)
    /// A preview-era `PYTORCH1` archive.
    case previewFormat(file: String)
    /// A `torch.jit.save` archive (it has `constants.pkl` or `code/`), which holds code, not a checkpoint.
    case torchScriptArchive(file: String, record: String)
    /// The file is not a zip archive at all.
    case notAZipArchive(file: String, reason: String)
    /// A zip structure runs past the end of the file.
    case truncated(file: String, structure: String, offset: Int, needed: Int, fileSize: Int)
    /// A zip structure is malformed.
    case invalidZip(file: String, offset: Int, reason: String)
    /// A record name that could escape a folder (`..`, leading `/`, `\`, NUL) or is not UTF-8.
    case unsafeRecordName(file: String, name: String, offset: Int)
    /// Two records share a name.
    case duplicateRecord(file: String, name: String, offset: Int)
    /// A record's data lies (partly) outside the file.
    case recordOutOfBounds(file: String, record: String, offset: Int, length: UInt64, fileSize: Int)
    /// A record is not under the archive's folder (taken from the first entry).
    case recordOutsidePrefix(file: String, record: String, prefix: String)
    /// A compression method other than stored (0) or deflate (8).
    case unsupportedCompression(file: String, record: String, method: Int)
    /// An encrypted record.
    case encryptedRecord(file: String, record: String)
    /// A declared size that cannot be right (e.g. more than deflate could produce from the data).
    case implausibleSize(file: String, record: String, declared: UInt64, reason: String)
    /// Deflated data that does not inflate to exactly its declared size.
    case inflateFailed(file: String, record: String, reason: String)
    /// A record whose CRC-32 does not match the directory.
    case crcMismatch(file: String, record: String, expected: UInt32, found: UInt32)
    /// A record the format requires is absent.
    case missingRecord(file: String, record: String)
    /// A small record (`version`, `byteorder`) with content the format does not allow.
    case invalidRecord(file: String, record: String, reason: String)
    /// The pickle references a global outside the weights-only allowlist (rejected at the GLOBAL opcode).
    case disallowedGlobal(file: String, record: String, global: String, offset: Int)
    /// The pickle references a global torch allows but Cairn cannot represent.
    case unsupportedGlobal(file: String, record: String, global: String, reason: String, offset: Int)
    /// The pickle uses an opcode outside the allowed set.
    case unsupportedOpcode(file: String, record: String, opcode: UInt8, name: String, offset: Int)
    /// The pickle is malformed (truncated operand, stack underflow, wrong argument types, …).
    case invalidPickle(file: String, record: String, offset: Int, reason: String)
    /// The pickle exceeds a resource limit (nesting depth, object count, memo size, stack size).
    case limitExceeded(file: String, record: String, limit: String, value: Int, offset: Int)
    /// A tensor of a dtype Cairn cannot hold.
    case unsupportedDType(file: String, record: String, dtype: String, offset: Int)
    /// A storage record whose length is not what the pickle declares.
    case storageSizeMismatch(file: String, record: String, expectedBytes: Int?, foundBytes: Int, offset: Int)
    /// A tensor view that reaches outside its storage (or has negative strides/offset).
    case viewOutOfBounds(file: String, record: String, offset: Int, reason: String)
    /// The object read is not shaped like the checkpoint asked for (names the key path).
    case unexpectedStructure(file: String, key: String, expected: String, found: String)
    /// Writer: a value that a weights-only file cannot hold.
    case unsupportedValue(file: String, key: String, reason: String)

    /// A message naming the file and, where it helps, the record, byte offset, global or key.
    public var description: String {
        switch self {
        case let .io(file, op, code):
            return "\(file): \(op) failed: \(String(cString: strerror(code))) (errno \(code))"
        case let .legacyFormat(file):
            return "\(file): legacy torch format (pre-1.6 pickle stream, not a zip archive); "
                + "re-save it with torch >= 1.6: torch.save(torch.load(path), path)"
        case let .previewFormat(file):
            return "\(file): preview-era PYTORCH1 archive; re-save it with torch >= 1.6"
        case let .torchScriptArchive(file, record):
            return "\(file): TorchScript archive (has '\(record)'): it was written by torch.jit.save; "
                + "save the model's state_dict() with torch.save instead"
        case let .notAZipArchive(file, reason):
            return "\(file): not a torch.save zip archive: \(reason)"
        case let .truncated(file, structure, offset, needed, size):
            return "\(file): truncated: \(structure) at byte offset \(offset) needs \(needed) bytes but the file has \(size)"
        case let .invalidZip(file, offset, reason):
            return "\(file): invalid zip at byte offset \(offset): \(reason)"
        case let .unsafeRecordName(file, name, offset):
            return "\(file): unsafe record name '\(name)' in the central directory entry at byte offset \(offset)"
        case let .duplicateRecord(file, name, offset):
            return "\(file): duplicate record '\(name)' at byte offset \(offset)"
        case let .recordOutOfBounds(file, record, offset, length, size):
            return "\(file): record '\(record)': \(length) bytes at byte offset \(offset) extend past the end of the file (\(size) bytes)"
        case let .recordOutsidePrefix(file, record, prefix):
            return "\(file): record '\(record)' is outside the archive folder '\(prefix)/'"
        case let .unsupportedCompression(file, record, method):
            return "\(file): record '\(record)' uses compression method \(method); only stored (0) and deflate (8) are supported"
        case let .encryptedRecord(file, record):
            return "\(file): record '\(record)' is encrypted"
        case let .implausibleSize(file, record, declared, reason):
            return "\(file): record '\(record)': implausible declared size \(declared): \(reason)"
        case let .inflateFailed(file, record, reason):
            return "\(file): record '\(record)': inflate failed: \(reason)"
        case let .crcMismatch(file, record, expected, found):
            return "\(file): record '\(record)': CRC-32 mismatch: directory says \(hex(expected)), data has \(hex(found))"
        case let .missingRecord(file, record):
            return "\(file): missing record '\(record)'"
        case let .invalidRecord(file, record, reason):
            return "\(file): record '\(record)': \(reason)"
        case let .disallowedGlobal(file, record, global, offset):
            return "\(file): \(record) byte \(offset): global '\(global)' is not allowed in a weights-only checkpoint "
                + "(only tensors, containers and numbers can be loaded; nothing is executed)"
        case let .unsupportedGlobal(file, record, global, reason, offset):
            return "\(file): \(record) byte \(offset): global '\(global)': \(reason)"
        case let .unsupportedOpcode(file, record, opcode, name, offset):
            return "\(file): \(record) byte \(offset): pickle opcode 0x\(String(opcode, radix: 16)) (\(name)) is not allowed "
                + "(expected a protocol-2 torch.save pickle)"
        case let .invalidPickle(file, record, offset, reason):
            return "\(file): \(record) byte \(offset): invalid pickle: \(reason)"
        case let .limitExceeded(file, record, limit, value, offset):
            return "\(file): \(record) byte \(offset): \(limit) limit of \(value) exceeded"
        case let .unsupportedDType(file, record, dtype, offset):
            return "\(file): \(record) byte \(offset): unsupported dtype '\(dtype)'"
        case let .storageSizeMismatch(file, record, expected, found, offset):
            let e = expected.map { "\($0) bytes" } ?? "an overflowing size"
            return "\(file): storage record '\(record)' has \(found) bytes but the pickle (byte \(offset) of data.pkl) declares \(e)"
        case let .viewOutOfBounds(file, record, offset, reason):
            return "\(file): \(record) byte \(offset): tensor view out of bounds: \(reason)"
        case let .unexpectedStructure(file, key, expected, found):
            return "\(file): '\(key)': expected \(expected), found \(found)"
        case let .unsupportedValue(file, key, reason):
            return "\(file): cannot write '\(key)': \(reason)"
        }
    }
}

private func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - s.count) + s
}
