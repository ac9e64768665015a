/// Why a data file, folder or saved loader position could not be used; every case names the file.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadableFile(path: String, reason: String)
    /// The file is bigger than the configured byte limit, so it is not read at all.
    case fileTooLarge(path: String, bytes: Int, limit: Int)
    /// The file is neither a PNG nor a JPEG.
    case unsupportedFormat(path: String, detail: String)
    /// The decoder rejected the data (corrupt, truncated, or a header that does not match the data).
    case corruptImage(path: String, reason: String)
    /// The header declares more pixels than the configured limit; nothing image-sized was allocated.
    case imageTooLarge(path: String, width: Int, height: Int, limit: Int)
    /// The image's channels cannot be converted to the configured colour mode.
    case channelMismatch(path: String, found: String, wanted: String)
    /// A class folder holds no images.
    case emptyClassFolder(path: String)
    /// A folder that should exist does not, or is not a directory.
    case notADirectory(path: String)
    /// A CSV file could not be parsed; `line` and `column` are 1-based (column 0: the whole line).
    case csv(path: String, line: Int, column: Int, reason: String)
    /// A configuration value is out of range.
    case invalidConfig(String)
    /// A saved loader position does not fit the loader it is restored into.
    case positionMismatch(field: String, saved: String, current: String)
    /// An image could not be written.
    case writeFailed(path: String, reason: String)
    /// A shape name that `ShapesDataset` cannot draw.
    case unknownShape(name: String, known: [String])

    /// The file or folder the error is about, if any.
    public var path: String? {
        switch self {
        case let .unreadableFile(path, _), let .fileTooLarge(path, _, _), let .unsupportedFormat(path, _),
             let .corruptImage(path, _), let .imageTooLarge(path, _, _, _), let .channelMismatch(path, _, _),
             let .emptyClassFolder(path), let .notADirectory(path), let .csv(path, _, _, _),
             let .writeFailed(path, _):
            return path
        case .invalidConfig, .positionMismatch, .unknownShape:
            return nil
        }
    }

    /// Whether the error concerns one input file or folder, so `onBadImage: .skip` may skip it.
    var isSkippable: Bool {
        switch self {
        case .unreadableFile, .fileTooLarge, .unsupportedFormat, .corruptImage, .imageTooLarge,
             .channelMismatch, .emptyClassFolder:
            return true
        default:
            return false
        }
    }

    /// A sentence naming the file and what is wrong with it.
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read file: \(reason)"
        case let .fileTooLarge(path, bytes, limit):
            return "\(path): file is \(bytes) bytes, over the limit of \(limit) bytes"
        case let .unsupportedFormat(path, detail):
            return "\(path): not a PNG or JPEG image: \(detail)"
        case let .corruptImage(path, reason):
            return "\(path): corrupt image: \(reason)"
        case let .imageTooLarge(path, width, height, limit):
            return "\(path): header declares \(width)x\(height) pixels, over the limit of \(limit) pixels"
        case let .channelMismatch(path, found, wanted):
            return "\(path): image is \(found), which cannot be converted to \(wanted)"
        case let .emptyClassFolder(path):
            return "\(path): class folder has no images"
        case let .notADirectory(path):
            return "\(path): not a directory"
        case let .csv(path, line, column, reason):
            return column > 0 ? "\(path):\(line): column \(column): \(reason)" : "\(path):\(line): \(reason)"
        case let .invalidConfig(message):
            return "invalid data configuration: \(message)"
        case let .positionMismatch(field, saved, current):
            return "cannot restore loader position: saved \(field) is \(saved) but the loader has \(current)"
        case let .writeFailed(path, reason):
            return "\(path): cannot write image: \(reason)"
        case let .unknownShape(name, known):
            return "unknown shape \"\(name)\" (known: \(known.joined(separator: ", ")))"
        }
    }
}
