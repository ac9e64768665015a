import Crypto
import Foundation
import TensorCore
import NN
import Optimizers
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes checkpoint directories atomically, and verifies them.
///
/// A checkpoint directory holds `model.safetensors` (PyTorch state-dict keys), optionally
/// `optimizer.safetensors` (state tensors keyed `<param name>.<buffer>` and `<param name>.step`)
/// with `optimizer.json` (type, defaults, groups with parameter names and every hyper-parameter,
/// buffer order), `trainer_state.json`, and `manifest.json` listing every other file with its size
/// and SHA-256.
///
/// Saving writes everything into a hidden sibling `.tmp-<name>-<pid>-<random>`, fsyncs each file,
/// writes the manifest last, fsyncs the directory, renames it into place and fsyncs the parent. An
/// existing checkpoint of the same name is never modified in place: the new directory is swapped
/// in with one atomic `renameat2(RENAME_EXCHANGE)` and the old one deleted; where the file system
/// cannot exchange, the old directory is first renamed to `.trash-<name>-<pid>-<random>` (a crash
/// in between leaves the name absent and both copies hidden; `cleanUp(in:)` puts one back). So a
/// crash at any instant leaves, under every visible name, either the old checkpoint or the new one.
/// Hidden `.tmp-`/`.trash-` directories and directories without a manifest are never loaded.
public enum CheckpointStore {
    /// Model tensors.
    public static let modelFile = "model.safetensors"
    /// Optimizer state tensors.
    public static let optimizerTensorsFile = "optimizer.safetensors"
    /// Optimizer type, groups and state layout.
    public static let optimizerFile = "optimizer.json"
    /// Trainer state.
    public static let trainerStateFile = "trainer_state.json"
    /// Prefix of in-progress saves.
    public static let temporaryPrefix = ".tmp-"
    /// Prefix of replaced checkpoints awaiting deletion.
    public static let trashPrefix = ".trash-"

