import Foundation

/// Runs checkpoint writes on one dedicated background thread, one at a time, so training goes on
/// while a snapshot is written.
///
/// At most one write is in flight: `submit` blocks until the previous write has finished, which
/// bounds memory to the snapshot being written plus the one the caller just captured. A failed write
/// is never dropped: its error is thrown by the next `submit` (which then does not enqueue its own
/// job, so a throwing call never leaves work behind) or by `finish()`, and is reported once.
public final class AsyncCheckpointWriter: @unchecked Sendable {
    /// A unit of work: write one snapshot (and whatever must follow it, such as retention).
    public typealias Job = @Sendable () throws -> Void

    /// State shared with the thread; kept apart from the writer so the thread does not keep it alive.
    private final class Shared: @unchecked Sendable {
        let cond = NSCondition()
        var pending: (label: String, job: Job)?
        var runningLabel: String?
        var failure: CheckpointManagerError?
        var shutdown = false
        var completed = 0
        var waiting = 0
    }

    private let shared = Shared()

    private static let threadKey = "cairn.checkpoint-writer"

    /// Whether the calling code runs on a writer's background thread: a save there hashes on its
    /// own thread only, leaving the other core to the training step it runs beside.
    public static var isWriterThread: Bool { Thread.current.threadDictionary[threadKey] as? Bool ?? false }

    /// Starts the writer thread (named `name` for debuggers).
    public init(name: String = "cairn.checkpoint-writer") {
        let shared = self.shared
        let thread = Thread {
            Thread.current.threadDictionary[AsyncCheckpointWriter.threadKey] = true
            Self.run(shared)
        }
        thread.name = name
        thread.start()
    }

    deinit {
        shared.cond.lock()
        shared.shutdown = true
        shared.cond.broadcast()
        shared.cond.unlock()
    }

    /// Hands `job` to the thread and returns once it is queued; waits first for any write in flight,
    /// and throws that write's failure (without queueing `job`).
    public func submit(label: String, _ job: @escaping Job) throws {
        shared.cond.lock()
        defer { shared.cond.unlock() }
        waitIdleLocked()
        if let e = shared.failure {
            shared.failure = nil
            throw e
        }
        shared.pending = (label, job)
        shared.cond.broadcast()
    }

    /// Waits until nothing is queued or running; throws the failure of a write not yet reported.
    public func finish() throws {
        shared.cond.lock()
        defer { shared.cond.unlock() }
        waitIdleLocked()
        if let e = shared.failure {
            shared.failure = nil
            throw e
        }
    }

    /// Throws the failure of a finished write not yet reported, without waiting for the one in flight.
    public func throwPendingFailure() throws {
        shared.cond.lock()
        defer { shared.cond.unlock() }
        if let e = shared.failure {
            shared.failure = nil
            throw e
        }
    }

    /// True while a write is queued or running.
    public var isBusy: Bool {
        shared.cond.lock()
        defer { shared.cond.unlock() }
        return shared.pending != nil || shared.runningLabel != nil
    }

    /// Number of jobs that ran to the end (successfully or not).
    public var completedCount: Int {
        shared.cond.lock()
        defer { shared.cond.unlock() }
        return shared.completed
    }

    /// Callers currently blocked in `submit`/`finish` (for tests that check the back-pressure).
    var waitingCallers: Int {
        shared.cond.lock()
        defer { shared.cond.unlock() }
        return shared.waiting
    }

    private func waitIdleLocked() {
        shared.waiting += 1
        while shared.pending != nil || shared.runningLabel != nil { shared.cond.wait() }
        shared.waiting -= 1
    }

    private static func run(_ shared: Shared) {
        while true {
            shared.cond.lock()
            while shared.pending == nil && !shared.shutdown { shared.cond.wait() }
            guard let (label, job) = shared.pending else {
                shared.cond.unlock()
                return
            }
            shared.pending = nil
            shared.runningLabel = label
            shared.cond.unlock()

            var failure: CheckpointManagerError?
            do { try job() } catch { failure = .asyncSaveFailed(name: label, underlying: error) }

            shared.cond.lock()
            shared.runningLabel = nil
            shared.completed += 1
            if let f = failure { shared.failure = f }
            shared.cond.broadcast()
            shared.cond.unlock()
        }
    }
}
