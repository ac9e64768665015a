#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes to an open file descriptor, buffering small pieces (headers) and passing large ones through.
struct FileSink: ByteSink {
    let fd: Int32
    /// Path for error messages.
    let path: String
    private var buffer: [UInt8] = []
    private static let capacity = 1 << 20

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(FileSink.capacity)
    }

    mutating func write(_ b: UnsafeRawBufferPointer) throws {
        if buffer.count + b.count > FileSink.capacity { try flush() }
        if b.count >= FileSink.capacity { try writeAll(b) } else { buffer.append(contentsOf: b) }
    }

    /// Writes out whatever is buffered.
    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ b: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < b.count {
            let n = systemWrite(fd, b.baseAddress! + done, min(b.count - done, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw TorchFileError.io(file: path, operation: "write", errno: errno)
            }
            done += n
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
