import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A validated safetensors file whose tensors are read on demand, zero-copy from a memory map when possible.
///
/// Opening validates the whole header (spec §5, in order) before any tensor is touched. With
/// `mmap: true` the file is mapped read-only and private; tensors whose data offset is aligned for
/// their element size borrow the mapping (read-only storage: mutation copies first), the others are
/// copied. The mapping lives until the file value and every tensor borrowing it are gone.
/// Replacing the file on disk is safe (`Safetensors.write` renames a new file into place), but
/// truncating it in place while mapped makes later reads fault, as with any mapping. With
/// `mmap: false` the file stays open and each tensor is read into fresh private storage when asked
/// for (a file truncated meanwhile gives a typed read error instead of a fault).
public struct SafetensorsFile: @unchecked Sendable {
    /// Where one tensor's bytes are and how to read them.
    public struct TensorInfo: Equatable, Sendable {
        /// The tensor's key in the header.
        public let name: String
        /// Element type.
        public let dtype: DType
        /// Dimensions, outermost first (`[]` for a scalar).
        public let shape: [Int]
        /// The tensor's `data_offsets`: a byte range of the data buffer (not of the file).
        public let byteRange: Range<Int>
    }

    /// The header limit upstream enforces; checked before anything is allocated.
    public static let maxHeaderLength: UInt64 = 100_000_000

    /// The path (or the `source` label) used in error messages.
    public let source: String
    /// The `__metadata__` map; nil when the header has none (or has `null`).
    public let metadata: [String: String]?
    /// Tensor names in data-offset order.
    public let names: [String]
    /// Absolute file offset of the data buffer (8 + header length).
    public let dataOffset: Int

    private let infos: [TensorInfo]
    /// Looked up by UTF-8 bytes: Swift `String` equality is canonical equivalence, but safetensors
    /// names are distinct whenever their code points differ.
    private let index: [[UInt8]: Int]
    private let backing: Backing

    /// Number of tensors.
    public var count: Int { infos.count }

    /// The mapped or loaded file bytes (for tests that check tensors borrow them).
    var fileBytes: UnsafeRawBufferPointer { backing.bytes }
    /// Whether tensors may borrow the file bytes instead of copying them.
    var isMemoryMapped: Bool { backing.isMapped }

    /// Opens and validates `url`. With `mmap` (the default; `safetensors.torch.load_file` maps too)
    /// the tensors borrow a private read-only mapping whose pages fault in on first touch (the
    /// kernel maps 16 at a time; `MADV_POPULATE_READ` up front measured slower); without it
    /// only the header is read now and each tensor is read (`pread`) into its own private, writable
    /// storage when asked for, from the file opened here.
    public init(contentsOf url: URL, mmap: Bool = true) throws {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafetensorsError.io(file: path, operation: "open", errno: errno) }
        var keepOpen = false
        defer { if !keepOpen { close(fd) } }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SafetensorsError.io(file: path, operation: "fstat", errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError.io(file: path, operation: "open (not a regular file)", errno: EINVAL)
        }
        let size = Int(st.st_size)
        // Steps 1-3 from the 8-byte prefix alone, so a hostile length never drives an allocation.
        guard size >= 8 else { throw SafetensorsError.headerTooSmall(file: path, fileSize: size) }
        var prefix: UInt64 = 0
        try withUnsafeMutableBytes(of: &prefix) { try Self.readFully(fd, into: $0, at: 0, file: path) }
        try Self.checkHeaderLength(UInt64(littleEndian: prefix), fileSize: size, file: path)

