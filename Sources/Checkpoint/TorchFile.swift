import Foundation
import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if _endian(big)
#error("torch.save data is written little-endian; the writer copies raw bytes and needs a little-endian host")
#endif

/// Reads and writes PyTorch `torch.save` files (`.pt`/`.pth`: a zip of a protocol-2 pickle and raw
/// storages), safely: loading is weights-only and executes nothing (see `PickleReader`).
///
/// `write`/`serialize` produce what `torch.save` produces for the same object (spec §7, §9): the same
/// records in the same order, 64-byte aligned data, the same pickle bytes. Only
/// `.data/serialization_id` differs, since torch derives it from `std::hash`; pass torch's id to get
/// a byte-identical file. Cairn writes an `OrderedDict` only where the value says `.orderedDict`, and
/// its `attributes` (torch's `_metadata`) only when present: `TorchCheckpointLayout` writes state
/// dicts without `_metadata`, which `load_state_dict` does not need.
public enum TorchFile {
    /// Resource limits for reading untrusted pickles.
    public struct Limits: Sendable {
        /// Deepest container nesting (and MARK nesting).
        public var maxDepth: Int
        /// Most values the pickle may push (bounds the work and memory of a load).
        public var maxObjects: Int
        /// Most distinct memo slots.
        public var maxMemoEntries: Int
        /// Most values on the pickle stack at once.
        public var maxStackDepth: Int
        /// Largest `data.pkl` in bytes: a deflated one is inflated into memory before parsing, so
        /// this bounds what a zip bomb in its place can allocate (real pickles are a few MB).
        public var maxPickleBytes: Int

        /// Limits; the defaults fit any real checkpoint.
        public init(maxDepth: Int = 1000, maxObjects: Int = 10_000_000, maxMemoEntries: Int = 1_000_000,
                    maxStackDepth: Int = 1_000_000, maxPickleBytes: Int = 1 << 28) {
            self.maxDepth = maxDepth
            self.maxObjects = maxObjects
            self.maxMemoEntries = maxMemoEntries
            self.maxStackDepth = maxStackDepth
            self.maxPickleBytes = maxPickleBytes
        }

        /// The default limits.
        public static let `default` = Limits()
    }

