import Foundation

/// `manifest.json`: every other file of a checkpoint with its size and SHA-256. It is written last,
/// so a directory without a valid manifest was never completely saved.
public struct Manifest: Codable, Sendable, Equatable {
    /// One listed file.
    public struct Entry: Codable, Sendable, Equatable {
        /// File name relative to the checkpoint directory.
        public var path: String
        /// Size in bytes.
        public var size: Int
        /// Lowercase hex SHA-256 of the contents.
        public var sha256: String

        /// Makes an entry.
        public init(path: String, size: Int, sha256: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    /// Layout version of the checkpoint.
    public var formatVersion: Int
    /// Toolkit version that wrote it.
    public var cairnVersion: String
    /// Listed files, sorted by path.
    public var files: [Entry]

    /// Makes a manifest.
    public init(formatVersion: Int = CheckpointVersion.format, cairnVersion: String = CheckpointVersion.toolkit,
                files: [Entry]) {
        self.formatVersion = formatVersion
        self.cairnVersion = cairnVersion
        self.files = files.sorted { $0.path < $1.path }
    }

    private enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", cairnVersion = "cairn_version", files
    }

    /// The file name of the manifest itself.
    public static let fileName = "manifest.json"
}
