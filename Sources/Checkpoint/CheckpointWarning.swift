import Foundation

/// A checkpoint directory that was skipped, or a retention step that did not complete; the CLI prints these.
public struct CheckpointWarning: Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: String, Sendable, Equatable {
        /// The directory failed verification or its trainer state could not be read.
        case corrupt
        /// Retention could not delete it.
        case deleteFailed
    }

    /// Directory name inside the checkpoint directory.
    public var name: String
    /// Full path.
    public var path: String
    /// What kind of problem.
    public var kind: Kind
    /// The underlying error's message.
    public var reason: String

    /// Makes a warning.
    public init(name: String, path: String, kind: Kind, reason: String) {
        self.name = name
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    /// A one-line, human-readable message.
    public var description: String {
        switch kind {
        case .corrupt: return "warning: skipping corrupt checkpoint '\(name)' (\(path)): \(reason)"
        case .deleteFailed: return "warning: could not delete old checkpoint '\(name)' (\(path)): \(reason)"
        }
    }
}