    static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]

    // MARK: - Reading

    /// Loads a `torch.save` file weights-only; storages saved from any device load onto `device`.
    public static func read(contentsOf url: URL, device: Device = .cpu, limits: Limits = .default) throws -> CheckpointValue {
        let file = try MappedFile(path: url.path)
        return try withExtendedLifetime(file) {
            try decode(file.bytes, file: url.path, device: device, limits: limits, descriptor: file.descriptor)
        }
    }

    /// Loads a `torch.save` image held in memory; `source` names it in errors.
    public static func deserialize(_ bytes: [UInt8], source: String = "<memory>", device: Device = .cpu,
                                   limits: Limits = .default) throws -> CheckpointValue {
        try bytes.withUnsafeBytes { try decode($0, file: source, device: device, limits: limits) }
    }

    /// `descriptor`, when given, is the open file `bytes` maps (large records are read through it).
    static func decode(_ bytes: UnsafeRawBufferPointer, file: String, device: Device, limits: Limits,
                       descriptor: Int32? = nil) throws -> CheckpointValue {
        if bytes.starts(with: legacyMagic) { throw TorchFileError.legacyFormat(file: file) }
        if bytes.starts(with: Array("PYTORCH1".utf8)) { throw TorchFileError.previewFormat(file: file) }
        if bytes.count == 0 { throw TorchFileError.notAZipArchive(file: file, reason: "the file is empty") }
        if bytes[0] == 0x80 && !bytes.starts(with: [0x50, 0x4b]) {
            // A bare pickle stream: what torch < 1.6 (or _use_new_zipfile_serialization=False) writes.
            throw TorchFileError.legacyFormat(file: file)
        }
        let zip = try ZipReader(bytes: bytes, file: file, descriptor: descriptor)
        guard let first = zip.entries.first else { throw TorchFileError.notAZipArchive(file: file, reason: "the archive has no records") }
        guard let slash = first.name.firstIndex(of: "/") else {
            throw TorchFileError.invalidZip(file: file, offset: first.centralOffset,
                                            reason: "first record '\(first.name)' is not inside an archive folder")
        }
        let prefix = String(first.name[..<slash])
        for e in zip.entries {
            guard e.name.hasPrefix(prefix + "/") else {
                throw TorchFileError.recordOutsidePrefix(file: file, record: e.name, prefix: prefix)
            }
            if e.name == prefix + "/constants.pkl" || e.name.hasPrefix(prefix + "/code/") {
                throw TorchFileError.torchScriptArchive(file: file, record: e.name)
            }
        }
        guard let pickle = zip.entry(named: prefix + "/data.pkl") else {
            throw TorchFileError.missingRecord(file: file, record: prefix + "/data.pkl")
        }
        guard pickle.uncompressedSize <= limits.maxPickleBytes else {
            throw TorchFileError.implausibleSize(file: file, record: pickle.name, declared: UInt64(pickle.uncompressedSize),
                                                 reason: "a pickle is limited to \(limits.maxPickleBytes) bytes")
        }
        try checkVersion(zip, prefix: prefix)
        let bigEndian = try readByteOrder(zip, prefix: prefix)

        var cache: [String: Storage] = [:]
        let provider: PickleReader.StorageProvider = { ref, dtype, offset in
            let name = prefix + "/data/" + ref.key
            let cacheKey = ref.key + "\u{0}" + dtype.rawValue
            if let s = cache[cacheKey] { return s }
            guard let entry = zip.entry(named: name) else { throw TorchFileError.missingRecord(file: file, record: name) }
            let unit = ref.dtype == nil ? 1 : dtype.elementSize
            let (expected, overflow) = ref.numel.multipliedReportingOverflow(by: unit)
            guard !overflow, expected == entry.uncompressedSize else {
                throw TorchFileError.storageSizeMismatch(file: file, record: name, expectedBytes: overflow ? nil : expected,
                                                         foundBytes: entry.uncompressedSize, offset: offset)
            }
            let s: Storage
            if let target = dtype.cairnDType, dtype.elementSize == target.byteSize, !(bigEndian && dtype.elementSize > 1) {
                // Same layout in the file and in memory: one checked copy straight into the storage.
                s = Storage(uninitialized: target, count: entry.uncompressedSize / target.byteSize)
                try withExtendedLifetime(s) { try zip.copyContents(of: entry, to: s.base) }
            } else {
                s = try zip.withContents(of: entry) { makeStorage($0, dtype: dtype, bigEndian: bigEndian) }
            }
            cache[cacheKey] = s
            return s
        }
        return try zip.withContents(of: pickle) { data in
            var reader = PickleReader(bytes: data, file: file, record: pickle.name, limits: limits, storageProvider: provider)
            return try reader.read()
        }
    }

    private static func smallRecord(_ zip: ZipReader, _ name: String) throws -> String? {
        guard let e = zip.entry(named: name) else { return nil }
        guard e.uncompressedSize <= 64 else {
            throw TorchFileError.invalidRecord(file: zip.file, record: name, reason: "\(e.uncompressedSize) bytes is too long")
        }
        let b = try zip.contents(of: e)
        guard let s = String(validating: b, as: UTF8.self) else {
            throw TorchFileError.invalidRecord(file: zip.file, record: name, reason: "not valid UTF-8")
        }
        return s
    }

    private static func checkVersion(_ zip: ZipReader, prefix: String) throws {
        var name = prefix + "/.data/version"
        var text = try smallRecord(zip, name)
        if text == nil {
            name = prefix + "/version"
            text = try smallRecord(zip, name)
        }
        guard let text else { throw TorchFileError.missingRecord(file: zip.file, record: prefix + "/version") }
        let digits = text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(digits), (1...10).contains(v) else {
            throw TorchFileError.invalidRecord(file: zip.file, record: name,
                                               reason: "version '\(digits)' is not a supported format version (1…10)")
        }
    }

    private static func readByteOrder(_ zip: ZipReader, prefix: String) throws -> Bool {
        let name = prefix + "/byteorder"
        switch try smallRecord(zip, name) {
        case nil, "little": return false
        case "big": return true
        case let other?:
            throw TorchFileError.invalidRecord(file: zip.file, record: name, reason: "byte order '\(other)' is neither 'little' nor 'big'")
        }
    }

    /// Copies a storage record into Cairn storage: byte-swapped if big-endian, widened for uint16/uint32.
    static func makeStorage(_ raw: UnsafeRawBufferPointer, dtype: TorchDType, bigEndian: Bool) -> Storage {
        let target = dtype.cairnDType!
        let es = dtype.elementSize
        let n = raw.count / es
        let s = Storage(uninitialized: target, count: n)
        switch dtype {
        case .uint16:
            let dst = s.base.assumingMemoryBound(to: Int32.self)
            for i in 0..<n {
                let v = raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
                dst[i] = Int32(bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v))
            }
        case .uint32:
            let dst = s.base.assumingMemoryBound(to: Int64.self)
            for i in 0..<n {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                dst[i] = Int64(bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v))
            }
        default:
            if raw.count > 0 { s.base.copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
            if bigEndian && es > 1 {
                let b = s.base.assumingMemoryBound(to: UInt8.self)
                for i in 0..<n {
                    var element = UnsafeMutableBufferPointer(start: b + i * es, count: es)
                    element.reverse()
                }
            }
        }
        return s
    }

    // MARK: - Writing

    /// The complete file image `torch.save(value, f)` would write for an archive folder `archiveName`
    /// (torch uses the file's base name without extension, `archive` for buffers).
    ///
    /// `serializationID` (40 decimal digits) sets `.data/serialization_id`; by default it is derived
    /// from the records (spec §2.3), so the output is deterministic.
    public static func serialize(_ value: CheckpointValue, archiveName: String = "archive",
                                 serializationID: String? = nil) throws -> [UInt8] {
        var sink = MemorySink()
        try encode(value, archiveName: archiveName, serializationID: serializationID, file: "<memory>", into: &sink)
        return sink.bytes
    }

    /// Writes `value` to `url` as `torch.save` would; the archive folder is the file's base name.
    ///
    /// The bytes go to a temporary file in the same directory, renamed over `url` at the end, so
    /// readers never see a half-written checkpoint; `fsync` makes file and rename durable.
    public static func write(_ value: CheckpointValue, to url: URL, fsync: Bool = true,
                             serializationID: String? = nil) throws {
        let path = url.path
        let dir = url.deletingLastPathComponent().path
        let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TorchFileError.io(file: temp, operation: "create", errno: errno) }
        var closed = false, renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temp) }
        }
        var sink = FileSink(fd: fd, path: temp, writeback: fsync)
        try encode(value, archiveName: archiveName(for: url), serializationID: serializationID, file: path, into: &sink)
        try sink.flush()
        if fsync, systemFsync(fd) != 0 { throw TorchFileError.io(file: temp, operation: "fsync", errno: errno) }
        closed = true
        guard close(fd) == 0 else { throw TorchFileError.io(file: temp, operation: "close", errno: errno) }
        guard rename(temp, path) == 0 else { throw TorchFileError.io(file: path, operation: "rename", errno: errno) }
        renamed = true
        if fsync {
            let d = open(dir.isEmpty ? "." : dir, O_RDONLY | O_CLOEXEC)
            if d >= 0 { _ = systemFsync(d); close(d) }
        }
    }

    /// torch's archive folder for a path: the base name without its last extension (`archive` if empty).
    public static func archiveName(for url: URL) -> String {
        var base = url.lastPathComponent
        if let dot = base.lastIndex(of: ".") { base = String(base[..<dot]) }
        return base.isEmpty || base == "." || !ZipReader.isSafe(base + "/data.pkl") ? "archive" : base
    }

    static func encode<S: ByteSink>(_ value: CheckpointValue, archiveName: String, serializationID: String?,
                                    file: String, into sink: inout S) throws {
        if let id = serializationID, !(id.utf8.count == 40 && id.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }) {
            throw TorchFileError.unsupportedValue(file: file, key: ".data/serialization_id", reason: "'\(id)' is not 40 decimal digits")
        }
        // A folder name our own reader would refuse (`..`, `\`, NUL, `/`) falls back to torch's buffer default.
        let prefix = archiveName != "." && ZipReader.isSafe(archiveName + "/data.pkl") && !archiveName.contains("/")
            ? archiveName : "archive"
        var pickler = PickleWriter(root: value, file: file)
        try pickler.finish(value)
        var zip = ZipWriter(prefix: prefix, sink: sink)
        try zip.add("data.pkl", pickler.out)
        try zip.add(".format_version", Array("1".utf8))
        try zip.add(".storage_alignment", Array("64".utf8))
        try zip.add("byteorder", Array("little".utf8))
        for (i, record) in pickler.storages.enumerated() {
            let s = record.storage
            try withExtendedLifetime(s) {
                try zip.add("data/\(i)", UnsafeRawBufferPointer(start: s.base, count: s.byteCount))
            }
        }
        try zip.add("version", Array("3\n".utf8))
        let id = serializationID ?? defaultSerializationID(zip.records)
        try zip.add(".data/serialization_id", Array(id.utf8))
        try zip.finish()
        sink = zip.sink
    }

    /// Spec §2.3 convention: FNV-1a 64 of the record names (each + NUL), then of the CRCs of non-empty records.
    static func defaultSerializationID(_ records: [ZipRecord]) -> String {
        var names: UInt64 = 0xCBF2_9CE4_8422_2325, crcs: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ h: inout UInt64, _ b: UInt8) { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01B3 }
        for r in records {
            for b in r.name.utf8 { mix(&names, b) }
            mix(&names, 0)
            if r.size > 0 { for k in 0..<4 { mix(&crcs, UInt8(truncatingIfNeeded: r.crc >> (8 * UInt32(k)))) } }
        }
        func pad(_ v: UInt64) -> String { let s = String(v); return String(repeating: "0", count: 20 - s.count) + s }
        return pad(names) + pad(crcs)
    }
}

#if canImport(Glibc)
private let systemFsync = Glibc.fsync
#elseif canImport(Darwin)
private let systemFsync = Darwin.fsync
#endif