        let backing: Backing
        if mmap {
            backing = try Backing(mapping: fd, count: size, file: path)
        } else {
            // The header is at most `maxHeaderLength` (checked above); tensor data is read later.
            let headerEnd = 8 + Int(UInt64(littleEndian: prefix))
            let p = UnsafeMutableRawPointer.allocate(byteCount: headerEnd, alignment: 64)
            backing = Backing(descriptor: fd, header: p, headerCount: headerEnd, fileSize: size)
            keepOpen = true
            try Self.readFully(fd, into: UnsafeMutableRawBufferPointer(start: p, count: headerEnd), at: 0, file: path)
        }
        try self.init(backing: backing, source: path)
    }

    /// Validates an in-memory file image; tensors are copied out of it.
    public init(bytes: [UInt8], source: String = "<memory>") throws {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        let backing = Backing(owned: p, count: bytes.count)
        bytes.withUnsafeBytes { if let b = $0.baseAddress, $0.count > 0 { p.copyMemory(from: b, byteCount: $0.count) } }
        try self.init(backing: backing, source: source)
    }

    private init(backing: Backing, source: String) throws {
        let header = try Self.parse(backing.bytes, fileSize: backing.fileSize, file: source)
        self.backing = backing
        self.source = source
        self.metadata = header.metadata
        self.dataOffset = header.dataOffset
        self.infos = header.tensors.map(\.info)
        self.names = infos.map(\.name)
        var index = [[UInt8]: Int](minimumCapacity: infos.count)
        for (i, t) in header.tensors.enumerated() { index[t.key] = i }
        self.index = index
    }

    /// Dtype, shape and data-buffer byte range of `name`; nil when absent.
    public func info(_ name: String) -> TensorInfo? {
        index[Array(name.utf8)].map { infos[$0] }
    }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { index[Array(name.utf8)] != nil }

    /// The tensor called `name`; throws `missingTensor` naming the key and the file when absent.
    public func tensor(_ name: String) throws -> Tensor {
        guard let i = index[Array(name.utf8)] else { throw SafetensorsError.missingTensor(file: source, name: name) }
        return try makeTensor(infos[i])
    }

    /// All tensors in `names` order.
    public func tensors() throws -> [(name: String, tensor: Tensor)] {
        try infos.map { ($0.name, try makeTensor($0)) }
    }

    private func makeTensor(_ info: TensorInfo) throws -> Tensor {
        let n = info.byteRange.count
        let layout = Layout(shape: info.shape)
        if n == 0 { return Tensor(storage: Storage(dtype: info.dtype, count: 0), layout: layout) }
        let start = dataOffset + info.byteRange.lowerBound
        if let fd = backing.descriptor {
            // One kernel copy straight into storage the tensor owns: no file-sized buffer, no second copy.
            let storage = Storage(uninitialized: info.dtype, count: n / info.dtype.byteSize)
            try withExtendedLifetime(backing) {
                try Self.readFully(fd, into: UnsafeMutableRawBufferPointer(start: storage.base, count: n), at: start, file: source)
            }
            if info.dtype == .bool {
                let p = storage.base.assumingMemoryBound(to: UInt8.self)
                for i in 0..<n where p[i] > 1 { p[i] = 1 }
            }
            return Tensor(storage: storage, layout: layout)
        }
        let src = UnsafeRawBufferPointer(rebasing: backing.bytes[start..<(start + n)])
        // Readers must treat any non-zero BOOL byte as true; normalising keeps `Tensor` bools 0/1.
        let needsNormalising = info.dtype == .bool && src.contains { $0 > 1 }
        if backing.isMapped && !needsNormalising && start % info.dtype.byteSize == 0 {
            let region = backing
            let storage = Storage(borrowing: UnsafeMutableRawPointer(mutating: src.baseAddress!), byteCount: n,
                                  dtype: info.dtype, readOnly: true,
                                  release: { withExtendedLifetime(region) {} })
            return Tensor(storage: storage, layout: layout)
        }
        let storage = Storage(dtype: info.dtype, bytes: src)
        if needsNormalising {
            let p = storage.base.assumingMemoryBound(to: UInt8.self)
            for i in 0..<n where p[i] > 1 { p[i] = 1 }
        }
        return Tensor(storage: storage, layout: layout)
    }
}

// MARK: - Validation (spec §5)

extension SafetensorsFile {
    /// One validated header entry plus the raw key bytes it is indexed by.
    fileprivate struct Entry {
        var info: TensorInfo
        var key: [UInt8]
    }

    fileprivate struct Header {
        var metadata: [String: String]?
        var dataOffset: Int
        var tensors: [Entry]
    }

    /// A tensor entry as written in the header, before its dtype is known to be supported.
    private struct RawEntry {
        var key: [UInt8]
        var keyOffset: Int
        var dtype: String
        var bits: UInt64
        var shape: [UInt64]
        var begin: UInt64
        var end: UInt64
        var position: Int
    }

    /// Bits per element of every dtype spelling upstream 0.8 accepts; the toolkit holds only the
    /// ones `DType` knows and reports the rest as unsupported after the file is validated.
    private static let upstreamDTypeBits: [[UInt8]: UInt64] = {
        let table: [(String, UInt64)] = [
            ("BOOL", 8), ("F4", 4), ("F6_E2M3", 6), ("F6_E3M2", 6), ("U8", 8), ("I8", 8),
            ("F8_E5M2", 8), ("F8_E4M3", 8), ("F8_E8M0", 8), ("F8_E4M3FNUZ", 8), ("F8_E5M2FNUZ", 8),
            ("I16", 16), ("U16", 16), ("F16", 16), ("BF16", 16), ("I32", 32), ("U32", 32), ("F32", 32),
            ("C64", 64), ("F64", 64), ("I64", 64), ("U64", 64),
        ]
        return Dictionary(uniqueKeysWithValues: table.map { (Array($0.0.utf8), $0.1) })
    }()

