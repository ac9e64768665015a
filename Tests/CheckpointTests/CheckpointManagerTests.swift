import Foundation
import XCTest
import TensorCore
import NN
@testable import Checkpoint
import CairnTestSupport

/// A backend that writes through the real store but can block each write on a gate, fail chosen
/// writes, and record how many writes overlap.
final class ScriptedBackend: CheckpointBackend, @unchecked Sendable {
    private let store = DirectoryStoreBackend(fsync: false)
    private let lock = NSLock()
    private var gated = false
    private var failing: Set<Int> = []
    private var writes = 0
    private(set) var log = EventLog()
    let started = DispatchSemaphore(value: 0)
    let gate = DispatchSemaphore(value: 0)

    /// Every write waits for `gate.signal()` after signalling `started`.
    func gateWrites() { lock.lock(); gated = true; lock.unlock() }
    /// The n-th write (0-based) throws instead of writing.
    func failWrite(_ n: Int) { lock.lock(); failing.insert(n); lock.unlock() }

    func write(_ checkpoint: Checkpoint, to directory: URL) throws {
        lock.lock()
        let n = writes
        writes += 1
        let g = gated, f = failing.contains(n)
        lock.unlock()
        log.enter()
        defer { log.leave() }
        if g {
            started.signal()
            gate.wait()
        }
        if f { throw FakeWriteError(what: directory.lastPathComponent) }
        try store.write(checkpoint, to: directory)
        log.add("wrote \(directory.lastPathComponent)")
    }

    func verify(_ directory: URL) throws { try store.verify(directory) }
    func readTrainerState(_ directory: URL) throws -> TrainerState { try store.readTrainerState(directory) }
}

final class CheckpointManagerTests: XCTestCase {
    private let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    /// A tiny checkpoint; `savedAt` advances with the step so creation order is deterministic.
    private func snapshot(step: Int, epoch: Int = 0, metrics: [String: Double] = [:]) -> Checkpoint {
        let sd = StateDict([("w", testTensor([2, 3], seed: UInt64(step + 1))), ("b", testTensor([3], seed: 7))])
        let ts = TrainerState(epoch: epoch, globalStep: step, metrics: metrics,
                              fingerprint: ArchitectureFingerprint(stateDict: sd), savedAt: t0.addingTimeInterval(Double(step)))
        return Checkpoint(model: sd, trainerState: ts)
    }

