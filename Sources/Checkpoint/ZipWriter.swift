/// Writes a zip archive exactly as PyTorch's `PyTorchFileWriter` does (spec §3): stored records under
/// one folder, each record's data on a 64-byte boundary (an `FB` padding extra block), data
/// descriptors, zip64 fields when a size or offset reaches 4 GiB, and the zip64 trailer always.
struct ZipWriter<Sink: ByteSink> {
    typealias Record = ZipRecord

    /// The archive folder every record lives in.
    let prefix: String
    /// The destination.
    private(set) var sink: Sink
    /// Bytes written so far.
    private(set) var offset: UInt64 = 0
    /// Records in write order.
    private(set) var records: [Record] = []

    /// Bytes checksummed and written at a time: small enough to stay in L2, large enough that the
    /// per-call cost of `write(2)` vanishes.
    static var chunk: Int { 256 << 10 }

    /// Data alignment within the file.
    static var alignment: UInt64 { 64 }

    /// A writer whose records go under `prefix/`; `startOffset` is where the sink already stands
    /// (nonzero only when the archive continues an existing stream).
    init(prefix: String, sink: Sink, startOffset: UInt64 = 0) {
        self.prefix = prefix
        self.sink = sink
        self.offset = startOffset
    }

    /// Appends record `name` (without prefix) holding `data`.
    mutating func add(_ name: String, _ data: UnsafeRawBufferPointer) throws {
        let fullName = Array((prefix + "/" + name).utf8)
        let size = UInt64(data.count)
        let headerOffset = offset
        let flags: UInt16 = size > 0 ? 0x0808 : 0x0800
        let bigSize = size >= 0xFFFF_FFFF, bigOffset = headerOffset >= 0xFFFF_FFFF
        var zip64: [UInt8] = []
        if bigSize || bigOffset {
            var body: [UInt8] = []
            if bigSize { body.appendLittleEndian(size); body.appendLittleEndian(UInt64(0)) }
            if bigOffset { body.appendLittleEndian(headerOffset) }
            zip64.appendLittleEndian(UInt16(1)); zip64.appendLittleEndian(UInt16(body.count)); zip64 += body
        }
        let start = headerOffset + 30 + UInt64(fullName.count) + UInt64(zip64.count) + 4
        let pad = Int((ZipWriter.alignment - start % ZipWriter.alignment) % ZipWriter.alignment)
        var header: [UInt8] = []
        header.reserveCapacity(30 + fullName.count + zip64.count + 4 + pad)
        header.appendLittleEndian(UInt32(0x0403_4b50))
        header.appendLittleEndian(UInt16(0)); header.appendLittleEndian(flags); header.appendLittleEndian(UInt16(0))   // version, flags, method
        header.appendLittleEndian(UInt32(0))                                             // time, date
        header.appendLittleEndian(UInt32(0)); header.appendLittleEndian(UInt32(0)); header.appendLittleEndian(UInt32(0)) // crc and sizes deferred
        header.appendLittleEndian(UInt16(fullName.count)); header.appendLittleEndian(UInt16(zip64.count + 4 + pad))
        header += fullName
        header += zip64
        header += [0x46, 0x42]; header.appendLittleEndian(UInt16(pad))
        header += [UInt8](repeating: 0x5a, count: pad)
        try emit(header)

        var crc: UInt32 = 0
        if size > 0 {
            // Checksum each chunk just before handing it to the sink, while it is in cache: the
            // data is read from memory once instead of twice (the CRC goes in the trailing descriptor).
            var done = 0
            while done < data.count {
                let chunk = UnsafeRawBufferPointer(rebasing: data[done..<min(data.count, done + ZipWriter.chunk)])
                crc = CRC32.checksum(chunk, seed: crc)
                try sink.write(chunk)
                done += chunk.count
            }
            offset += size
            var descriptor: [UInt8] = []
            descriptor.appendLittleEndian(UInt32(0x0807_4b50)); descriptor.appendLittleEndian(crc)
            if zip64.isEmpty { descriptor.appendLittleEndian(UInt32(size)); descriptor.appendLittleEndian(UInt32(size)) } else { descriptor.appendLittleEndian(size); descriptor.appendLittleEndian(size) }
            try emit(descriptor)
        }
        records.append(Record(name: name, crc: crc, size: size, headerOffset: headerOffset, flags: flags))
    }

