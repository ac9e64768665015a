import Foundation

/// Failures of `CheckpointManager` and its helpers; each names the checkpoint or path involved.
public enum CheckpointManagerError: Error, CustomStringConvertible {
    /// A background save failed; thrown by the next save or by `finish()`.
    case asyncSaveFailed(name: String, underlying: Error)
    /// The checkpoint directory exists but is not a directory, or cannot be created or listed.
    case directoryUnusable(path: String, reason: String)
    /// `best()` was asked without a monitor and neither the retention policy nor the schedule has one.
    case noMonitor
    /// Deleting a checkpoint failed (it was renamed to `trashPath` first, so it no longer looks like a checkpoint).
    case deleteFailed(name: String, trashPath: String, underlying: Error)
    /// The checkpoint failed verification earlier in this manager's life (the result is cached).
    case verificationFailed(path: String, reason: String)
    /// `markResumed(from:)` got a path outside the managed directory.
    case notInDirectory(path: String, directory: String)

    /// A one-line, human-readable message.

    /// A one-line, human-readable message.
    public var description: String {
        switch self {
        case let .asyncSaveFailed(name, e):
            return "background save of checkpoint '\(name)' failed: \(e)"
        case let .directoryUnusable(path, reason):
            return "checkpoint directory '\(path)' is unusable: \(reason)"
        case .noMonitor:
            return "best(): no metric to rank by (pass monitor:, or configure keepBest or onImprovement)"
        case let .deleteFailed(name, trash, e):
            return "deleting checkpoint '\(name)' (moved to '\(trash)') failed: \(e)"
        case let .verificationFailed(path, reason):
            return "checkpoint '\(path)' failed verification: \(reason)"
        case let .notInDirectory(path, dir):
            return "'\(path)' is not a checkpoint inside '\(dir)'"
        }
    }
}