    /// Whether a directory name belongs to an unfinished save or a replaced checkpoint (never valid).
    public static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(temporaryPrefix) || name.hasPrefix(trashPrefix)
    }

    // MARK: Saving

    /// Writes `checkpoint` to `dir` atomically (see the type's documentation); `fsync: false` skips
    /// the flushes (for tests and throwaway runs: atomic against crashes of the process, not of the machine).
    ///
    /// Replaces an existing checkpoint directory (one with a manifest) or an empty directory of the
    /// same name; anything else there throws `destinationOccupied`.
    public static func save(_ checkpoint: Checkpoint, to dir: URL, fsync: Bool = true) throws {
        let dir = dir.standardizedFileURL
        let name = dir.lastPathComponent
        let parent = dir.deletingLastPathComponent().path
        guard !isTemporaryName(name), !name.isEmpty, name != "/" else {
            throw CheckpointError.temporaryDirectory(path: dir.path)
        }
        let target = dir.path
        if FileIO.kind(target) != nil {
            let isEmpty = FileIO.isDirectory(target) ? try FileIO.list(target).isEmpty : false
            guard FileIO.isDirectory(target), FileIO.kind(target + "/" + Manifest.fileName) != nil || isEmpty else {
                throw CheckpointError.destinationOccupied(path: target)
            }
        }
        try FileIO.makeDirectories(parent)
        let tmp = parent + "/" + temporaryPrefix + "\(name)-\(getpid())-\(FileIO.randomToken())"
        try FileIO.makeDirectory(tmp)
        var installed = false
        defer { if !installed { try? FileIO.removeTree(tmp) } }

        try writeContents(checkpoint, into: tmp, fsync: fsync)
        if fsync { try FileIO.sync(tmp) }

        if FileIO.kind(target) == nil {
            try FileIO.rename(tmp, target)
            installed = true
            if fsync { try FileIO.sync(parent) }
            return
        }
        if try FileIO.exchange(tmp, target) {
            // `tmp` now holds the previous checkpoint.
            installed = true
            if fsync { try FileIO.sync(parent) }
            try FileIO.removeTree(tmp)
            return
        }
        let trash = parent + "/" + trashPrefix + "\(name)-\(getpid())-\(FileIO.randomToken())"
        try FileIO.rename(target, trash)
        do { try FileIO.rename(tmp, target) } catch {
            try? FileIO.rename(trash, target)
            throw error
        }
        installed = true
        if fsync { try FileIO.sync(parent) }
        try FileIO.removeTree(trash)
    }

    /// Writes every file and then the manifest into the (new, empty) directory `dir`.
    ///
    /// Each file's SHA-256 is taken from exactly the bytes handed to write(2), computed on a second
    /// thread while the writes go on, so a save costs about what writing alone costs; `verify` and
    /// loading hash what is on disk against it. On an `AsyncCheckpointWriter` thread the hashing
    /// stays on that thread: a background save must not take the core training runs on (measured:
    /// the extra step time rose from ~4 % to 30 % of a synchronous save with a second thread).
    static func writeContents(_ checkpoint: Checkpoint, into dir: String, fsync: Bool) throws {
        var entries: [Manifest.Entry] = []
        let concurrently = !AsyncCheckpointWriter.isWriterThread
        func tensors(_ pairs: [(name: String, tensor: Tensor)], _ file: String) throws {
            var hasher = SHA256(), size = 0
            do {
                try Safetensors.write(pairs, metadata: ["format": "pt"], to: URL(fileURLWithPath: dir + "/" + file),
                                      fsync: fsync, concurrently: concurrently) { bytes in
                    hasher.update(bufferPointer: bytes)
                    size += bytes.count
                }
            } catch let e as SafetensorsError {
                throw CheckpointError.safetensors(e)
            }
            entries.append(Manifest.Entry(path: file, size: size, sha256: FileIO.hex(hasher.finalize())))
        }
        func json(_ bytes: [UInt8], _ file: String) throws {
            try FileIO.write(bytes, to: dir + "/" + file, fsync: fsync)
            entries.append(Manifest.Entry(path: file, size: bytes.count, sha256: FileIO.hex(SHA256.hash(data: bytes))))
        }
        // Manifest order as before: model, trainer state, optimizer tensors, optimizer document.
        try tensors(checkpoint.model.pairs.map { (name: $0.0, tensor: $0.1) }, modelFile)
        try json(try JSONFiles.encode(checkpoint.trainerState, file: trainerStateFile), trainerStateFile)
        if let opt = checkpoint.optimizer {
            try tensors(opt.tensors, optimizerTensorsFile)
            try json(try JSONFiles.encode(opt.document, file: optimizerFile), optimizerFile)
        }
        try FileIO.write(try JSONFiles.encode(Manifest(files: entries), file: Manifest.fileName),
                         to: dir + "/" + Manifest.fileName, fsync: fsync)
    }

    // MARK: Verifying

    /// Checks structure and checksums: the manifest, every listed file's size and SHA-256, no missing
    /// or extra files, parseable JSON and safetensors headers, and consistency between the files.
    /// Throws `CheckpointError` naming the file and what differs.
    public static func verify(_ dir: URL) throws -> VerifyReport {
        try verify(dir, allowHidden: false)
    }

    static func verify(_ dir: URL, allowHidden: Bool) throws -> VerifyReport {
        let (path, manifest) = try openManifest(dir, hashes: true, allowHidden: allowHidden)
        let state = try decodeTrainerState(path)
        let model = try safetensors(path + "/" + modelFile)
        try checkFingerprint(state.fingerprint, against: model, file: path + "/" + modelFile)
        let hasOptimizer = manifest.files.contains { $0.path == optimizerFile }
        if hasOptimizer { _ = try readOptimizer(path) }
        return VerifyReport(directory: path, formatVersion: manifest.formatVersion, cairnVersion: manifest.cairnVersion,
                            files: manifest.files, hasOptimizer: hasOptimizer, modelTensorCount: model.count,
                            epoch: state.epoch, globalStep: state.globalStep)
    }

    /// Whether `dir` is a complete checkpoint by the cheap test (not hidden, manifest present); use
    /// `verify` for the full check.
    public static func looksComplete(_ dir: URL) -> Bool {
        let path = dir.standardizedFileURL.path
        return !isTemporaryName(dir.lastPathComponent) && FileIO.isDirectory(path)
            && FileIO.kind(path + "/" + Manifest.fileName) == S_IFREG
    }

    /// Reads and checks the manifest of `dir`; with `hashes` every file's SHA-256 too, else sizes only.
    static func openManifest(_ dir: URL, hashes: Bool, allowHidden: Bool = false) throws -> (path: String, manifest: Manifest) {
        let path = dir.standardizedFileURL.path
        if !allowHidden && isTemporaryName(dir.lastPathComponent) { throw CheckpointError.temporaryDirectory(path: path) }
        guard FileIO.isDirectory(path) else { throw CheckpointError.notADirectory(path: path) }
        let manifestPath = path + "/" + Manifest.fileName
        guard FileIO.kind(manifestPath) != nil else { throw CheckpointError.missingManifest(directory: path) }
        let manifest = try JSONFiles.decode(Manifest.self, from: try FileIO.read(manifestPath), file: manifestPath)
        guard manifest.formatVersion == CheckpointVersion.format else {
            throw CheckpointError.unsupportedFormat(file: manifestPath, found: manifest.formatVersion,
                                                   supported: CheckpointVersion.format)
        }
        let listed = manifest.files.map(\.path)
        for required in [modelFile, trainerStateFile] where !listed.contains(required) {
            throw CheckpointError.missingRequiredFile(directory: path, file: required)
        }
        if listed.contains(optimizerFile) != listed.contains(optimizerTensorsFile) {
            let absent = listed.contains(optimizerFile) ? optimizerTensorsFile : optimizerFile
            throw CheckpointError.missingRequiredFile(directory: path, file: absent)
        }
        let allowed = Set([modelFile, trainerStateFile, optimizerFile, optimizerTensorsFile])
        for f in listed where !allowed.contains(f) {
            throw CheckpointError.badJSON(file: manifestPath, key: "files", reason: "unknown file '\(f)' listed")
        }
        let present = try FileIO.list(path)
        for f in present where f != Manifest.fileName && !listed.contains(f) {
            throw CheckpointError.extraFile(file: path + "/" + f)
        }
        for entry in manifest.files {
            let file = path + "/" + entry.path
            guard FileIO.kind(file) == S_IFREG else { throw CheckpointError.missingFile(file: file) }
            if hashes {
                let d = try FileIO.digest(file)
                guard d.size == entry.size else { throw CheckpointError.sizeMismatch(file: file, expected: entry.size, actual: d.size) }
                guard d.sha256 == entry.sha256 else {
                    throw CheckpointError.hashMismatch(file: file, expected: entry.sha256, actual: d.sha256)
                }
            } else {
                var st = stat()
                guard stat(file, &st) == 0 else { throw CheckpointError.io(path: file, operation: "stat", errno: errno) }
                guard Int(st.st_size) == entry.size else {
                    throw CheckpointError.sizeMismatch(file: file, expected: entry.size, actual: Int(st.st_size))
                }
            }
        }
        return (path, manifest)
    }

    // MARK: Loading

    /// Reads a checkpoint; with `verify` (the default) every checksum is checked first, without it
    /// only the manifest's structure and file sizes. Tensors are placed on `device`.
    public static func load(from dir: URL, device: Device = .cpu, verify: Bool = true) throws -> Checkpoint {
        let (path, manifest) = try openManifest(dir, hashes: verify)
        let state = try decodeTrainerState(path)
        let file = try safetensors(path + "/" + modelFile)
        try checkFingerprint(state.fingerprint, against: file, file: path + "/" + modelFile)
        // safetensors sorts its keys; the fingerprint keeps PyTorch's state-dict order.
        var sd = StateDict()
        do {
            for e in state.fingerprint.entries { sd[e.key] = try file.tensor(e.key) }
        } catch let e as SafetensorsError { throw CheckpointError.safetensors(e) }
        let optimizer = manifest.files.contains { $0.path == optimizerFile } ? try readOptimizer(path) : nil
        return Checkpoint(model: sd, optimizer: optimizer, trainerState: state)
    }

    /// Only `trainer_state.json`, after checking the manifest's structure and that file's checksum
    /// (cheap: the large tensor files are neither hashed nor read).
    public static func readTrainerState(_ dir: URL) throws -> TrainerState {
        let (path, manifest) = try openManifest(dir, hashes: false)
        let file = path + "/" + trainerStateFile
        if let entry = manifest.files.first(where: { $0.path == trainerStateFile }) {
            let d = try FileIO.digest(file)
            guard d.sha256 == entry.sha256 else { throw CheckpointError.hashMismatch(file: file, expected: entry.sha256, actual: d.sha256) }
        }
        return try decodeTrainerState(path)
    }

    /// Loads only the model tensors of `dir` into `model` under `policy`.
    @discardableResult
    public static func loadModel(from dir: URL, into model: Module, policy: LoadPolicy = .strict,
                                 device: Device = .cpu, verify: Bool = true) throws -> LoadReport {
        try load(from: dir, device: device, verify: verify).load(into: model, policy: policy, device: device)
    }

    /// The checkpoint's architecture compared with `model`, from `trainer_state.json` alone.
    public static func preflight(_ dir: URL, model: Module) throws -> ArchitectureFingerprint.Diff {
        try readTrainerState(dir).fingerprint.diff(ArchitectureFingerprint(model: model))
    }

    static func decodeTrainerState(_ path: String) throws -> TrainerState {
        let file = path + "/" + trainerStateFile
        let state = try JSONFiles.decode(TrainerState.self, from: try FileIO.read(file), file: file)
        guard state.formatVersion == CheckpointVersion.format else {
            throw CheckpointError.unsupportedFormat(file: file, found: state.formatVersion, supported: CheckpointVersion.format)
        }
        return state
    }

    static func safetensors(_ path: String) throws -> SafetensorsFile {
        do { return try SafetensorsFile(contentsOf: URL(fileURLWithPath: path)) } catch let e as SafetensorsError {
            throw CheckpointError.safetensors(e)
        }
    }

    /// The trainer state's fingerprint must describe exactly the tensors of `model.safetensors`.
    static func checkFingerprint(_ fp: ArchitectureFingerprint, against file: SafetensorsFile, file path: String) throws {
        let stateFile = (path as NSString).deletingLastPathComponent + "/" + trainerStateFile
        guard ArchitectureFingerprint.digest(of: fp.entries) == fp.digest else {
            throw CheckpointError.badJSON(file: stateFile, key: "fingerprint.digest", reason: "does not match the entries")
        }
        let keys = Set(fp.entries.map(\.key))
        guard keys.count == fp.entries.count else {
            throw CheckpointError.badJSON(file: stateFile, key: "fingerprint.entries", reason: "repeated key")
        }
        for (i, e) in fp.entries.enumerated() {
            guard let info = file.info(e.key) else {
                throw CheckpointError.inconsistent(file: path, key: e.key,
                                                   reason: "listed in trainer_state.json fingerprint.entries[\(i)] but not in the file")
            }
            guard info.shape == e.shape, info.dtype == e.dtype else {
                throw CheckpointError.inconsistent(file: path, key: e.key,
                    reason: "file has \(info.dtype.rawValue) \(info.shape), fingerprint says \(e.dtype.rawValue) \(e.shape)")
            }
        }
        for name in file.names where !keys.contains(name) {
            throw CheckpointError.inconsistent(file: path, key: name, reason: "tensor not listed in the trainer_state.json fingerprint")
        }
    }

    static func readOptimizer(_ path: String) throws -> OptimizerSnapshot {
        let jsonPath = path + "/" + optimizerFile, tensorsPath = path + "/" + optimizerTensorsFile
        let doc = try JSONFiles.decode(OptimizerSnapshot.Document.self, from: try FileIO.read(jsonPath), file: jsonPath)
        guard doc.formatVersion == CheckpointVersion.format else {
            throw CheckpointError.unsupportedFormat(file: jsonPath, found: doc.formatVersion, supported: CheckpointVersion.format)
        }
        let file = try safetensors(tensorsPath)
        var used = Set<String>()
        let snap: OptimizerSnapshot
        do {
            snap = try OptimizerSnapshot(document: doc, tensors: { name in
                guard file.contains(name) else { return nil }
                used.insert(name)
                return try file.tensor(name)
            }, file: jsonPath)
        } catch let e as SafetensorsError { throw CheckpointError.safetensors(e) }
        for name in file.names where !used.contains(name) {
            throw CheckpointError.inconsistent(file: tensorsPath, key: name, reason: "tensor not described by optimizer.json")
        }
        return snap
    }

    // MARK: Recovery

    /// What `cleanUp(in:)` did.
    public struct CleanupReport: Sendable, Equatable {
        /// Hidden directories of dead processes that were deleted.
        public var removed: [String] = []
        /// Checkpoint names put back from an interrupted replacement (`from → to`).
        public var restored: [String] = []
    }

    /// Removes `.tmp-`/`.trash-` directories left in `parent` by processes that no longer run, first
    /// moving a complete one back where a crash during a replacement left its name empty (the new
    /// checkpoint when it verifies, else the old). Directories of live processes are left alone.
    @discardableResult
    public static func cleanUp(in parent: URL) throws -> CleanupReport {
        let base = parent.standardizedFileURL.path
        var report = CleanupReport()
        var stale: [(name: String, target: String, isTrash: Bool)] = []
        for entry in try FileIO.list(base) where isTemporaryName(entry) {
            let isTrash = entry.hasPrefix(trashPrefix)
            let body = entry.dropFirst(isTrash ? trashPrefix.count : temporaryPrefix.count)
            let parts = body.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]) else { continue }
            if pid == getpid() { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            stale.append((entry, parts.dropLast(2).joined(separator: "-"), isTrash))
        }
        // Prefer a finished new save (tmp) over the replaced one (trash) for an empty name.
        for candidate in stale.sorted(by: { !$0.isTrash && $1.isTrash }) {
            let target = base + "/" + candidate.target
            let source = base + "/" + candidate.name
            guard FileIO.kind(target) == nil, FileIO.kind(source) != nil,
                  (try? verify(URL(fileURLWithPath: source), allowHidden: true)) != nil else { continue }
            try FileIO.rename(source, target)
            try FileIO.sync(base)
            report.restored.append("\(candidate.name) → \(candidate.target)")
        }
        for candidate in stale where FileIO.kind(base + "/" + candidate.name) != nil {
            try FileIO.removeTree(base + "/" + candidate.name)
            report.removed.append(candidate.name)
        }
        return report
    }
}
