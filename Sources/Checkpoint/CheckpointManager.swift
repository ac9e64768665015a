import Foundation

/// Saves checkpoints into one directory on a schedule, names them from a template, keeps the ones a
/// retention policy wants, and finds the latest or best one to resume from.
///
/// - Source of truth: the checkpoint directories themselves. There is no index file, since one could
///   be stale after `kill -9`; listing reads each `trainer_state.json` (small), and verification
///   (hashing every file) happens only where a decision needs it, once per directory per manager.
/// - Saving: `save` asks the schedule, picks a fresh name (collisions get `-1`, `-2`, … or an error,
///   see `FilenameTemplate.CollisionPolicy`), writes through the backend (atomic: temp sibling +
///   rename), and only after the write succeeded applies retention, so nothing is deleted on account
///   of a checkpoint that does not exist. With `async`, the write and retention run on one background
///   thread while training continues; at most one save is in flight (a due save waits for the
///   previous one), and a failed background save is thrown by the next `save` call or by `finish()`.
/// - Retention never deletes the checkpoint just written, the one marked with `markResumed(from:)`,
///   or the newest valid one. Retention problems (a directory that fails verification, a delete that
///   fails) do not fail the save, which did succeed; they are collected in `takeWarnings()`.
/// - Deleting: a checkpoint is first renamed to `.trash-<name>-<pid>-<random>` (one atomic rename),
///   then removed. A crash during the removal leaves only a hidden `.trash-*` directory, which
///   listings ignore and the next manager's `CheckpointStore.cleanUp` removes (if the crash came
///   before any file was removed, cleanUp may instead put the intact checkpoint back; retention then
///   deletes it again at the next save). Without the rename a crash could leave a directory under a
///   checkpoint name with some files gone: verification would reject it, but it would still show up
///   as a corrupt checkpoint in every listing.
public final class CheckpointManager: @unchecked Sendable {
    /// Validity of a listed checkpoint.
    public enum Status: Sendable, Equatable {
        /// Not checked (listing without verification).
        case unverified
        /// Passed verification.
        case valid
        /// Failed verification, with the reason.
        case corrupt(String)
    }

    /// `list()`'s answer: checkpoints oldest first with their status, plus unreadable directories.
    public struct Listing: Sendable, Equatable {
        /// Readable checkpoints, oldest first.
        public var entries: [CheckpointEntry]
        /// Status of each entry by name.
        public var status: [String: Status]
        /// Checkpoint-looking directories that could not be read or failed verification.
        public var warnings: [CheckpointWarning]
    }

    /// The directory holding one subdirectory per checkpoint.
    public let directory: URL
    /// Which checkpoints to keep.
    public let retention: RetentionPolicy
    /// How checkpoints are named.
    public let template: FilenameTemplate
    /// What to do when a name is taken.
    public let collisionPolicy: FilenameTemplate.CollisionPolicy

    private let backend: CheckpointBackend
    private let writer: AsyncCheckpointWriter?
    private let clock: @Sendable () -> Date
    private let lock = NSLock()
    /// Serializes `save` calls so two callers can never pick the same free name.
    private let saveLock = NSLock()
    private var _schedule: SaveSchedule
    private var resumedFrom: String?
    private var validity: [String: Status] = [:]
    private var warnings: [CheckpointWarning] = []
    private var _lastRetention: RetentionDecision?

    /// What opening the directory cleaned up: hidden `.tmp-*`/`.trash-*` leftovers of dead processes.
    public private(set) var cleanupReport = CheckpointStore.CleanupReport()

