import Foundation
import Crypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// POSIX file operations with the durability steps an atomic checkpoint save needs.
enum FileIO {
    /// Creates `path` (which must not exist), writes `bytes`, optionally fsyncs, and closes.
    static func write(_ bytes: [UInt8], to path: String, fsync: Bool) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CheckpointError.io(path: path, operation: "create", errno: errno) }
        var closed = false
        defer { if !closed { close(fd) } }
        try bytes.withUnsafeBytes { buf in
            var done = 0
            while done < buf.count {
                let r = Glibc.write(fd, buf.baseAddress! + done, min(buf.count - done, 1 << 30))
                if r < 0 {
                    if errno == EINTR { continue }
                    throw CheckpointError.io(path: path, operation: "write", errno: errno)
                }
                done += r
            }
        }
        if fsync, Glibc.fsync(fd) != 0 { throw CheckpointError.io(path: path, operation: "fsync", errno: errno) }
        closed = true
        guard close(fd) == 0 else { throw CheckpointError.io(path: path, operation: "close", errno: errno) }
    }

    /// Flushes a file or directory's metadata and data to disk.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CheckpointError.io(path: path, operation: "open for fsync", errno: errno) }
        defer { close(fd) }
        // Some file systems refuse to fsync directories (EINVAL); nothing more can be done there.
        if Glibc.fsync(fd) != 0 && errno != EINVAL {
            throw CheckpointError.io(path: path, operation: "fsync", errno: errno)
        }
    }

    /// Size and hex SHA-256 of a file, read in 4 MiB chunks.
    static func digest(_ path: String) throws -> (size: Int, sha256: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CheckpointError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var hasher = SHA256()
        let chunk = 4 << 20
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buf.deallocate() }
        var size = 0
        while true {
            let r = Glibc.read(fd, buf.baseAddress!, chunk)
            if r < 0 {
                if errno == EINTR { continue }
                throw CheckpointError.io(path: path, operation: "read", errno: errno)
            }
            if r == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buf[0..<r]))
            size += r
        }
        return (size, hex(hasher.finalize()))
    }

    /// Lowercase hex of a digest.
    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The whole file (for small JSON files).
    static func read(_ path: String) throws -> Data {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.io(path: path, operation: "read", errno: errno == 0 ? ENOENT : errno)
        }
        return d
    }

    /// File kind at `path`: nil when absent.
    static func kind(_ path: String) -> mode_t? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return st.st_mode & S_IFMT
    }

    /// Whether `path` is a directory (not following a final symlink).
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Entry names of a directory, without `.` and `..`, sorted.
    static func list(_ path: String) throws -> [String] {
        guard let d = opendir(path) else { throw CheckpointError.io(path: path, operation: "opendir", errno: errno) }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Creates a directory (not its parents).
    static func makeDirectory(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 else { throw CheckpointError.io(path: path, operation: "mkdir", errno: errno) }
    }

    /// Creates `path` and any missing parents.
    static func makeDirectories(_ path: String) throws {
        if isDirectory(path) { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.io(path: path, operation: "mkdir -p", errno: errno == 0 ? EIO : errno)
        }
    }

    /// Renames; the destination, if a directory, must be empty (POSIX `rename`).
    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else {
            throw CheckpointError.io(path: to, operation: "rename from \(from)", errno: errno)
        }
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// glibc's `renameat2`, looked up at run time (the Swift Glibc module does not declare it).
    private static let renameat2: RenameAt2? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(sym, to: RenameAt2.self)
    }()

    /// Atomically swaps two existing paths (`RENAME_EXCHANGE`); false when the OS or file system
    /// cannot, so the caller falls back to two renames.
    static func exchange(_ a: String, _ b: String) throws -> Bool {
        guard let fn = renameat2 else { return false }
        let renameExchange: UInt32 = 2
        if fn(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0 { return true }
        let e = errno
        if e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == ENOTSUP { return false }
        throw CheckpointError.io(path: b, operation: "exchange with \(a)", errno: e)
    }

    /// Deletes a file or a directory tree; a missing path is not an error.
    static func removeTree(_ path: String) throws {
        guard kind(path) != nil else { return }
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw CheckpointError.io(path: path, operation: "remove", errno: errno == 0 ? EIO : errno)
        }
    }

    /// A random lowercase hex token for temporary names.
    static func randomToken() -> String {
        hex((0..<6).map { _ in UInt8.random(in: 0...255) })
    }
}