    /// Appends a record from an array.
    mutating func add(_ name: String, _ data: [UInt8]) throws {
        try data.withUnsafeBytes { try add(name, $0) }
    }

    /// Writes the central directory and the zip64 and classic end records.
    mutating func finish() throws {
        let cdOffset = offset
        for r in records {
            let fullName = Array((prefix + "/" + r.name).utf8)
            let bigSize = r.size >= 0xFFFF_FFFF, bigOffset = r.headerOffset >= 0xFFFF_FFFF
            var extra: [UInt8] = []
            if bigSize || bigOffset {
                var body: [UInt8] = []
                if bigSize { body.appendLittleEndian(r.size); body.appendLittleEndian(r.size) }
                if bigOffset { body.appendLittleEndian(r.headerOffset) }
                extra.appendLittleEndian(UInt16(1)); extra.appendLittleEndian(UInt16(body.count)); extra += body
            }
            var e: [UInt8] = []
            e.appendLittleEndian(UInt32(0x0201_4b50))
            e.appendLittleEndian(UInt16(0)); e.appendLittleEndian(UInt16(0)); e.appendLittleEndian(r.flags); e.appendLittleEndian(UInt16(0))   // made by, needed, flags, method
            e.appendLittleEndian(UInt32(0))                                                     // time, date
            e.appendLittleEndian(r.size > 0 ? r.crc : 0)
            let s32 = bigSize ? UInt32(0xFFFF_FFFF) : UInt32(r.size)
            e.appendLittleEndian(s32); e.appendLittleEndian(s32)
            e.appendLittleEndian(UInt16(fullName.count)); e.appendLittleEndian(UInt16(extra.count)); e.appendLittleEndian(UInt16(0))
            e.appendLittleEndian(UInt16(0)); e.appendLittleEndian(UInt16(0)); e.appendLittleEndian(UInt32(0))                   // disk, internal, external
            e.appendLittleEndian(bigOffset ? UInt32(0xFFFF_FFFF) : UInt32(r.headerOffset))
            e += fullName
            e += extra
            try emit(e)
        }
        let cdSize = offset - cdOffset
        let count = UInt64(records.count)
        let z = offset
        var t: [UInt8] = []
        t.appendLittleEndian(UInt32(0x0606_4b50)); t.appendLittleEndian(UInt64(44)); t.appendLittleEndian(UInt16(0x031E)); t.appendLittleEndian(UInt16(45))
        t.appendLittleEndian(UInt32(0)); t.appendLittleEndian(UInt32(0)); t.appendLittleEndian(count); t.appendLittleEndian(count); t.appendLittleEndian(cdSize); t.appendLittleEndian(cdOffset)
        t.appendLittleEndian(UInt32(0x0706_4b50)); t.appendLittleEndian(UInt32(0)); t.appendLittleEndian(z); t.appendLittleEndian(UInt32(1))
        t.appendLittleEndian(UInt32(0x0605_4b50)); t.appendLittleEndian(UInt16(0)); t.appendLittleEndian(UInt16(0))
        t.appendLittleEndian(UInt16(min(count, 0xFFFF))); t.appendLittleEndian(UInt16(min(count, 0xFFFF)))
        t.appendLittleEndian(UInt32(min(cdSize, 0xFFFF_FFFF))); t.appendLittleEndian(UInt32(min(cdOffset, 0xFFFF_FFFF))); t.appendLittleEndian(UInt16(0))
        try emit(t)
    }

    private mutating func emit(_ b: [UInt8]) throws {
        try sink.write(b)
        offset += UInt64(b.count)
    }
}
