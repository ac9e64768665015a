#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped private and read-only, unmapped (and its descriptor closed) when the last
/// reference goes away. The descriptor stays open so large records can be read with `pread`, which
/// copies from the page cache without faulting the mapping in page by page.
final class MappedFile: @unchecked Sendable {
    /// The file's bytes.
    let bytes: UnsafeRawBufferPointer
    /// The open file, read-only.
    let descriptor: Int32
    private let mapped: Bool

    /// Maps `path`; errors name the path and the failing call.
    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TorchFileError.io(file: path, operation: "open", errno: errno) }
        var keepOpen = false
        defer { if !keepOpen { close(fd) } }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TorchFileError.io(file: path, operation: "stat", errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw TorchFileError.io(file: path, operation: "open (not a regular file)", errno: EINVAL) }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            descriptor = fd
            keepOpen = true
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw TorchFileError.io(file: path, operation: "mmap", errno: errno)
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
        mapped = true
        descriptor = fd
        keepOpen = true
    }

    deinit {
        if mapped { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress!), bytes.count) }
        close(descriptor)
    }
}