    /// The toolkit dtype for a spelling, compared byte-wise.
    private static func supportedDType(_ spelling: [UInt8]) -> DType? {
        DType.allCases.first { Array($0.safetensorsName.utf8) == spelling }
    }

    static func checkHeaderLength(_ n: UInt64, fileSize: Int, file: String) throws {
        guard n <= maxHeaderLength else {
            throw SafetensorsError.headerTooLarge(file: file, headerLength: n, limit: maxHeaderLength)
        }
        let (end, overflow) = UInt64(8).addingReportingOverflow(n)
        guard !overflow, end <= UInt64(fileSize) else {
            throw SafetensorsError.invalidHeaderLength(file: file, headerLength: n, fileSize: fileSize)
        }
    }

    /// Runs every check of spec §5 in order over a whole file image.
    /// `file` holds at least the prefix and the header; `fileSize` is the whole file's length.
    fileprivate static func parse(_ file: UnsafeRawBufferPointer, fileSize size: Int, file path: String) throws -> Header {
        guard size >= 8 else { throw SafetensorsError.headerTooSmall(file: path, fileSize: size) }
        let n = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        try checkHeaderLength(n, fileSize: size, file: path)
        let headerLength = Int(n)
        let dataOffset = 8 + headerLength
        let header = UnsafeBufferPointer(start: file.baseAddress!.assumingMemoryBound(to: UInt8.self) + 8,
                                         count: headerLength)

        if let bad = JSONScanner.firstInvalidUTF8(header) {
            throw SafetensorsError.invalidUTF8(file: path, offset: 8 + bad)
        }
        do {
            try JSONScanner.validateDocument(header)
        } catch let f as JSONScanner.Failure {
            throw SafetensorsError.invalidJSON(file: path, offset: 8 + f.offset, reason: f.reason)
        }
        var scanner = JSONScanner(header)
        scanner.skipWhitespace()
        guard scanner.peekKind() == .object else {
            throw SafetensorsError.invalidJSON(file: path, offset: 8 + scanner.position,
                                               reason: "the header must be a JSON object")
        }

        // Step 6: every member well-formed. Syntax is already known good, so scanner failures here
        // can only be type errors, reported per member below.
        var raw: [RawEntry] = []
        var metadataEntries: [(key: [UInt8], value: [UInt8], offset: Int)]? = nil
        var keys: [(key: [UInt8], offset: Int)] = []
        let metadataKey = Array("__metadata__".utf8)
        do {
            try scanner.forEachMember { s, key, keyOffset in
                keys.append((key, keyOffset))
                if key == metadataKey {
                    metadataEntries = try parseMetadata(&s, keyOffset: keyOffset, file: path)
                } else {
                    raw.append(try parseTensorInfo(&s, key: key, keyOffset: keyOffset, file: path))
                }
            }
        } catch let f as JSONScanner.Failure {
            throw SafetensorsError.invalidJSON(file: path, offset: 8 + f.offset, reason: f.reason)
        }

        // Step 7: duplicate keys, top level then inside the metadata map.
        var seen = Set<[UInt8]>(minimumCapacity: keys.count)
        for k in keys where !seen.insert(k.key).inserted {
            throw SafetensorsError.duplicateKey(file: path, key: string(k.key), offset: 8 + k.offset)
        }
        var metadata: [String: String]? = nil
        if let entries = metadataEntries {
            var m = [String: String](minimumCapacity: entries.count)
            for e in entries {
                // Swift keys compare by canonical equivalence, so this also rejects two spellings of
                // one key that a `[String: String]` could not hold apart.
                guard m.updateValue(string(e.value), forKey: string(e.key)) == nil else {
                    throw SafetensorsError.duplicateKey(file: path, key: string(e.key), offset: 8 + e.offset)
                }
            }
            metadata = m
        }

        // Step 8: contiguous, non-overlapping ranges starting at 0. Ties keep header order.
        let order = raw.indices.sorted {
            (raw[$0].begin, raw[$0].end, $0) < (raw[$1].begin, raw[$1].end, $1)
        }
        let dataBase = UInt64(dataOffset)
        func fileOffset(_ x: UInt64) -> Int {
            let (s, o) = dataBase.addingReportingOverflow(x)
            return o || s > UInt64(Int.max) ? Int.max : Int(s)
        }
        var expected: UInt64 = 0
        for i in order {
            let e = raw[i]
            guard e.begin == expected, e.end >= e.begin else {
                throw SafetensorsError.invalidOffset(file: path, tensor: string(e.key), begin: e.begin, end: e.end,
                                                     expected: expected, offset: fileOffset(e.begin))
            }
            expected = e.end
        }

        // Step 9: each range holds exactly product(shape) elements.
        for i in order {
            let e = raw[i]
            let found = e.end - e.begin
            var want: UInt64? = 1
            for d in e.shape {
                guard let w = want else { break }
                let (p, o) = w.multipliedReportingOverflow(by: d)
                want = o ? nil : p
            }
            if let w = want {
                let (bits, o) = w.multipliedReportingOverflow(by: e.bits)
                want = o || bits % 8 != 0 ? nil : bits / 8
            }
            guard want == found else {
                throw SafetensorsError.sizeMismatch(file: path, tensor: string(e.key), dtype: e.dtype, shape: e.shape,
                                                    expectedBytes: want, foundBytes: found, offset: fileOffset(e.begin))
            }
        }

        // Step 10: the ranges cover the data buffer exactly.
        let bufferSize = UInt64(size - dataOffset)
        guard expected == bufferSize else {
            throw SafetensorsError.bufferNotCovered(file: path, covered: expected, bufferSize: bufferSize,
                                                    offset: fileOffset(min(expected, bufferSize)))
        }

        // Valid upstream, but the toolkit must be able to hold every tensor.
        var tensors: [Entry] = []
        tensors.reserveCapacity(raw.count)
        for i in order {
            let e = raw[i]
            guard let dtype = supportedDType(Array(e.dtype.utf8)) else {
                throw SafetensorsError.unsupportedDType(file: path, tensor: string(e.key), dtype: e.dtype)
            }
            // Every bound below follows from steps 8-10: ranges lie inside a buffer of `Int` size,
            // and a non-empty tensor's element count is at most its byte count.
            let info = TensorInfo(name: string(e.key), dtype: dtype, shape: e.shape.map { Int($0) },
                                  byteRange: Int(e.begin)..<Int(e.end))
            tensors.append(Entry(info: info, key: e.key))
        }
        return Header(metadata: metadata, dataOffset: dataOffset, tensors: tensors)
    }

