import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if _endian(big)
#error("safetensors data is little-endian; the writer and reader copy raw bytes and need a little-endian host")
#endif

/// Writes safetensors files byte-identical to `safetensors.torch.save_file` 0.8.0 (see `SafetensorsFile` to read).
///
/// Canonical form (spec §4): tensors sorted by dtype rank, descending, then by UTF-8 name; compact
/// JSON with `__metadata__` first (keys sorted, so output is deterministic); the header padded with
/// spaces to a multiple of 8 so every tensor's data is aligned for its element size.
public enum Safetensors {
    /// The complete file image; prefer `write` for large tensors, which streams instead.
    public static func serialize(_ tensors: [(name: String, tensor: Tensor)],
                                 metadata: [String: String]? = nil) throws -> [UInt8] {
        let plan = try Plan(tensors, metadata: metadata, file: "<memory>")
        let total = plan.header.count + plan.dataSize
        return [UInt8](unsafeUninitializedCapacity: total) { buf, initialized in
            plan.header.withUnsafeBufferPointer { h in
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(h))
            }
            var at = plan.header.count
            for item in plan.items {
                item.withBytes { src in
                    UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buf)[at..<(at + src.count)])
                        .copyMemory(from: src)
                    at += src.count
                }
            }
            initialized = total
        }
    }

    /// Dictionary form of `serialize(_:metadata:)`; order in the file is canonical either way.
    public static func serialize(_ tensors: [String: Tensor], metadata: [String: String]? = nil) throws -> [UInt8] {
        try serialize(tensors.map { (name: $0.key, tensor: $0.value) }, metadata: metadata)
    }

    /// Streams the file to `url`: header, then each tensor's bytes straight from its storage.
    ///
    /// The bytes go to a temporary file in the same directory that is renamed over `url` at the
    /// end, so a reader never sees a half-written checkpoint and tensors still memory-mapped from
    /// the old file at `url` stay valid. `fsync` flushes the file and its directory before returning.
    /// `alongside`, when given, receives the file's bytes in order: on a second thread while they
    /// are being written when `concurrently` (a checkpoint hashes them there, so hashing costs no
    /// extra time), else on this thread just before each write (one core, for background saves that
    /// must leave the other to training). Either way it has finished when `write` returns.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]? = nil,
                             to url: URL, fsync: Bool = true, concurrently: Bool = true,
                             alongside: ((UnsafeRawBufferPointer) -> Void)? = nil) throws {
        let path = url.path
        let plan = try Plan(tensors, metadata: metadata, file: path)
        var reader: Thread?
        let finished = DispatchSemaphore(value: 0)
        let inline = concurrently ? nil : alongside
        if concurrently, let alongside {
            reader = Thread {
                plan.header.withUnsafeBytes(alongside)
                for item in plan.items { item.withBytes(alongside) }
                finished.signal()
            }
            reader?.start()
        }
        // Waited for on every exit, error or not: `alongside` must not outlive this call.
        defer { if reader != nil { finished.wait() } }
        let dir = url.deletingLastPathComponent().path
        let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SafetensorsError.io(file: temp, operation: "create", errno: errno) }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temp) }
        }
        var writer = Writer(fd: fd, file: temp, writeback: fsync)
        try plan.header.withUnsafeBytes { inline?($0); try writer.write($0) }
        for item in plan.items {
            try item.withBytes { inline?($0); try writer.write($0) }
        }
        if fsync { try sync(fd, file: temp) }
        closed = true
        guard close(fd) == 0 else { throw SafetensorsError.io(file: temp, operation: "close", errno: errno) }
        guard rename(temp, path) == 0 else { throw SafetensorsError.io(file: path, operation: "rename", errno: errno) }
        renamed = true
        if fsync { syncDirectory(dir) }
    }

    /// Dictionary form of `write(_:metadata:to:fsync:)`.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String]? = nil,
                             to url: URL, fsync: Bool = true) throws {
        try write(tensors.map { (name: $0.key, tensor: $0.value) }, metadata: metadata, to: url, fsync: fsync)
    }

    /// Upstream's dtype rank (higher first in the file): I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL.
    static func rank(_ d: DType) -> Int {
        switch d {
        case .bool: return 0
        case .uint8: return 4
        case .int8: return 5
        case .int16: return 11
        case .float16: return 13
        case .bfloat16: return 14
        case .int32: return 15
        case .float32: return 17
        case .float64: return 19
        case .int64: return 20
        }
    }

    /// Appends `s` as a JSON string the way serde_json escapes it (short escapes, `\u00xx` for
    /// other controls, everything else raw UTF-8).
    static func appendJSONString(_ s: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Writes to a file descriptor in pieces; with `writeback` it asks the kernel to start writing
    /// each finished piece to disk right away (`sync_file_range`), so the final fsync finds most of
    /// the file already on its way instead of starting all the disk I/O at the end.
    struct Writer {
        let fd: Int32
        let file: String
        let writeback: Bool
        private var written = 0
        private var requests = Writeback()

        /// Bytes per `write(2)`.
        static let piece = Writeback.piece

        init(fd: Int32, file: String, writeback: Bool) {
            self.fd = fd
            self.file = file
            self.writeback = writeback && Writeback.isAvailable
        }

        mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < bytes.count {
                let r = Glibc.write(fd, bytes.baseAddress! + done, min(bytes.count - done, Writer.piece))
                if r < 0 {
                    if errno == EINTR { continue }
                    throw SafetensorsError.io(file: file, operation: "write", errno: errno)
                }
                done += r
                written += r
                if writeback { requests.advance(fd, written: written) }
            }
        }

    }

    private static func sync(_ fd: Int32, file: String) throws {
        guard Glibc.fsync(fd) == 0 else { throw SafetensorsError.io(file: file, operation: "fsync", errno: errno) }
    }

    /// Makes the rename durable; best effort, as some file systems refuse to sync directories.
    private static func syncDirectory(_ dir: String) {
        let d = open(dir.isEmpty ? "." : dir, O_RDONLY | O_CLOEXEC)
        guard d >= 0 else { return }
        _ = Glibc.fsync(d)
        close(d)
    }
}

