import Foundation

/// Finds checkpoints in a directory: the latest (highest global step that verifies) and the listing.
///
/// The directories are the source of truth (no index file that a `kill -9` could leave stale). A
/// subdirectory counts as a checkpoint when it holds `manifest.json` or `trainer_state.json`; other
/// subdirectories (TensorBoard logs, …) and plain files are ignored, and so are hidden names, which
/// covers unfinished saves (`.tmp-*`) and deletions in progress (`.trash-*`). Corrupt checkpoints are
/// skipped and reported as warnings naming them; nothing is printed here.
public enum LatestCheckpoint {
    /// The latest valid checkpoint (if any) and the problems met on the way.
    public struct Result: Sendable, Equatable {
        /// The checkpoint found, nil when none verifies.
        public var checkpoint: CheckpointEntry?
        /// Corrupt checkpoints that were skipped.
        public var warnings: [CheckpointWarning]
    }

    /// What a directory scan found: readable checkpoints and unreadable ones.
    public struct Scan: Sendable, Equatable {
        /// Checkpoints whose trainer state could be read, newest first (not verified).
        public var entries: [CheckpointEntry]
        /// Checkpoint-looking directories whose trainer state could not be read.
        public var unreadable: [CheckpointWarning]
    }

    /// Files whose presence marks a directory as a checkpoint (possibly an incomplete or corrupt one).
    public static let markerFiles = [Manifest.fileName, CheckpointStore.trainerStateFile]

    /// Lists checkpoint directories in `directory` from their trainer states, newest first.
    public static func scan(_ directory: URL, backend: CheckpointBackend) throws -> Scan {
        let fm = FileManager.default
        let names: [String]
        do {
            names = try fm.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw CheckpointManagerError.directoryUnusable(path: directory.path, reason: "cannot list it: \(error)")
        }
        var entries: [CheckpointEntry] = []
        var unreadable: [CheckpointWarning] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name, isDirectory: true)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else { continue }
            guard markerFiles.contains(where: { fm.fileExists(atPath: url.appendingPathComponent($0).path) }) else {
                continue
            }
            do {
                let ts = try backend.readTrainerState(url)
                let modified = (try? fm.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
                entries.append(CheckpointEntry(name: name, url: url, globalStep: ts.globalStep, epoch: ts.epoch,
                                               metrics: ts.metrics, savedAt: ts.savedAt, modifiedAt: modified))
            } catch {
                unreadable.append(CheckpointWarning(name: name, path: url.path, kind: .corrupt, reason: "\(error)"))
            }
        }
        entries.sort(by: CheckpointEntry.isNewer)
        return Scan(entries: entries, unreadable: unreadable)
    }

    /// The checkpoint with the highest global step that verifies. Fast path: verifies newest first and
    /// stops at the first valid one, so older checkpoints are not hashed. `verify` defaults to the backend's.
    public static func find(in directory: URL, backend: CheckpointBackend,
                            verify: ((CheckpointEntry) throws -> Void)? = nil) throws -> Result {
        let scan = try scan(directory, backend: backend)
        let check = verify ?? { try backend.verify($0.url) }
        return firstValid(scan.entries, check: check, warnings: scan.unreadable)
    }

    /// The first of `ordered` that passes `check`; each failure becomes a warning naming the checkpoint.
    static func firstValid(_ ordered: [CheckpointEntry], check: (CheckpointEntry) throws -> Void,
                           warnings: [CheckpointWarning]) -> Result {
        var warnings = warnings
        for entry in ordered {
            do {
                try check(entry)
                return Result(checkpoint: entry, warnings: warnings)
            } catch {
                warnings.append(CheckpointWarning(name: entry.name, path: entry.url.path, kind: .corrupt,
                                                  reason: "\(error)"))
            }
        }
        return Result(checkpoint: nil, warnings: warnings)
    }
}