    private static func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// `__metadata__`: null, or an object whose values are all strings.
    private static func parseMetadata(_ s: inout JSONScanner, keyOffset: Int,
                                      file: String) throws -> [(key: [UInt8], value: [UInt8], offset: Int)]? {
        if try s.consumeNull() { return nil }
        guard s.peekKind() == .object else {
            throw SafetensorsError.invalidMetadata(file: file, key: "__metadata__", offset: 8 + s.position,
                                                   reason: "expected an object of strings or null, found \(kindName(s))")
        }
        var entries: [(key: [UInt8], value: [UInt8], offset: Int)] = []
        try s.forEachMember { s, key, offset in
            guard s.peekKind() == .string else {
                throw SafetensorsError.invalidMetadata(file: file, key: string(key), offset: 8 + s.position,
                                                       reason: "value must be a string, found \(kindName(s))")
            }
            entries.append((key, try s.readString(), offset))
        }
        return entries
    }

    /// One tensor-info object: `dtype`, `shape` and `data_offsets` required, other members ignored.
    private static func parseTensorInfo(_ s: inout JSONScanner, key: [UInt8], keyOffset: Int,
                                        file: String) throws -> RawEntry {
        let name = string(key)
        func fail(_ at: Int, _ reason: String) -> SafetensorsError {
            .invalidTensorInfo(file: file, tensor: name, offset: 8 + at, reason: reason)
        }
        guard s.peekKind() == .object else {
            throw fail(s.position, "expected a tensor-info object, found \(kindName(s))")
        }
        var dtype: (String, UInt64)?, shape: [UInt64]?, offsets: [UInt64]?
        var seen = Set<[UInt8]>()
        let objectOffset = s.position
        try s.forEachMember { s, member, memberOffset in
            guard seen.insert(member).inserted else {
                throw fail(memberOffset, "duplicate field \(string(member).debugDescription)")
            }
            if member == Array("dtype".utf8) {
                guard s.peekKind() == .string else { throw fail(s.position, "dtype must be a string, found \(kindName(s))") }
                let at = s.position
                let spelling = try s.readString()
                guard let bits = upstreamDTypeBits[spelling] else {
                    throw SafetensorsError.unknownDType(file: file, tensor: name, dtype: string(spelling), offset: 8 + at)
                }
                dtype = (string(spelling), bits)
            } else if member == Array("shape".utf8) {
                let dims = try readIntegers(&s, field: "shape", fail: fail)
                if let big = dims.first(where: { $0 > UInt64(Int.max) }) {
                    throw fail(memberOffset, "dimension \(big) is too large")
                }
                shape = dims
            } else if member == Array("data_offsets".utf8) {
                let at = s.position
                let v = try readIntegers(&s, field: "data_offsets", fail: fail)
                guard v.count == 2 else { throw fail(at, "data_offsets must hold exactly 2 integers, found \(v.count)") }
                offsets = v
            } else {
                try s.skipValue(depth: 2)
            }
        }
        guard let dtype else { throw fail(objectOffset, "missing field \"dtype\"") }
        guard let shape else { throw fail(objectOffset, "missing field \"shape\"") }
        guard let offsets else { throw fail(objectOffset, "missing field \"data_offsets\"") }
        return RawEntry(key: key, keyOffset: keyOffset, dtype: dtype.0, bits: dtype.1, shape: shape,
                        begin: offsets[0], end: offsets[1], position: objectOffset)
    }

