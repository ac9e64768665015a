import Foundation

/// The storage operations `CheckpointManager` needs; `DirectoryStoreBackend` is the real one, tests
/// inject slow or failing ones.
public protocol CheckpointBackend: Sendable {
    /// Writes `checkpoint` as the directory `directory` (atomically: it appears complete or not at all).
    func write(_ checkpoint: Checkpoint, to directory: URL) throws
    /// Throws when `directory` is not a complete, intact checkpoint.
    func verify(_ directory: URL) throws
    /// Reads only the trainer state (cheap: no tensor data).
    func readTrainerState(_ directory: URL) throws -> TrainerState
}