    /// Opens (creating if needed) `directory` and removes the `.tmp-*`/`.trash-*` leftovers of dead
    /// processes (`CheckpointStore.cleanUp`); those of live processes are left alone.
    public init(directory: URL, schedule: SaveSchedule, retention: RetentionPolicy = .keepAll,
                template: FilenameTemplate = .default, collisionPolicy: FilenameTemplate.CollisionPolicy = .suffix,
                async: Bool = false, backend: CheckpointBackend = DirectoryStoreBackend(),
                clock: @escaping @Sendable () -> Date = { Date() }) throws {
        self.directory = directory.standardizedFileURL
        self.retention = retention
        self.template = template
        self.collisionPolicy = collisionPolicy
        self.backend = backend
        self.writer = async ? AsyncCheckpointWriter() : nil
        self.clock = clock
        self._schedule = schedule
        self._schedule.start(at: clock())

        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: self.directory.path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw CheckpointManagerError.directoryUnusable(path: self.directory.path, reason: "it is not a directory")
            }
        } else {
            do {
                try fm.createDirectory(at: self.directory, withIntermediateDirectories: true)
            } catch {
                throw CheckpointManagerError.directoryUnusable(path: self.directory.path, reason: "cannot create it: \(error)")
            }
        }
        do {
            cleanupReport = try CheckpointStore.cleanUp(in: self.directory)
        } catch {
            throw CheckpointManagerError.directoryUnusable(path: self.directory.path,
                                                           reason: "cleaning up leftovers failed: \(error)")
        }
    }

    deinit {
        // A background failure nobody collected with finish() must not vanish; stderr is the last resort.
        do { try writer?.finish() } catch {
            FileHandle.standardError.write(Data("CheckpointManager: \(error) (call finish() to handle it)\n".utf8))
        }
    }

    /// The schedule with its recorded state (last save, best value).
    public var schedule: SaveSchedule { lock.lock(); defer { lock.unlock() }; return _schedule }

    /// The background writer (nil unless `async`), for tests that check the back-pressure.
    var asyncWriter: AsyncCheckpointWriter? { writer }

    /// The last retention decision applied (nil before the first one).
    public var lastRetention: RetentionDecision? { lock.lock(); defer { lock.unlock() }; return _lastRetention }

    /// Returns and clears the warnings gathered by retention (corrupt checkpoints, failed deletes).
    public func takeWarnings() -> [CheckpointWarning] {
        lock.lock()
        defer { lock.unlock() }
        let w = warnings
        warnings = []
        return w
    }

    /// Saves `checkpoint` when the schedule says so (or when `force`), returning its directory, or nil
    /// when no save was due. With `async` the returned directory appears once the background write
    /// finishes. Throws the failure of an earlier background save before doing anything else.
    @discardableResult
    public func save(_ checkpoint: Checkpoint, force: Bool = false) throws -> URL? {
        saveLock.lock()
        defer { saveLock.unlock() }
        try writer?.throwPendingFailure()
        let ts = checkpoint.trainerState
        let now = clock()
        let due: Bool = {
            lock.lock()
            defer { lock.unlock() }
            return force || _schedule.shouldSave(step: ts.globalStep, epoch: ts.epoch, now: now, metrics: ts.metrics) != nil
        }()
        guard due else { return nil }

        // Wait for the save in flight so its directory counts when picking a free name.
        try writer?.finish()
        let rendered = try template.render(epoch: ts.epoch, globalStep: ts.globalStep, metrics: ts.metrics)
        let existing = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        let name = try template.uniqueName(rendered, existing: existing, policy: collisionPolicy)
        let url = directory.appendingPathComponent(name, isDirectory: true)

        let job: AsyncCheckpointWriter.Job = { [self] in
            try backend.write(checkpoint, to: url)
            lock.lock()
            validity[name] = .valid
            lock.unlock()
            applyRetention(justWritten: name)
        }
        if let writer {
            recordSave(ts, now: now)
            try writer.submit(label: name, job)
        } else {
            try job()
            recordSave(ts, now: now)
        }
        return url
    }

    /// Waits for a background save to finish; throws its failure if it failed.
    public func finish() throws {
        try writer?.finish()
    }

    /// Protects `checkpoint` (a directory in this manager's directory) from retention and restores the
    /// schedule's progress from its trainer state, and its best metric from the checkpoints up to that step.
    /// Then applies retention once, so deletions that a killed process did not get to after its last
    /// save happen even when the resumed run saves nothing more (it only deletes what the next save would).
    public func markResumed(from checkpoint: URL) throws {
        let url = checkpoint.standardizedFileURL
        guard url.deletingLastPathComponent().path == directory.path else {
            throw CheckpointManagerError.notInDirectory(path: url.path, directory: directory.path)
        }
        let ts = try backend.readTrainerState(url)
        // The best value so far is the best among the checkpoints up to the resumed step (cheap: no hashing).
        let earlier = (try? LatestCheckpoint.scan(directory, backend: backend).entries) ?? []
        lock.lock()
        resumedFrom = url.lastPathComponent
        _schedule.restoreBest(from: ts.metrics)
        for e in earlier where e.globalStep <= ts.globalStep { _schedule.restoreBest(from: e.metrics) }
        _schedule.recordSave(step: ts.globalStep, epoch: ts.epoch, now: clock(), metrics: ts.metrics)
        lock.unlock()
        applyRetention(justWritten: url.lastPathComponent)
    }

    /// The name of the checkpoint marked with `markResumed(from:)`.
    public var resumedCheckpoint: String? { lock.lock(); defer { lock.unlock() }; return resumedFrom }

    /// The checkpoint with the highest global step that verifies, newest checked first; corrupt newer
    /// ones come back as warnings naming them.
    public func latest() throws -> LatestCheckpoint.Result {
        try LatestCheckpoint.find(in: directory, backend: backend, verify: { try self.checkValid($0) })
    }

    /// The valid checkpoint with the best finite value of `monitor` (default: the retention policy's
    /// keep-best monitor, else the schedule's improvement monitor). Ties go to the earlier checkpoint.
    public func best(monitor: MetricMonitor? = nil) throws -> LatestCheckpoint.Result {
        guard let m = monitor ?? retention.keepBest?.monitor ?? schedule.onImprovement else {
            throw CheckpointManagerError.noMonitor
        }
        let scan = try LatestCheckpoint.scan(directory, backend: backend)
        let ranked = scan.entries.compactMap { e in m.value(in: e.metrics).map { (e, $0) } }
            .sorted { a, b in a.1 != b.1 ? m.isBetter(a.1, than: b.1) : CheckpointEntry.isNewer(b.0, than: a.0) }
            .map(\.0)
        return LatestCheckpoint.firstValid(ranked, check: { try self.checkValid($0) }, warnings: scan.unreadable)
    }

    /// All checkpoints, oldest first; with `verify`, each is checked (results cached for this manager).
    public func list(verify: Bool = false) throws -> Listing {
        let scan = try LatestCheckpoint.scan(directory, backend: backend)
        var status: [String: Status] = [:]
        var warnings = scan.unreadable
        for e in scan.entries {
            if verify {
                do {
                    try checkValid(e)
                    status[e.name] = .valid
                } catch {
                    status[e.name] = .corrupt("\(error)")
                    warnings.append(CheckpointWarning(name: e.name, path: e.url.path, kind: .corrupt, reason: "\(error)"))
                }
            } else {
                lock.lock()
                status[e.name] = validity[e.name] ?? .unverified
                lock.unlock()
            }
        }
        return Listing(entries: scan.entries.reversed(), status: status, warnings: warnings)
    }

    // MARK: - Internals

    private func recordSave(_ ts: TrainerState, now: Date) {
        lock.lock()
        _schedule.recordSave(step: ts.globalStep, epoch: ts.epoch, now: now, metrics: ts.metrics)
        lock.unlock()
    }

    /// Verifies once per directory per manager; throws the cached or fresh failure.
    private func checkValid(_ entry: CheckpointEntry) throws {
        lock.lock()
        let cached = validity[entry.name]
        lock.unlock()
        switch cached {
        case .valid?: return
        case .corrupt(let reason)?: throw CheckpointManagerError.verificationFailed(path: entry.url.path, reason: reason)
        default: break
        }
        do {
            try backend.verify(entry.url)
            lock.lock(); validity[entry.name] = .valid; lock.unlock()
        } catch {
            lock.lock(); validity[entry.name] = .corrupt("\(error)"); lock.unlock()
            throw error
        }
    }

    /// Applies the retention policy after `justWritten` was written; problems become warnings.
    private func applyRetention(justWritten: String) {
        guard retention.hasRule else { return }
        guard let scan = try? LatestCheckpoint.scan(directory, backend: backend) else { return }
        var found: [CheckpointWarning] = []
        let byCreation = scan.entries.sorted { CheckpointEntry.isCreatedAfter($1, $0) }
        var candidates: [RetentionCandidate] = []
        for (order, e) in byCreation.enumerated() {
            var valid = true
            do { try checkValid(e) } catch {
                valid = false
                found.append(CheckpointWarning(name: e.name, path: e.url.path, kind: .corrupt, reason: "\(error)"))
            }
            candidates.append(RetentionCandidate(name: e.name, globalStep: e.globalStep, epoch: e.epoch,
                                                 metrics: e.metrics, isValid: valid, order: order))
        }
        for w in scan.unreadable {
            found.append(w)
            candidates.append(RetentionCandidate(name: w.name, globalStep: Int.min, isValid: false, order: -1))
        }
        lock.lock()
        var protected: Set<String> = [justWritten]
        if let r = resumedFrom { protected.insert(r) }
        lock.unlock()

        let decision = retention.decide(candidates, protected: protected)
        for name in decision.delete {
            if let w = delete(name) { found.append(w) }
        }
        lock.lock()
        _lastRetention = decision
        warnings.append(contentsOf: found)
        lock.unlock()
    }

    /// Renames `name` to a hidden `.trash-*` directory, then removes it; returns a warning on failure.
    private func delete(_ name: String) -> CheckpointWarning? {
        let fm = FileManager.default
        let url = directory.appendingPathComponent(name, isDirectory: true)
        // The store's naming (`.trash-<name>-<pid>-<random>`) lets `CheckpointStore.cleanUp` finish the job after a crash.
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let trash = directory.appendingPathComponent(
            CheckpointStore.trashPrefix + "\(name)-\(ProcessInfo.processInfo.processIdentifier)-\(token)", isDirectory: true)
        do {
            try fm.moveItem(at: url, to: trash)
        } catch {
            return CheckpointWarning(name: name, path: url.path, kind: .deleteFailed, reason: "rename failed: \(error)")
        }
        lock.lock(); validity[name] = nil; lock.unlock()
        do {
            try fm.removeItem(at: trash)
        } catch {
            return CheckpointWarning(name: name, path: trash.path, kind: .deleteFailed,
                                     reason: "removing the renamed directory failed (the next manager retries): \(error)")
        }
        return nil
    }
}