    private static func readIntegers(_ s: inout JSONScanner, field: String,
                                     fail: (Int, String) -> SafetensorsError) throws -> [UInt64] {
        guard s.peekKind() == .array else { throw fail(s.position, "\(field) must be an array, found \(kindName(s))") }
        var out: [UInt64] = []
        try s.forEachElement { s in
            let at = s.position
            guard s.peekKind() == .number else {
                throw fail(at, "\(field) must hold non-negative integers, found \(kindName(s))")
            }
            switch try s.readInteger() {
            case .unsigned(let v): out.append(v)
            case .notUnsigned(let text): throw fail(at, "\(field) must hold non-negative integers, found \(text)")
            case .tooLarge(let text): throw fail(at, "\(field) value \(text) does not fit in 64 bits")
            }
        }
        return out
    }

    private static func kindName(_ s: JSONScanner) -> String {
        switch s.peekKind() {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        case nil: return "nothing"
        }
    }

    /// Reads exactly `buffer.count` bytes at `offset`, retrying short reads and interrupts.
    fileprivate static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int,
                                      file: String) throws {
        var done = 0
        while done < buffer.count {
            let r = pread(fd, buffer.baseAddress! + done, min(buffer.count - done, 1 << 30), off_t(offset + done))
            if r < 0 {
                if errno == EINTR { continue }
                throw SafetensorsError.io(file: file, operation: "read", errno: errno)
            }
            if r == 0 { throw SafetensorsError.io(file: file, operation: "read (file shrank while reading)", errno: EIO) }
            done += r
        }
    }
}

/// Where tensor bytes come from: a private read-only mapping or a heap copy of the whole file
/// (tensors borrow or copy them), or an open descriptor plus the header (tensors are read on demand).
/// Released with the last user.
private final class Backing: @unchecked Sendable {
    /// The whole file, or only its prefix and header when reading through `descriptor`.
    let bytes: UnsafeRawBufferPointer
    let isMapped: Bool
    /// Length of the file on disk.
    let fileSize: Int
    /// Open for `pread` of tensor data; nil when `bytes` holds the whole file.
    let descriptor: Int32?

    /// Maps `count` bytes of `fd` private and read-only.
    init(mapping fd: Int32, count: Int, file: String) throws {
        guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0),
              p != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw SafetensorsError.io(file: file, operation: "mmap", errno: errno)
        }
        bytes = UnsafeRawBufferPointer(start: p, count: count)
        isMapped = true
        fileSize = count
        descriptor = nil
    }

    init(owned base: UnsafeMutableRawPointer, count: Int) {
        bytes = UnsafeRawBufferPointer(start: base, count: count)
        isMapped = false
        fileSize = count
        descriptor = nil
    }

    /// Takes ownership of `fd` and of the `headerCount` bytes at `header`.
    init(descriptor fd: Int32, header: UnsafeMutableRawPointer, headerCount: Int, fileSize: Int) {
        bytes = UnsafeRawBufferPointer(start: header, count: headerCount)
        isMapped = false
        self.fileSize = fileSize
        descriptor = fd
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress!), bytes.count)
        } else {
            bytes.baseAddress!.deallocate()
        }
        if let descriptor { close(descriptor) }
    }
}
