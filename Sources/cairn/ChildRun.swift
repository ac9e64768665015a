import Foundation

/// This `cairn` binary running as a child process, so the self-test and the demo can interrupt a
/// real training process (SIGKILL, SIGTERM) the way a preempted job or a dying machine would.
final class ChildRun {
    /// The running process.
    let process: Process

    /// Starts `cairn <arguments>`; its output goes to `log` (appended), or is discarded.
    init(_ arguments: [String], log: URL? = nil) throws {
        process = Process()
        process.executableURL = ChildRun.executable
        process.arguments = arguments
        if let log {
            if !FileManager.default.fileExists(atPath: log.path) {
                FileManager.default.createFile(atPath: log.path, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        do { try process.run() } catch {
            throw CLIError.failed("cannot start \(ChildRun.executable.path): \(error)")
        }
    }

    /// The path of the running `cairn` executable.
    static var executable: URL {
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        return URL(fileURLWithPath: link ?? CommandLine.arguments[0])
    }

    /// Sends `signal` (e.g. SIGKILL) to the child.
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the child to end; returns its exit status (128 + signal when a signal ended it).
    @discardableResult
    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Polls every 2 ms until `ready` holds (true) or the child ends first (false).
    func wait(until ready: () -> Bool) -> Bool {
        while process.isRunning {
            if ready() { return true }
            usleep(2_000)
        }
        return ready()
    }

    /// The last optimizer step recorded in a run's `logs/metrics.jsonl` (0 before the first).
    static func loggedStep(_ runDirectory: URL) -> Int {
        guard let text = try? String(contentsOf: runDirectory.appendingPathComponent("logs/metrics.jsonl"), encoding: .utf8)
        else { return 0 }
        for line in text.split(separator: "\n").reversed() where line.hasPrefix("{\"kind\":\"train\",\"step\":") {
            let rest = line.dropFirst("{\"kind\":\"train\",\"step\":".count)
            if let n = Int(rest.prefix { $0.isNumber }) { return n }
        }
        return 0
    }
}
