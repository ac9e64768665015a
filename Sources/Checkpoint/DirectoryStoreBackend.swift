import Foundation

/// `CheckpointBackend` over `CheckpointStore`'s directory format.
public struct DirectoryStoreBackend: CheckpointBackend {
    /// Whether saves fsync files and directories (off only for tests and scratch runs).
    public var fsync: Bool

    /// A backend that fsyncs by default.
    public init(fsync: Bool = true) { self.fsync = fsync }

    /// Saves with `CheckpointStore.save`.
    public func write(_ checkpoint: Checkpoint, to directory: URL) throws {
        try CheckpointStore.save(checkpoint, to: directory, fsync: fsync)
    }

    /// Checks sizes and SHA-256 of every file against the manifest with `CheckpointStore.verify`.
    public func verify(_ directory: URL) throws {
        _ = try CheckpointStore.verify(directory)
    }

    /// Reads `trainer_state.json` with `CheckpointStore.readTrainerState`.
    public func readTrainerState(_ directory: URL) throws -> TrainerState {
        try CheckpointStore.readTrainerState(directory)
    }
}
