import CZlib
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the records of a zip archive held in memory (a mapping or a buffer), validating every
/// size and offset against the file before using it (spec §3.4).
///
/// Nothing is allocated from a declared size before it has been checked: entry counts against the
/// central directory's length, record ranges against the file, and inflated sizes against what
/// deflate can produce from the compressed bytes. Records are stored (method 0) or deflated
/// (method 8, inflated never past the declared size); CRC-32 is checked on every read, stored
/// records included (torch skips that check on load; a fused copy-and-checksum keeps it cheap).
struct ZipReader {
    /// One central-directory entry, with sizes and offsets already bounds-checked.
    struct Entry: Sendable {
        /// Full record name (`prefix/data.pkl`).
        let name: String
        /// Offset of the central-directory entry (for messages).
        let centralOffset: Int
        /// Offset of the local header.
        let headerOffset: Int
        /// Offset of the record's (compressed) data.
        let dataOffset: Int
        /// Bytes stored in the file.
        let compressedSize: Int
        /// Bytes after decompression.
        let uncompressedSize: Int
        /// CRC-32 from the central directory.
        let crc: UInt32
        /// Compression method: 0 stored, 8 deflate.
        let method: UInt16
    }

    /// Largest inflate ratio deflate can reach (258-byte matches from 2 bits), plus slack for tiny streams.
    static let maxDeflateRatio = 1032
    static let deflateSlack = 1024

    /// The file name used in errors.
    let file: String
    /// The whole archive.
    let bytes: UnsafeRawBufferPointer
    /// Entries in central-directory order.
    let entries: [Entry]
    private let index: [String: Int]

    /// The open file `bytes` maps, if any: stored records are then copied out with `pread`.
    let descriptor: Int32?

    /// Parses the central directory of `bytes`; throws naming `file` and the offending offset.
    /// `descriptor` is the open file `bytes` maps, when there is one.
    init(bytes: UnsafeRawBufferPointer, file: String, descriptor: Int32? = nil) throws {
        self.file = file
        self.bytes = bytes
        self.descriptor = descriptor
        let size = bytes.count
        func u16(_ o: Int) -> Int { Int(bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian) }
        func u32(_ o: Int) -> UInt32 { bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian }
        func u64(_ o: Int) -> UInt64 { bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian }
        func need(_ structure: String, _ offset: Int, _ count: Int) throws {
            if offset < 0 || count < 0 || offset > size || size - offset < count {
                throw TorchFileError.truncated(file: file, structure: structure, offset: offset, needed: count, fileSize: size)
            }
        }
        func toInt(_ v: UInt64, _ what: String, at offset: Int) throws -> Int {
            guard v <= UInt64(Int.max) else {
                throw TorchFileError.invalidZip(file: file, offset: offset, reason: "\(what) \(v) is too large")
            }
            return Int(v)
        }

        // 1. End of central directory: the last signature that leaves room for its comment.
        var eocd = -1
        var p = size - 4
        let lowest = max(0, size - 22 - 65535)
        while p >= lowest {
            if u32(p) == 0x0605_4b50 { eocd = p; break }
            p -= 1
        }
        guard eocd >= 0 else {
            throw TorchFileError.notAZipArchive(file: file,
                reason: "no end-of-central-directory record (the file is truncated or is not a zip archive)")
        }
        try need("end-of-central-directory record", eocd, 22)
        let commentLength = u16(eocd + 20)
        try need("end-of-central-directory comment", eocd + 22, commentLength)
        var count = u16(eocd + 10)
        var cdSize = UInt64(u32(eocd + 12))
        var cdOffset = UInt64(u32(eocd + 16))
        guard u16(eocd + 4) == 0 || u16(eocd + 4) == 0xFFFF, u16(eocd + 6) == 0 || u16(eocd + 6) == 0xFFFF else {
            throw TorchFileError.invalidZip(file: file, offset: eocd, reason: "multi-disk archives are not supported")
        }
        var directoryEnd = eocd

        // 2. Zip64 locator right before it → zip64 end record with the full-width fields.
        if eocd >= 20, u32(eocd - 20) == 0x0706_4b50 {
            let locator = eocd - 20
            let z = try toInt(u64(locator + 8), "zip64 end record offset", at: locator)
            try need("zip64 end-of-central-directory record", z, 56)
            guard u32(z) == 0x0606_4b50 else {
                throw TorchFileError.invalidZip(file: file, offset: z, reason: "zip64 locator does not point at a zip64 end record")
            }
            guard z <= locator - 56 else {
                throw TorchFileError.invalidZip(file: file, offset: z, reason: "zip64 end record overlaps its locator")
            }
            let c64 = u64(z + 24)
            guard c64 <= UInt64(size / 46) else {
                throw TorchFileError.invalidZip(file: file, offset: z, reason: "entry count \(c64) cannot fit in the file")
            }
            // A narrow field that is not saturated must agree with its zip64 copy; a mismatch is corruption.
            for (name, narrow, wide, saturated) in [("entry count", UInt64(count), c64, UInt64(0xFFFF)),
                                                    ("central directory size", cdSize, u64(z + 40), 0xFFFF_FFFF),
                                                    ("central directory offset", cdOffset, u64(z + 48), 0xFFFF_FFFF)]
            where narrow != saturated && narrow != wide {
                throw TorchFileError.invalidZip(file: file, offset: eocd,
                                                reason: "end record \(name) \(narrow) disagrees with the zip64 end record's \(wide)")
            }
            count = Int(c64)
            cdSize = u64(z + 40)
            cdOffset = u64(z + 48)
            directoryEnd = z
        } else if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            throw TorchFileError.invalidZip(file: file, offset: eocd, reason: "saturated end-record fields but no zip64 locator")
        }