extension Safetensors {
    /// The header bytes and the data in file order, checked and laid out before any byte is written.
    struct Plan {
        /// One tensor's bytes in the data buffer.
        struct Item {
            /// Contiguous (copied if the caller's tensor was a strided view).
            let tensor: Tensor

            /// Calls `body` with the row-major bytes as stored in the file (BOOL normalised to 0/1).
            func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
                let n = tensor.count * tensor.dtype.byteSize
                let src = UnsafeRawBufferPointer(start: tensor.storage.base + tensor.layout.offset * tensor.dtype.byteSize,
                                                 count: n)
                return try withExtendedLifetime(tensor) {
                    if tensor.dtype == .bool && src.contains(where: { $0 > 1 }) {
                        return try src.map { $0 == 0 ? UInt8(0) : 1 }.withUnsafeBytes(body)
                    }
                    return try body(src)
                }
            }
        }

        /// `N` as u64 LE followed by the padded header.
        var header: [UInt8]
        var items: [Item]
        var dataSize: Int

        init(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]?, file: String) throws {
            // Names compare as UTF-8 bytes: that is upstream's sort order and its notion of distinct keys.
            let keyed = tensors.map { (key: Array($0.name.utf8), name: $0.name, tensor: $0.tensor) }
            var seen = Set<[UInt8]>(minimumCapacity: keyed.count)
            let reserved = Array("__metadata__".utf8)
            for t in keyed {
                if t.key == reserved { throw SafetensorsError.reservedName(file: file, name: t.name) }
                if !seen.insert(t.key).inserted { throw SafetensorsError.duplicateName(file: file, name: t.name) }
            }
            let sorted = keyed.sorted {
                let (ra, rb) = (rank($0.tensor.dtype), rank($1.tensor.dtype))
                return ra != rb ? ra > rb : $0.key.lexicographicallyPrecedes($1.key)
            }

            var json: [UInt8] = [UInt8(ascii: "{")]
            json.reserveCapacity(64 + 96 * sorted.count)
            var first = true
            func separator() {
                if !first { json.append(UInt8(ascii: ",")) }
                first = false
            }
            if let metadata {
                separator()
                json.append(contentsOf: Array("\"__metadata__\":{".utf8))
                let entries = metadata.map { (key: Array($0.key.utf8), $0.key, $0.value) }
                    .sorted { $0.key.lexicographicallyPrecedes($1.key) }
                for (i, e) in entries.enumerated() {
                    if i > 0 { json.append(UInt8(ascii: ",")) }
                    appendJSONString(e.1, to: &json)
                    json.append(UInt8(ascii: ":"))
                    appendJSONString(e.2, to: &json)
                }
                json.append(UInt8(ascii: "}"))
            }
            var offset = 0
            var items: [Item] = []
            items.reserveCapacity(sorted.count)
            for t in sorted {
                let c = t.tensor.isContiguous ? t.tensor : t.tensor.contiguousCopy()
                let (n, o1) = c.count.multipliedReportingOverflow(by: c.dtype.byteSize)
                let (end, o2) = offset.addingReportingOverflow(n)
                precondition(!o1 && !o2, "Safetensors.write: tensor \(t.name.debugDescription) overflows the file size")
                separator()
                appendJSONString(t.name, to: &json)
                json.append(contentsOf: Array(":{\"dtype\":\"\(c.dtype.safetensorsName)\",\"shape\":[".utf8))
                json.append(contentsOf: Array(c.shape.map(String.init).joined(separator: ",").utf8))
                json.append(contentsOf: Array("],\"data_offsets\":[\(offset),\(end)]}".utf8))
                items.append(Item(tensor: c))
                offset = end
            }
            json.append(UInt8(ascii: "}"))
            let pad = (8 - json.count % 8) % 8
            json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: pad))

            var header = [UInt8]()
            header.reserveCapacity(8 + json.count)
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { header.append(contentsOf: $0) }
            header.append(contentsOf: json)
            self.header = header
            self.items = items
            self.dataSize = offset
        }
    }
}
