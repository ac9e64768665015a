import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a TensorBoard event file of scalars: TFRecord-framed `Event` protos with `simple_value`
/// summaries, built by hand from the tensorboard-events spec (no protobuf library).
///
/// A new file is created for every writer and never reopened: TensorBoard reads the event files of a
/// run in name order, so `init` picks a name that sorts after every event file already in the
/// directory. The first record is the `file_version` event ("brain.Event:2"), which also stops
/// TensorBoard's Python loader from purging points when steps go backwards.
public final class TensorBoardWriter {
    /// `Event.session_log` statuses (TensorFlow's `SessionLog.SessionStatus`).
    public enum SessionStatus: UInt64, Sendable {
        /// No status.
        case unspecified = 0
        /// A (re)start: TensorBoard's Python loader drops every point at a step ≥ this event's step
        /// when it is not the first START of the run.
        case start = 1
        /// The session stopped.
        case stop = 2
        /// A checkpoint was written.
        case checkpoint = 3
    }

    /// The `file_version` string of the first event.
    public static let fileVersion = "brain.Event:2"
    /// Every toolkit event file name starts with this.
    public static let fileNamePrefix = "events.out.tfevents."

    /// The event file being written.
    public let url: URL
    /// How many records are collected before they reach the file (1: each record at once).
    public let flushEvery: Int
    private let handle: FileHandle
    private var pending = Data()
    private var pendingRecords = 0
    private var closed = false

    /// Creates a new event file in `directory` (created if missing) whose name holds `wallTime`'s
    /// whole seconds and `host`, and writes the `file_version` event stamped `wallTime`.
    public init(directory: URL, host: String = TensorBoardWriter.defaultHost(),
                wallTime: Double = TensorBoardWriter.now(), flushEvery: Int = 1) throws {
        let fm = FileManager.default
        do { try fm.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw TrainerError.io(path: directory.path, reason: "cannot create the TensorBoard directory: \(error)")
        }
        var existing: Set<String>
        do { existing = Set(try fm.contentsOfDirectory(atPath: directory.path)) } catch {
            throw TrainerError.io(path: directory.path, reason: "cannot list the TensorBoard directory: \(error)")
        }
        let seconds = wallTime.isFinite ? Int64(max(0, min(wallTime, 1e15)).rounded(.down)) : 0
        // O_EXCL makes a name taken by a concurrent writer fail instead of being overwritten; then pick again.
        var opened: (URL, Int32)?
        for _ in 0..<16 {
            let name = TensorBoardWriter.uniqueFileName(seconds: seconds, host: host, existing: existing)
            let candidate = directory.appendingPathComponent(name)
            let fd = open(candidate.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 { opened = (candidate, fd); break }
            let err = errno
            guard err == EEXIST else {
                throw TrainerError.io(path: candidate.path, reason: "cannot create the event file: \(String(cString: strerror(err)))")
            }
            existing.insert(name)
        }
        guard let opened else {
            throw TrainerError.io(path: directory.path, reason: "cannot find an unused event file name")
        }
        url = opened.0
        handle = FileHandle(fileDescriptor: opened.1, closeOnDealloc: true)
        self.flushEvery = max(1, flushEvery)
        try append(TensorBoardWriter.event(wallTime: wallTime, step: 0,
                                           field: 3, payload: Data(TensorBoardWriter.fileVersion.utf8)))
        try flush()
    }

    deinit { try? close() }

    /// The current time in seconds since the Unix epoch.
    public static func now() -> Double { Date().timeIntervalSince1970 }

    /// This machine's host name, reduced to characters that are safe in a file name.
    public static func defaultHost() -> String {
        sanitizedHost(ProcessInfo.processInfo.hostName)
    }

    /// `host` with every character other than ASCII letters, digits, `.`, `-` and `_` replaced by `_`
    /// (a `/` would change the directory); "localhost" when empty.
    public static func sanitizedHost(_ host: String) -> String {
        let safe = String(host.unicodeScalars.map { s -> Character in
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "." || s == "-" || s == "_")
                ? Character(s) : "_"
        })
        return safe.isEmpty ? "localhost" : safe
    }

    /// `events.out.tfevents.<seconds, zero-padded to 10 digits>.<host>` (spec §1).
    public static func fileName(seconds: Int64, host: String) -> String {
        fileNamePrefix + String(format: "%010lld", seconds) + "." + host
    }