        // 3. The central directory must lie before the end records and hold `count` entries.
        let cdStart = try toInt(cdOffset, "central directory offset", at: eocd)
        let cdLength = try toInt(cdSize, "central directory size", at: eocd)
        guard cdStart <= directoryEnd, cdLength <= directoryEnd - cdStart else {
            throw TorchFileError.truncated(file: file, structure: "central directory", offset: cdStart,
                                           needed: cdLength, fileSize: size)
        }
        guard count <= cdLength / 46 else {
            throw TorchFileError.invalidZip(file: file, offset: cdStart,
                                            reason: "\(count) entries cannot fit in a \(cdLength)-byte central directory")
        }

        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var index: [String: Int] = [:]
        var q = cdStart
        let cdEnd = cdStart + cdLength
        for _ in 0..<count {
            guard q <= cdEnd - 46 else {
                throw TorchFileError.truncated(file: file, structure: "central directory entry", offset: q, needed: 46, fileSize: size)
            }
            guard u32(q) == 0x0201_4b50 else {
                throw TorchFileError.invalidZip(file: file, offset: q, reason: "bad central directory entry signature")
            }
            let flags = u16(q + 8), method = UInt16(u16(q + 10))
            let crc = u32(q + 16)
            var csize = UInt64(u32(q + 20)), usize = UInt64(u32(q + 24))
            let nameLength = u16(q + 28), extraLength = u16(q + 30), commentLen = u16(q + 32)
            var headerOffset = UInt64(u32(q + 42))
            let entryLength = 46 + nameLength + extraLength + commentLen
            guard entryLength <= cdEnd - q else {
                throw TorchFileError.truncated(file: file, structure: "central directory entry", offset: q,
                                               needed: entryLength, fileSize: size)
            }
            let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[(q + 46)..<(q + 46 + nameLength)])
            guard let name = String(validating: nameBytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
                throw TorchFileError.unsafeRecordName(file: file, name: String(decoding: nameBytes, as: UTF8.self), offset: q)
            }
            guard ZipReader.isSafe(name) else { throw TorchFileError.unsafeRecordName(file: file, name: name, offset: q) }
            guard index[name] == nil else { throw TorchFileError.duplicateRecord(file: file, name: name, offset: q) }

