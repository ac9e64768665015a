import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT/SIGTERM into a stop request: the first signal sets `stopRequested` (the trainer
/// finishes its step, saves a checkpoint and returns), a second one exits the process at once
/// with status 128 + signal.
///
/// A signal handler can only reach process-wide storage, so the count lives in one static,
/// never-freed cell written with async-signal-safe code only; `init` resets it and `stop()`
/// restores the previous actions.
public final class SignalHandling: @unchecked Sendable {
    /// The signals watched.
    public let signals: [Int32]
    private var previous: [Int32: sigaction] = [:]
    private var active = true

    /// [count of signals received, first signal number]; written by the handler only.
    private static let cell: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
        p.initialize(repeating: 0, count: 2)
        return p
    }()

    /// Starts handling `signals` (default SIGINT and SIGTERM).
    public init(signals: [Int32] = [SIGINT, SIGTERM]) {
        self.signals = signals
        SignalHandling.cell[0] = 0
        SignalHandling.cell[1] = 0
        for s in signals {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = SignalHandling.handler
            #else
            action.__sigaction_u.__sa_handler = SignalHandling.handler
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            var old = sigaction()
            sigaction(s, &action, &old)
            previous[s] = old
        }
    }

    deinit { stop() }

    /// True once a watched signal arrived.
    public var stopRequested: Bool { active && SignalHandling.cell[0] > 0 }

    /// The first signal received, if any.
    public var signalReceived: Int32? { SignalHandling.cell[0] > 0 ? SignalHandling.cell[1] : nil }

    /// Restores the actions that were installed before (idempotent).
    public func stop() {
        guard active else { return }
        active = false
        for (s, var old) in previous { sigaction(s, &old, nil) }
    }

    /// Async-signal-safe: counts, writes a fixed message with write(2), exits on the second signal.
    private static let handler: @convention(c) (Int32) -> Void = { s in
        let cell = SignalHandling.cell
        cell[0] += 1
        if cell[0] == 1 {
            cell[1] = s
            let msg = "\nsignal received: finishing the current step, saving a checkpoint, then stopping (send again to exit now)\n"
            msg.withCString { _ = write(2, $0, strlen($0)) }
        } else {
            _exit(128 + s)
        }
    }
}
