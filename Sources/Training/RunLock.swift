import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a run directory (`<runDir>/.lock`, holding "pid hostname") so two processes
/// never train into the same run.
///
/// `flock` does the locking: the kernel drops it when the holder dies (even by SIGKILL), so a lock
/// file left by a dead process is simply taken over. The pid and host written into the file only
/// name the holder in the error a second process gets.
public final class RunLock {
    /// The lock file.
    public let url: URL
    /// The pid recorded by the previous holder when this lock took over a stale file.
    public private(set) var tookOverFrom: Int32?
    private var fd: Int32

    /// Locks `directory` (created if needed); throws `TrainerError.runLocked` naming the live holder.
    public init(directory: URL) throws {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        url = directory.appendingPathComponent(".lock")
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TrainerError.lockFailed(path: url.path, reason: String(cString: strerror(errno))) }
        let previous = RunLock.readHolder(fd)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let err = errno
            close(fd)
            fd = -1
            if err == EWOULDBLOCK {
                throw TrainerError.runLocked(path: url.path, holderPID: previous?.pid, holderHost: previous?.host)
            }
            throw TrainerError.lockFailed(path: url.path, reason: String(cString: strerror(err)))
        }
        if let p = previous, p.pid != getpid() { tookOverFrom = p.pid }
        let text = "\(getpid()) \(ProcessInfo.processInfo.hostName)\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { release() }

    /// Releases the lock and empties the file (idempotent).
    public func release() {
        guard fd >= 0 else { return }
        // The file stays: unlinking it would let a waiter that opened the old inode and a newcomer
        // that creates a new one both "hold" the lock.
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    /// The "pid host" recorded in an open lock file, if any.
    static func readHolder(_ fd: Int32) -> (pid: Int32, host: String?)? {
        var buf = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &buf, buf.count, 0)
        guard n > 0 else { return nil }
        let parts = String(decoding: buf[0..<n], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 1)
        guard let first = parts.first, let pid = Int32(first) else { return nil }
        return (pid, parts.count > 1 ? String(parts[1]) : nil)
    }
}