            // Zip64 extra: the saturated fields, in the order uncompressed, compressed, offset.
            var e = q + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = u16(e), len = u16(e + 2)
                guard e + 4 + len <= extraEnd else {
                    throw TorchFileError.invalidZip(file: file, offset: e, reason: "extra field block runs past its entry")
                }
                if id == 1 {
                    var f = e + 4
                    func next() throws -> UInt64 {
                        guard f + 8 <= e + 4 + len else {
                            throw TorchFileError.invalidZip(file: file, offset: e, reason: "zip64 extra field is too short for '\(name)'")
                        }
                        defer { f += 8 }
                        return u64(f)
                    }
                    if usize == 0xFFFF_FFFF { usize = try next() }
                    if csize == 0xFFFF_FFFF { csize = try next() }
                    if headerOffset == 0xFFFF_FFFF { headerOffset = try next() }
                }
                e += 4 + len
            }
            if flags & 1 != 0 { throw TorchFileError.encryptedRecord(file: file, record: name) }
            guard method == 0 || method == 8 else {
                throw TorchFileError.unsupportedCompression(file: file, record: name, method: Int(method))
            }

            // Local header: its own name and extra lengths decide where the data starts.
            let ho = try toInt(headerOffset, "local header offset of '\(name)'", at: q)
            try need("local file header of '\(name)'", ho, 30)
            guard u32(ho) == 0x0403_4b50 else {
                throw TorchFileError.invalidZip(file: file, offset: ho, reason: "bad local header signature for '\(name)'")
            }
            let localName = u16(ho + 26), localExtra = u16(ho + 28)
            try need("local file header of '\(name)'", ho, 30 + localName + localExtra)
            guard localName == nameLength,
                  UnsafeRawBufferPointer(rebasing: bytes[(ho + 30)..<(ho + 30 + localName)]).elementsEqual(nameBytes) else {
                throw TorchFileError.invalidZip(file: file, offset: ho, reason: "local header name differs from the central directory's '\(name)'")
            }
            let dataOffset = ho + 30 + localName + localExtra
            guard csize <= UInt64(size - dataOffset) else {
                throw TorchFileError.recordOutOfBounds(file: file, record: name, offset: dataOffset, length: csize, fileSize: size)
            }
            let compressed = Int(csize)
            let uncompressed: Int
            if method == 0 {
                guard usize == csize else {
                    throw TorchFileError.invalidZip(file: file, offset: q,
                        reason: "stored record '\(name)' has compressed size \(csize) but uncompressed size \(usize)")
                }
                uncompressed = compressed
            } else {
                let bound = UInt64(compressed) * UInt64(ZipReader.maxDeflateRatio) + UInt64(ZipReader.deflateSlack)
                guard usize <= bound else {
                    throw TorchFileError.implausibleSize(file: file, record: name, declared: usize,
                        reason: "\(csize) deflated bytes cannot inflate to more than \(bound)")
                }
                uncompressed = Int(usize)
            }
            index[name] = entries.count
            entries.append(Entry(name: name, centralOffset: q, headerOffset: ho, dataOffset: dataOffset,
                                 compressedSize: compressed, uncompressedSize: uncompressed, crc: crc, method: method))
            q += entryLength
        }
        self.entries = entries
        self.index = index
    }

    /// Whether a record name stays inside the archive: relative, no `..` component, no `\` or NUL.
    static func isSafe(_ name: String) -> Bool {
        if name.isEmpty || name.hasPrefix("/") || name.contains("\\") || name.contains("\0") { return false }
        return !name.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." }
    }

    /// The entry called `name`, if present.
    func entry(named name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Calls `body` with the record's uncompressed bytes after checking its CRC-32.
    func withContents<R>(of entry: Entry, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if entry.method == 0 {
            let data = UnsafeRawBufferPointer(rebasing: bytes[entry.dataOffset..<(entry.dataOffset + entry.compressedSize)])
            try checkCRC(data, entry)
            return try body(data)
        }
        let out = try inflate(entry)
        return try out.withUnsafeBytes { data in
            try checkCRC(data, entry)
            return try body(data)
        }
    }

    /// Copies a stored record's bytes to `destination` (exactly `uncompressedSize` bytes), checking
    /// its CRC-32 on the way; deflated records are inflated and checked as `withContents` does.
    ///
    /// The copy and the checksum run chunk by chunk, so each chunk is checksummed while it is still
    /// in cache: the record's bytes cross the memory bus once instead of twice. With a descriptor the
    /// chunks are `pread` from the page cache (no faults on the mapping); large records are split in
    /// two halves done on two threads, their CRCs joined with `crc32_combine`.
    func copyContents(of entry: Entry, to destination: UnsafeMutableRawPointer) throws {
        guard entry.method == 0 else {
            try withContents(of: entry) { data in
                if let src = data.baseAddress, data.count > 0 { destination.copyMemory(from: src, byteCount: data.count) }
            }
            return
        }
        let total = entry.compressedSize
        let parts = total >= ZipReader.parallelThreshold ? 2 : 1
        // Each thread writes only its own slot.
        let crcs = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: parts)
        let errnos = UnsafeMutableBufferPointer<Int32>.allocate(capacity: parts)
        defer { crcs.deallocate(); errnos.deallocate() }
        let run = { (k: Int) in
            let lo = total / parts * k, hi = k == parts - 1 ? total : total / parts * (k + 1)
            (crcs[k], errnos[k]) = copyChecksummed(entry, lo..<hi, to: destination)
        }
        if parts == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: run) }
        if let e = errnos.first(where: { $0 != 0 }) {
            throw TorchFileError.io(file: file, operation: e == EIO ? "read of '\(entry.name)' (file shrank while reading)"
                                                                     : "read of '\(entry.name)'", errno: e)
        }
        var crc = crcs[0]
        for k in 1..<parts { crc = CRC32.combine(crc, crcs[k], lengthOfSecond: k == parts - 1 ? total - total / parts * k : total / parts) }
        guard crc == entry.crc else {
            throw TorchFileError.crcMismatch(file: file, record: entry.name, expected: entry.crc, found: crc)
        }
    }

    /// Copies `range` of a stored record to the same range of `destination`; its CRC-32, and an errno (0 if fine).
    private func copyChecksummed(_ entry: Entry, _ range: Range<Int>, to destination: UnsafeMutableRawPointer) -> (UInt32, Int32) {
        var crc: UInt32 = 0
        var at = range.lowerBound
        while at < range.upperBound {
            let n = min(range.upperBound - at, ZipReader.chunk)
            let out = destination + at
            if let fd = descriptor {
                var got = 0
                while got < n {
                    let r = pread(fd, out + got, n - got, off_t(entry.dataOffset + at + got))
                    if r < 0 {
                        if errno == EINTR { continue }
                        return (crc, errno)
                    }
                    if r == 0 { return (crc, EIO) }
                    got += r
                }
            } else {
                out.copyMemory(from: bytes.baseAddress! + entry.dataOffset + at, byteCount: n)
            }
            crc = CRC32.checksum(UnsafeRawBufferPointer(start: out, count: n), seed: crc)
            at += n
        }
        return (crc, 0)
    }

    /// Bytes copied and checksummed at a time: well inside a core's L2 cache.
    static let chunk = 128 << 10
    /// Records at least this large are copied by two threads.
    static let parallelThreshold = 2 << 20

    /// The record's bytes as an array.
    func contents(of entry: Entry) throws -> [UInt8] {
        try withContents(of: entry) { Array($0) }
    }

    private func checkCRC(_ data: UnsafeRawBufferPointer, _ entry: Entry) throws {
        let found = CRC32.checksum(data)
        guard found == entry.crc else {
            throw TorchFileError.crcMismatch(file: file, record: entry.name, expected: entry.crc, found: found)
        }
    }

    /// Inflates a raw deflate stream into exactly `uncompressedSize` bytes, never writing past them.
    private func inflate(_ entry: Entry) throws -> [UInt8] {
        let usize = entry.uncompressedSize, csize = entry.compressedSize
        func fail(_ reason: String) -> TorchFileError { .inflateFailed(file: file, record: entry.name, reason: reason) }
        var out = [UInt8](repeating: 0, count: usize)
        var strm = z_stream()
        guard inflateInit2_(&strm, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail("zlib initialization failed")
        }
        defer { inflateEnd(&strm) }
        let input = UnsafeMutableRawPointer(mutating: bytes.baseAddress! + entry.dataOffset).assumingMemoryBound(to: UInt8.self)
        var scratch: UInt8 = 0
        try out.withUnsafeMutableBytes { ob in
            let output = ob.baseAddress?.assumingMemoryBound(to: UInt8.self)
            while true {
                let consumed = Int(strm.total_in), produced = Int(strm.total_out)
                if strm.avail_in == 0 && consumed < csize {
                    strm.next_in = input + consumed
                    strm.avail_in = uInt(min(csize - consumed, 1 << 30))
                }
                if strm.avail_out == 0 {
                    if produced < usize {
                        strm.next_out = output! + produced
                        strm.avail_out = uInt(min(usize - produced, 1 << 30))
                    } else {
                        // One spare byte detects a stream longer than declared without growing the buffer.
                        try withUnsafeMutablePointer(to: &scratch) { s in
                            strm.next_out = s
                            strm.avail_out = 1
                            let rc = CZlib.inflate(&strm, Z_NO_FLUSH)
                            if Int(strm.total_out) > usize { throw fail("data inflates to more than the declared \(usize) bytes") }
                            if rc != Z_STREAM_END {
                                throw fail(rc == Z_BUF_ERROR ? "deflate stream is truncated" : "corrupt deflate stream (zlib error \(rc))")
                            }
                        }
                        return
                    }
                }
                let rc = CZlib.inflate(&strm, Z_NO_FLUSH)
                if rc == Z_STREAM_END { return }
                if rc == Z_BUF_ERROR && strm.avail_in == 0 && Int(strm.total_in) >= csize {
                    throw fail("deflate stream is truncated")
                }
                if rc != Z_OK && rc != Z_BUF_ERROR { throw fail("corrupt deflate stream (zlib error \(rc))") }
            }
        }
        guard Int(strm.total_out) == usize else {
            throw fail("data inflates to \(strm.total_out) bytes, not the declared \(usize)")
        }
        return out
    }
}
