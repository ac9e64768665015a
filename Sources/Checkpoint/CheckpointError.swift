#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// Why a checkpoint directory cannot be saved, verified or loaded; every case names the path or file.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path does not exist or is not a directory.
    case notADirectory(path: String)
    /// The directory is an unfinished save or leftover (`.tmp-…` / `.trash-…`) and is never used.
    case temporaryDirectory(path: String)
    /// The directory has no `manifest.json`, so it was never completely written.
    case missingManifest(directory: String)
    /// A JSON file is malformed; `key` is the path inside the document (`""` = the top level).
    case badJSON(file: String, key: String, reason: String)
    /// The manifest lists a file that is not there.
    case missingFile(file: String)
    /// The directory holds a file the manifest does not list.
    case extraFile(file: String)
    /// A file's size differs from the manifest's.
    case sizeMismatch(file: String, expected: Int, actual: Int)
    /// A file's SHA-256 differs from the manifest's.
    case hashMismatch(file: String, expected: String, actual: String)
    /// A file every checkpoint needs is not listed in the manifest.
    case missingRequiredFile(directory: String, file: String)
    /// The checkpoint's layout version is not one this toolkit reads.
    case unsupportedFormat(file: String, found: Int, supported: Int)
    /// Files are individually valid but disagree with each other (e.g. optimizer.json names a
    /// tensor that optimizer.safetensors lacks).
    case inconsistent(file: String, key: String, reason: String)
    /// A safetensors file failed to parse.
    case safetensors(SafetensorsError)
    /// A system call failed.
    case io(path: String, operation: String, errno: Int32)
    /// A requested device is not available.
    case unsupportedDevice(String)
    /// Saving would replace something at `path` that is not a checkpoint directory (no manifest.json).
    case destinationOccupied(path: String)
    /// Restoring under a strict policy found the checkpoint incompatible with a live object
    /// (optimizer type, scheduler count or type).
    case incompatible(component: String, reason: String)

    /// A message naming the file and, where it helps, expected versus actual.
    public var description: String {
        switch self {
        case .notADirectory(let p): return "\(p): not a checkpoint directory (missing or not a directory)"
        case .temporaryDirectory(let p):
            return "\(p): temporary or trash directory of an unfinished save; it is never a valid checkpoint"
        case .missingManifest(let d): return "\(d): no manifest.json (the save never completed); refusing to use it"
        case let .badJSON(file, key, reason):
            return "\(file): invalid JSON at \(key.isEmpty ? "top level" : "key '\(key)'"): \(reason)"
        case .missingFile(let f): return "\(f): listed in manifest.json but missing"
        case .extraFile(let f): return "\(f): present but not listed in manifest.json"
        case let .sizeMismatch(f, e, a): return "\(f): size is \(a) bytes, manifest.json says \(e)"
        case let .hashMismatch(f, e, a): return "\(f): SHA-256 is \(a), manifest.json says \(e)"
        case let .missingRequiredFile(d, f): return "\(d): required file \(f) is not in manifest.json"
        case let .unsupportedFormat(f, found, supported):
            return "\(f): checkpoint format version \(found) is not supported (this toolkit reads version \(supported))"
        case let .inconsistent(f, k, r): return "\(f): \(k): \(r)"
        case .safetensors(let e): return e.description
        case let .io(p, op, code): return "\(p): \(op) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .unsupportedDevice(let d): return "device \(d) is not available (only cpu)"
        case .destinationOccupied(let p):
            return "\(p): exists and is not a checkpoint directory (no manifest.json); refusing to replace it"
        case let .incompatible(component, reason): return "cannot restore \(component): \(reason)"
        }
    }
}