    /// A name not in `existing` that sorts after every toolkit event file in it, so TensorBoard reads
    /// the new file last: `fileName(seconds:host:)`, else that name plus `.001`…`.999` (suffixes are
    /// ignored by TensorBoard), else the same for a later second. A later second also stands in when
    /// an existing file is stamped later than `seconds` (clock set back, or another host's clock).
    public static func uniqueFileName(seconds: Int64, host: String, existing: Set<String>) -> String {
        let last = existing.filter { $0.hasPrefix(fileNamePrefix) }.max()
        var t = seconds
        if let last, let stamp = Int64(last.dropFirst(fileNamePrefix.count).prefix { $0.isNumber }), stamp > t {
            t = stamp
        }
        for _ in 0..<2 {
            let base = fileName(seconds: t, host: host)
            for n in 0...999 {
                let name = n == 0 ? base : base + String(format: ".%03d", n)
                if !existing.contains(name), last.map({ name > $0 }) ?? true { return name }
            }
            t += 1
        }
        // Only reachable with a thousand restarts in one second; uniqueness still holds.
        var name = fileName(seconds: t, host: host)
        while existing.contains(name) { name += ".x" }
        return name
    }

    /// Writes one event holding a scalar per `(tag, value)` pair, all at `step` and `wallTime`.
    public func addScalars(_ values: [(tag: String, value: Float)], step: Int64,
                           wallTime: Double = TensorBoardWriter.now()) throws {
        try append(TensorBoardWriter.event(wallTime: wallTime, step: step, field: 5,
                                           payload: TensorBoardWriter.summary(values)))
    }

    /// Writes one event holding the scalar `value` for `tag` at `step`.
    public func addScalar(_ tag: String, _ value: Float, step: Int64, wallTime: Double = TensorBoardWriter.now()) throws {
        try addScalars([(tag, value)], step: step, wallTime: wallTime)
    }

    /// Writes a `session_log` event (the spec's §4.1 field 7, `SessionLog{status}`) at `step`.
    public func addSessionLog(_ status: SessionStatus, step: Int64, wallTime: Double = TensorBoardWriter.now()) throws {
        var log = Data()
        if status != .unspecified {
            log.append(0x08)
            TensorBoardWriter.appendVarint(status.rawValue, to: &log)
        }
        try append(TensorBoardWriter.event(wallTime: wallTime, step: step, field: 7, payload: log))
    }

    /// Writes the collected records to the file.
    public func flush() throws {
        guard !pending.isEmpty else { return }
        do { try handle.write(contentsOf: pending) } catch {
            throw TrainerError.io(path: url.path, reason: "cannot write the event file: \(error)")
        }
        pending.removeAll(keepingCapacity: true)
        pendingRecords = 0
    }

    /// Flushes and closes the file; later writes throw.
    public func close() throws {
        guard !closed else { return }
        defer { closed = true; try? handle.close() }
        try flush()
    }

    private func append(_ event: Data) throws {
        guard !closed else { throw TrainerError.io(path: url.path, reason: "the event file is closed") }
        pending.append(TensorBoardWriter.record(event))
        pendingRecords += 1
        if pendingRecords >= flushEvery { try flush() }
    }

    // MARK: - Encoding

    /// One TFRecord: length, masked CRC of the length, data, masked CRC of the data (spec §2).
    static func record(_ data: Data) -> Data {
        var out = Data(capacity: data.count + 16)
        var length = Data(capacity: 8)
        appendLE(UInt64(data.count), to: &length)
        out.append(length)
        appendLE(CRC32C.maskedChecksum(length), to: &out)
        out.append(data)
        appendLE(CRC32C.maskedChecksum(data), to: &out)
        return out
    }

    /// `Event{wall_time, step (omitted when 0), <field>: payload}` with `payload` length-delimited.
    static func event(wallTime: Double, step: Int64, field: UInt64, payload: Data) -> Data {
        var out = Data()
        out.append(0x09)
        appendLE(wallTime.bitPattern, to: &out)
        if step != 0 {
            out.append(0x10)
            appendVarint(UInt64(bitPattern: step), to: &out)
        }
        appendLengthDelimited(field: field, payload, to: &out)
        return out
    }

    /// `Summary` with one `Value{tag, simple_value}` per pair (spec §4.4).
    static func summary(_ values: [(tag: String, value: Float)]) -> Data {
        var out = Data()
        for (tag, value) in values {
            var v = Data()
            appendLengthDelimited(field: 1, Data(tag.utf8), to: &v)
            v.append(0x15)
            appendLE(value.bitPattern, to: &v)
            appendLengthDelimited(field: 1, v, to: &out)
        }
        return out
    }

    static func appendLengthDelimited(field: UInt64, _ payload: Data, to out: inout Data) {
        appendVarint(field << 3 | 2, to: &out)
        appendVarint(UInt64(payload.count), to: &out)
        out.append(payload)
    }

    static func appendVarint(_ value: UInt64, to out: inout Data) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func appendLE<T: FixedWidthInteger>(_ value: T, to out: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }
}
