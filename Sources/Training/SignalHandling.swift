import Foundation
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT/SIGTERM into a stop request: the first signal sets `stopRequested` (the trainer
/// finishes its step, saves and returns), a second one exits the process at once (status 128 + signal).
public final class SignalHandling: @unchecked Sendable {
    /// The signals watched.
    public let signals: [Int32]
    private let lock = NSLock()
    private var count = 0
    private var received: Int32?
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "cairn.trainer.signals")

    /// Starts watching `signals` (default SIGINT and SIGTERM); their default action is suspended until `stop()`.
    public init(signals: [Int32] = [SIGINT, SIGTERM]) {
        self.signals = signals
        for s in signals {
            signal(s, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: s, queue: queue)
            src.setEventHandler { [weak self] in self?.handle(s, times: Int(src.data)) }
            src.resume()
            sources.append(src)
        }
    }

    deinit { stop() }

    /// True once a signal arrived.
    public var stopRequested: Bool { lock.lock(); defer { lock.unlock() }; return count > 0 }

    /// The first signal received, if any.
    public var signalReceived: Int32? { lock.lock(); defer { lock.unlock() }; return received }

    /// Sets the stop flag as if a signal had arrived (for tests and embedding apps).
    public func requestStop() { handle(SIGTERM, times: 1) }

    /// Stops watching and restores the default actions.
    public func stop() {
        for s in sources { s.cancel() }
        sources = []
        for s in signals { signal(s, SIG_DFL) }
    }

    private func handle(_ s: Int32, times: Int) {
        lock.lock()
        count += max(times, 1)
        if received == nil { received = s }
        let n = count
        lock.unlock()
        if n >= 2 {
            FileHandle.standardError.write(Data("\nsecond signal: exiting now without saving\n".utf8))
            _exit(128 + s)
        }
        FileHandle.standardError.write(Data("\nsignal \(s): finishing the current step, saving a checkpoint, then stopping (send again to exit now)\n".utf8))
    }
}
