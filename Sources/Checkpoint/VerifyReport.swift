import Foundation

/// What `CheckpointStore.verify` checked in a valid checkpoint directory.
public struct VerifyReport: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The directory verified.
    public var directory: String
    /// Layout version from the manifest.
    public var formatVersion: Int
    /// Toolkit version that wrote the checkpoint.
    public var cairnVersion: String
    /// Every file with its size and SHA-256, each checked against the disk.
    public var files: [Manifest.Entry]
    /// Whether optimizer state is included.
    public var hasOptimizer: Bool
    /// Number of tensors in `model.safetensors`.
    public var modelTensorCount: Int
    /// Epoch and step recorded in `trainer_state.json`.
    public var epoch: Int
    /// Global step recorded in `trainer_state.json`.
    public var globalStep: Int

    /// Total size of the listed files plus the manifest.
    public var totalBytes: Int { files.reduce(0) { $0 + $1.size } }

    /// One line per file and a summary.
    public var description: String {
        var lines = ["\(directory): OK (format \(formatVersion), cairn \(cairnVersion), epoch \(epoch), step \(globalStep))"]
        for f in files { lines.append("  \(f.path)  \(f.size) bytes  sha256 \(f.sha256)") }
        lines.append("  \(modelTensorCount) model tensors\(hasOptimizer ? ", optimizer state" : ""), \(totalBytes) bytes")
        return lines.joined(separator: "\n")
    }
}
