import TensorCore
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
    private static let passThrough = 64 << 10

    /// Whether finished pieces are handed to the disk as they are written (before an fsync).
    let writeback: Bool
    private var written = 0
    private var requests = Writeback()

    /// A sink for `fd`; `writeback` (for files about to be fsynced) starts each 8 MiB's disk write
    /// as soon as it is written (`sync_file_range`), so the fsync at the end has little left to do.
    init(fd: Int32, path: String, writeback: Bool = false) {
        self.fd = fd
        self.path = path
        self.writeback = writeback && Writeback.isAvailable
        buffer.reserveCapacity(FileSink.capacity)
    }

    mutating func write(_ b: UnsafeRawBufferPointer) throws {
        // Pieces this large cost more to copy into the buffer than one extra system call.
        if b.count >= FileSink.passThrough {
            try flush()
            try writeAll(b)
            return
        }
        if buffer.count + b.count > FileSink.capacity { try flush() }
        buffer.append(contentsOf: b)
    }

    /// Writes out whatever is buffered.
    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func writeAll(_ b: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < b.count {
            let n = systemWrite(fd, b.baseAddress! + done, min(b.count - done, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw TorchFileError.io(file: path, operation: "write", errno: errno)
            }
            done += n
            written += n
        }
        if writeback { requests.advance(fd, written: written) }
    }

}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