    private func names(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    private func manager(_ dir: URL, schedule: SaveSchedule = .manual, retention: RetentionPolicy = .keepAll,
                         template: FilenameTemplate = .default, collision: FilenameTemplate.CollisionPolicy = .suffix,
                         async: Bool = false, backend: CheckpointBackend = DirectoryStoreBackend(fsync: false)) throws
        -> CheckpointManager {
        try CheckpointManager(directory: dir, schedule: schedule, retention: retention, template: template,
                              collisionPolicy: collision, async: async, backend: backend, clock: { [t0] in t0 })
    }

    /// Flips one byte of `file` in checkpoint `name`.
    private func corrupt(_ dir: URL, _ name: String, file: String = CheckpointStore.modelFile) throws {
        let url = dir.appendingPathComponent(name).appendingPathComponent(file)
        var data = try Data(contentsOf: url)
        data[data.count - 1] ^= 0xFF
        try data.write(to: url)
    }

    // MARK: Retention over a run

    func testKeepLastAndBestOverARun() throws {
        let dir = try makeTempDirectory(self)
        let m = try manager(dir, schedule: SaveSchedule(everyNSteps: 10),
                            retention: RetentionPolicy(keepLast: 2, keepBest: .init(MetricMonitor("val_loss", mode: .min), count: 2)))
        let losses: [Int: Double] = [10: 0.9, 20: 0.5, 30: 0.7, 40: 0.3, 50: .nan, 60: 0.6, 70: 0.8, 80: 0.65, 90: 0.4, 100: 0.95]
        var saved: [String] = []
        for step in 1...100 {
            let ckpt = snapshot(step: step, epoch: step / 25, metrics: ["val_loss": losses[step] ?? 1.0])
            if let url = try m.save(ckpt) { saved.append(url.lastPathComponent) }
        }
        XCTAssertEqual(saved.count, 10)
        XCTAssertEqual(saved.first, "ckpt-0000-000010")
        XCTAssertEqual(saved.last, "ckpt-0004-000100")
        // Best two: step 40 (0.3) and 90 (0.4); last two: 90 and 100. NaN at 50 never counts as best.
        XCTAssertEqual(try names(dir), ["ckpt-0001-000040", "ckpt-0003-000090", "ckpt-0004-000100"])
        let d = try XCTUnwrap(m.lastRetention)
        XCTAssertEqual(d.reasons["ckpt-0001-000040"], [.best])
        XCTAssertEqual(d.reasons["ckpt-0003-000090"], [.best, .last])
        XCTAssertEqual(d.reasons["ckpt-0004-000100"], [.last, .newestValid, .protected])
        XCTAssertTrue(m.takeWarnings().isEmpty)
        XCTAssertEqual(try m.best().checkpoint?.name, "ckpt-0001-000040")
        XCTAssertEqual(try m.latest().checkpoint?.name, "ckpt-0004-000100")
        let listing = try m.list()
        XCTAssertEqual(listing.entries.map(\.name), ["ckpt-0001-000040", "ckpt-0003-000090", "ckpt-0004-000100"])
        XCTAssertEqual(listing.status["ckpt-0004-000100"], .valid)
    }

    func testKeepLastZeroKeepsOnlyNewest() throws {
        let dir = try makeTempDirectory(self)
        let m = try manager(dir, retention: RetentionPolicy(keepLast: 0))
        for step in [5, 10, 15] { try m.save(snapshot(step: step), force: true) }
        XCTAssertEqual(try names(dir), ["ckpt-0000-000015"])
    }

    func testNoSaveWhenNotDue() throws {
        let dir = try makeTempDirectory(self)
        let m = try manager(dir, schedule: SaveSchedule(everyNSteps: 10))
        XCTAssertNil(try m.save(snapshot(step: 3)))
        XCTAssertEqual(try names(dir), [])
        XCTAssertNotNil(try m.save(snapshot(step: 3), force: true))
        XCTAssertEqual(try names(dir), ["ckpt-0000-000003"])
    }

    // MARK: Latest / best / list

    func testLatestSkipsCorruptedNewestWithWarningNamingIt() throws {
        let dir = try makeTempDirectory(self)
        let writer = try manager(dir)
        for step in [10, 20, 30] { try writer.save(snapshot(step: step), force: true) }
        try corrupt(dir, "ckpt-0000-000030")

        let m = try manager(dir)  // fresh manager: nothing cached
        let result = try m.latest()
        XCTAssertEqual(result.checkpoint?.name, "ckpt-0000-000020")
        XCTAssertEqual(result.checkpoint?.globalStep, 20)
        XCTAssertEqual(result.warnings.count, 1)
        XCTAssertEqual(result.warnings.first?.name, "ckpt-0000-000030")
        XCTAssertEqual(result.warnings.first?.kind, .corrupt)
        XCTAssertTrue(result.warnings.first!.description.contains("ckpt-0000-000030"))
        XCTAssertTrue(result.warnings.first!.reason.contains(CheckpointStore.modelFile), result.warnings.first!.reason)

        let listing = try m.list(verify: true)
        XCTAssertEqual(listing.entries.map(\.name), ["ckpt-0000-000010", "ckpt-0000-000020", "ckpt-0000-000030"])
        XCTAssertEqual(listing.status["ckpt-0000-000010"], .valid)
        guard case .corrupt? = listing.status["ckpt-0000-000030"] else { return XCTFail("\(listing.status)") }
    }

    func testLatestUsesStepNotNameOrder() throws {
        let dir = try makeTempDirectory(self)
        let m = try manager(dir, template: try FilenameTemplate("run-{val_loss:.2f}"))
        try m.save(snapshot(step: 200, metrics: ["val_loss": 0.11]), force: true)
        try m.save(snapshot(step: 100, metrics: ["val_loss": 0.99]), force: true)
        XCTAssertEqual(try m.latest().checkpoint?.name, "run-0.11")
        XCTAssertEqual(try m.best(monitor: MetricMonitor("val_loss", mode: .max)).checkpoint?.name, "run-0.99")
    }

    func testLatestWithNothingValid() throws {
        let dir = try makeTempDirectory(self)
        let m = try manager(dir)
        XCTAssertNil(try m.latest().checkpoint)
        try m.save(snapshot(step: 1), force: true)
        try corrupt(dir, "ckpt-0000-000001", file: CheckpointStore.trainerStateFile)
        let r = try manager(dir).latest()
        XCTAssertNil(r.checkpoint)
        XCTAssertEqual(r.warnings.map(\.name), ["ckpt-0000-000001"])
    }

    func testHiddenAndForeignDirectoriesAreIgnored() throws {
        let dir = try makeTempDirectory(self)
        let m = try manager(dir, retention: RetentionPolicy(keepLast: 1, deleteCorrupt: true))
        try m.save(snapshot(step: 1), force: true)
        let fm = FileManager.default
        // An unfinished save of a live process (ours), a copy of a real checkpoint under a hidden name,
        // TensorBoard logs and a plain file: none is a checkpoint, none may be touched.
        let pid = ProcessInfo.processInfo.processIdentifier
        try fm.copyItem(at: dir.appendingPathComponent("ckpt-0000-000001"),
                        to: dir.appendingPathComponent(".tmp-ckpt-0000-000999-\(pid)-abcd"))
        try fm.createDirectory(at: dir.appendingPathComponent("tb_logs"), withIntermediateDirectories: false)
        try Data("x".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        try m.save(snapshot(step: 2), force: true)
        XCTAssertEqual(try names(dir), [".tmp-ckpt-0000-000999-\(pid)-abcd", "ckpt-0000-000002", "notes.txt", "tb_logs"])
        XCTAssertEqual(try m.latest().checkpoint?.name, "ckpt-0000-000002")
        XCTAssertEqual(try m.list().entries.map(\.name), ["ckpt-0000-000002"])
    }

    func testBestSkipsCorruptBestAndNeedsAMonitor() throws {
        let dir = try makeTempDirectory(self)
        let w = try manager(dir)
        for (step, acc) in [(1, 0.5), (2, 0.9), (3, 0.7), (4, Double.nan)] {
            try w.save(snapshot(step: step, metrics: ["acc": acc]), force: true)
        }
        try corrupt(dir, "ckpt-0000-000002")
        let m = try manager(dir, schedule: SaveSchedule(onImprovement: MetricMonitor("acc", mode: .max)))
        let best = try m.best()
        XCTAssertEqual(best.checkpoint?.name, "ckpt-0000-000003")
        XCTAssertEqual(best.warnings.map(\.name), ["ckpt-0000-000002"])
        XCTAssertThrowsError(try manager(dir).best()) { e in
            guard case .noMonitor? = e as? CheckpointManagerError else { return XCTFail("\(e)") }
        }
    }

    // MARK: Retention safety

    func testNeverDeletesResumedFromCheckpoint() throws {
        let dir = try makeTempDirectory(self)
        let first = try manager(dir)
        for step in [10, 20, 30, 40] { try first.save(snapshot(step: step), force: true) }

        let m = try manager(dir, schedule: SaveSchedule(everyNSteps: 10), retention: RetentionPolicy(keepLast: 1))
        try m.markResumed(from: dir.appendingPathComponent("ckpt-0000-000020"))
        XCTAssertEqual(m.resumedCheckpoint, "ckpt-0000-000020")
        XCTAssertEqual(m.schedule.lastSavedStep, 20, "resuming restores the schedule's progress")
        XCTAssertNil(try m.save(snapshot(step: 20)), "no duplicate save at the resumed step")
        for step in 21...45 { try m.save(snapshot(step: step)) }
        // Steps 30 and 40 were written again under suffixed names. Keep-last 1 then kept the newer of the
        // two step-40 checkpoints (same step: the later write wins) and the resumed-from one.
        XCTAssertEqual(try names(dir), ["ckpt-0000-000020", "ckpt-0000-000040-1"])
        XCTAssertEqual(m.lastRetention?.reasons["ckpt-0000-000020"], [.protected])
        XCTAssertThrowsError(try m.markResumed(from: URL(fileURLWithPath: "/elsewhere/ckpt"))) { e in
            guard case .notInDirectory? = e as? CheckpointManagerError else { return XCTFail("\(e)") }
        }
    }

    /// A process killed after renaming its last checkpoint into place but before pruning (found by
    /// scripts/crash_test.sh): resuming the finished run saves nothing, so resuming itself must prune.
    func testResumeAppliesRetentionAKilledProcessDidNotGetTo() throws {
        let dir = try makeTempDirectory(self)
        let first = try manager(dir)
        for step in [10, 20, 30] { try first.save(snapshot(step: step), force: true) }

        let m = try manager(dir, schedule: SaveSchedule(everyNSteps: 10), retention: RetentionPolicy(keepLast: 2))
        try m.markResumed(from: dir.appendingPathComponent("ckpt-0000-000030"))
        XCTAssertEqual(try names(dir), ["ckpt-0000-000020", "ckpt-0000-000030"])
        XCTAssertEqual(m.lastRetention?.delete, ["ckpt-0000-000010"])
    }

    func testResumeRestoresBestFromCheckpointsUpToTheResumedStep() throws {
        let dir = try makeTempDirectory(self)
        let w = try manager(dir)
        for (step, loss) in [(10, 0.2), (20, 0.5), (30, 0.1)] {
            try w.save(snapshot(step: step, metrics: ["loss": loss]), force: true)
        }
        let m = try manager(dir, schedule: SaveSchedule(onImprovement: MetricMonitor("loss", mode: .min)))
        try m.markResumed(from: dir.appendingPathComponent("ckpt-0000-000020"))
        XCTAssertEqual(m.schedule.best, 0.2, "step 30 lies after the resumed step and does not count")
        XCTAssertNil(try m.save(snapshot(step: 21, metrics: ["loss": 0.3])))
        XCTAssertEqual(try m.save(snapshot(step: 22, metrics: ["loss": 0.15]))?.lastPathComponent, "ckpt-0000-000022")
    }

    func testRetentionLeavesCorruptAloneAndWarns() throws {
        let dir = try makeTempDirectory(self)
        let w = try manager(dir)
        for step in [1, 2, 3] { try w.save(snapshot(step: step), force: true) }
        try corrupt(dir, "ckpt-0000-000003")
        let m = try manager(dir, retention: RetentionPolicy(keepLast: 1))
        try m.save(snapshot(step: 4), force: true)
        XCTAssertEqual(try names(dir), ["ckpt-0000-000003", "ckpt-0000-000004"])
        let warnings = m.takeWarnings()
        XCTAssertEqual(warnings.map(\.name), ["ckpt-0000-000003"])
        XCTAssertTrue(m.takeWarnings().isEmpty, "warnings are handed out once")
        let m2 = try manager(dir, retention: RetentionPolicy(keepLast: 1, deleteCorrupt: true))
        try m2.save(snapshot(step: 5), force: true)
        XCTAssertEqual(try names(dir), ["ckpt-0000-000005"])
    }

    func testInitCleansDeadLeftoversButNotLiveOnes() throws {
        let dir = try makeTempDirectory(self)
        let fm = FileManager.default
        let dead = ".trash-ckpt-0000-000001-2147483646-ab12"
        let live = ".tmp-ckpt-0000-000002-\(ProcessInfo.processInfo.processIdentifier)-cd34"
        for n in [dead, live] { try fm.createDirectory(at: dir.appendingPathComponent(n), withIntermediateDirectories: false) }
        let m = try manager(dir)
        XCTAssertEqual(m.cleanupReport.removed, [dead])
        XCTAssertEqual(try names(dir), [live])
    }

    func testDirectoryThatIsAFileIsRejected() throws {
        let dir = try makeTempDirectory(self)
        let file = dir.appendingPathComponent("file")
        try Data().write(to: file)
        XCTAssertThrowsError(try manager(file)) { e in
            guard case let .directoryUnusable(path, _)? = e as? CheckpointManagerError else { return XCTFail("\(e)") }
            XCTAssertEqual(path, file.standardizedFileURL.path)
        }
        let nested = dir.appendingPathComponent("a/b/c")
        _ = try manager(nested)
        var isDir: ObjCBool = false
        XCTAssertTrue(fm.fileExists(atPath: nested.path, isDirectory: &isDir) && isDir.boolValue)
    }

    private var fm: FileManager { .default }

    // MARK: Names

    func testCollisionsGetSuffixOrFail() throws {
        let dir = try makeTempDirectory(self)
        let t = try FilenameTemplate("epoch-{epoch}")
        let m = try manager(dir, template: t)
        XCTAssertEqual(try m.save(snapshot(step: 1, epoch: 1), force: true)?.lastPathComponent, "epoch-1")
        XCTAssertEqual(try m.save(snapshot(step: 2, epoch: 1), force: true)?.lastPathComponent, "epoch-1-1")
        XCTAssertEqual(try m.save(snapshot(step: 3, epoch: 1), force: true)?.lastPathComponent, "epoch-1-2")
        XCTAssertEqual(try m.latest().checkpoint?.name, "epoch-1-2")

        let strict = try manager(dir, template: t, collision: .fail)
        XCTAssertThrowsError(try strict.save(snapshot(step: 4, epoch: 1), force: true)) { e in
            guard case let .collision(_, name)? = e as? FilenameTemplateError else { return XCTFail("\(e)") }
            XCTAssertEqual(name, "epoch-1")
        }
        XCTAssertEqual(try names(dir), ["epoch-1", "epoch-1-1", "epoch-1-2"])
    }

    func testUnknownTemplateFieldFailsTheSave() throws {
        let dir = try makeTempDirectory(self)
        let m = try manager(dir, template: try FilenameTemplate("ckpt-{val_acc:.2f}"))
        XCTAssertThrowsError(try m.save(snapshot(step: 1, metrics: ["acc": 1]), force: true)) { e in
            guard case let .unknownField(_, field, _)? = e as? FilenameTemplateError else { return XCTFail("\(e)") }
            XCTAssertEqual(field, "val_acc")
        }
        XCTAssertEqual(try names(dir), [])
    }

    // MARK: Failures

    func testSyncFailureThrowsAndDeletesNothing() throws {
        let dir = try makeTempDirectory(self)
        let backend = ScriptedBackend()
        backend.failWrite(2)
        let m = try manager(dir, schedule: SaveSchedule(everyNSteps: 1), retention: RetentionPolicy(keepLast: 1), backend: backend)
        try m.save(snapshot(step: 1))
        try m.save(snapshot(step: 2))
        XCTAssertThrowsError(try m.save(snapshot(step: 3))) { e in
            XCTAssertTrue(e is FakeWriteError, "\(e)")
        }
        XCTAssertEqual(try names(dir), ["ckpt-0000-000002"], "a failed save must not trigger retention")
        XCTAssertEqual(m.schedule.lastSavedStep, 2, "a failed save is not recorded, so it is retried")
        XCTAssertNotNil(try m.save(snapshot(step: 3)))
        XCTAssertEqual(try names(dir), ["ckpt-0000-000003"])
    }

    // MARK: Async

    func testAsyncSaveLetsTheLoopContinue() throws {
        let dir = try makeTempDirectory(self)
        let backend = ScriptedBackend()
        backend.gateWrites()
        let m = try manager(dir, retention: RetentionPolicy(keepLast: 1), async: true, backend: backend)
        let url = try XCTUnwrap(try m.save(snapshot(step: 1), force: true))
        backend.started.wait()
        // The write is blocked, yet save returned: the loop trains on and the directory is not there yet.
        backend.log.add("training step 2")
        XCTAssertFalse(fm.fileExists(atPath: url.path))
        XCTAssertNil(try m.save(snapshot(step: 2)), "a save that is not due does not wait for the one in flight")
        backend.gate.signal()
        try m.finish()
        XCTAssertTrue(fm.fileExists(atPath: url.path))
        XCTAssertEqual(backend.log.all, ["training step 2", "wrote ckpt-0000-000001"])
        XCTAssertEqual(try m.latest().checkpoint?.name, "ckpt-0000-000001")
    }

    func testAsyncAtMostOneSaveInFlight() throws {
        let dir = try makeTempDirectory(self)
        let backend = ScriptedBackend()
        backend.gateWrites()
        let m = try manager(dir, retention: RetentionPolicy(keepLast: 1), async: true, backend: backend)
        try m.save(snapshot(step: 1), force: true)
        backend.started.wait()
        let secondDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = try? m.save(self.snapshot(step: 2), force: true)
            backend.log.add("second save returned")
            secondDone.signal()
        }
        let writer = try XCTUnwrap(m.asyncWriter)
        while writer.waitingCallers == 0 { Thread.sleep(forTimeInterval: 0.001) }
        XCTAssertNil(backend.log.index("second save returned"), "the second save must wait for the first")
        backend.gate.signal()           // first write
        secondDone.wait()
        backend.started.wait()
        backend.gate.signal()           // second write
        try m.finish()
        XCTAssertEqual(backend.log.peak, 1)
        XCTAssertLessThan(backend.log.index("wrote ckpt-0000-000001")!, backend.log.index("second save returned")!)
        XCTAssertEqual(try names(dir), ["ckpt-0000-000002"])
    }

    func testAsyncFailureSurfacesAtNextSaveAndAtFinish() throws {
        let dir = try makeTempDirectory(self)
        let backend = ScriptedBackend()
        backend.failWrite(1)
        backend.failWrite(3)
        let m = try manager(dir, retention: RetentionPolicy(keepLast: 1), async: true, backend: backend)
        try m.save(snapshot(step: 1), force: true)                     // write 0: ok
        try m.save(snapshot(step: 2), force: true)                     // write 1: fails in the background
        XCTAssertThrowsError(try m.save(snapshot(step: 3), force: true)) { e in
            guard case let .asyncSaveFailed(name, underlying)? = e as? CheckpointManagerError else { return XCTFail("\(e)") }
            XCTAssertEqual(name, "ckpt-0000-000002")
            XCTAssertTrue(underlying is FakeWriteError)
        }
        try m.finish()
        XCTAssertEqual(try names(dir), ["ckpt-0000-000001"], "nothing deleted on account of a failed save")
        try m.save(snapshot(step: 3), force: true)                     // write 2: ok
        try m.save(snapshot(step: 4), force: true)                     // write 3: fails
        XCTAssertThrowsError(try m.finish()) { e in
            guard case let .asyncSaveFailed(name, _)? = e as? CheckpointManagerError else { return XCTFail("\(e)") }
            XCTAssertEqual(name, "ckpt-0000-000004")
        }
        XCTAssertNoThrow(try m.finish())
        XCTAssertEqual(try names(dir), ["ckpt-0000-000003"])
    }

    func testAsyncRunMatchesSyncRun() throws {
        let policy = RetentionPolicy(keepLast: 2, keepBest: .init(MetricMonitor("loss", mode: .min), count: 1))
        var results: [[String]] = []
        for async in [false, true] {
            let dir = try makeTempDirectory(self, "run\(async)")
            let m = try manager(dir, schedule: SaveSchedule(everyNSteps: 3), retention: policy, async: async)
            for step in 1...30 {
                try m.save(snapshot(step: step, metrics: ["loss": Double(abs(step - 12))]))
            }
            try m.finish()
            results.append(try names(dir))
        }
        XCTAssertEqual(results[0], ["ckpt-0000-000012", "ckpt-0000-000027", "ckpt-0000-000030"])
        XCTAssertEqual(results[1], results[0])
    }
}
