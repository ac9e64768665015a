import Foundation

/// Reads TensorBoard event files (tensorboard-events spec §8) for tests and tools: checks both CRCs
/// of every record and decodes the `Event` protos enough to return their scalars.
///
/// Any input gives events or a `ReadError` naming the file and byte offset; lengths are checked
/// against the bytes left and `maxRecordLength` before anything is sliced, so garbage cannot crash it.
public enum TensorBoardReader {
    /// The longest record accepted (spec §8.3's implementation cap).
    public static let maxRecordLength = 256 << 20

    /// One scalar point: a `Summary.Value` with `simple_value`, or a rank-0 float/double tensor.
    public struct Scalar: Equatable, Sendable {
        /// The series name, e.g. `train/loss`.
        public var tag: String
        /// The event's global step.
        public var step: Int64
        /// The event's time in seconds since the Unix epoch.
        public var wallTime: Double
        /// The value (a `simple_value` widened exactly from Float).
        public var value: Double

        /// A point of series `tag`.
        public init(tag: String, step: Int64, wallTime: Double, value: Double) {
            self.tag = tag
            self.step = step
            self.wallTime = wallTime
            self.value = value
        }
    }

    /// One decoded `Event` record; fields the toolkit does not use are skipped.
    public struct Event: Equatable, Sendable {
        /// Byte offset of the record in its file.
        public var offset: Int
        /// `wall_time` (0 when absent).
        public var wallTime: Double
        /// `step` (0 when absent).
        public var step: Int64
        /// `file_version`, when that is the event's payload.
        public var fileVersion: String?
        /// `session_log.status`, when the payload is a `SessionLog` (1 = START).
        public var sessionStatus: UInt64?
        /// The scalars of a `summary` payload, in order.
        public var scalars: [Scalar]
    }

    /// Why an event file could not be read; every case names the file and a byte offset.
    public enum ReadError: Error, Equatable, CustomStringConvertible {
        /// The file could not be opened or read.
        case io(path: String, reason: String)
        /// The file ends inside the record starting at `offset` (`needed` bytes from there, `available` left).
        case truncated(path: String, offset: Int, needed: Int, available: Int)
        /// The masked CRC of the length bytes of the record at `offset` does not match.
        case lengthChecksumMismatch(path: String, offset: Int, stored: UInt32, computed: UInt32)
        /// The masked CRC of the data of the record at `offset` does not match.
        case dataChecksumMismatch(path: String, offset: Int, stored: UInt32, computed: UInt32)
        /// The record at `offset` claims more than `maxRecordLength` bytes.
        case recordTooLarge(path: String, offset: Int, length: UInt64)
        /// The protobuf bytes are malformed at absolute byte `offset`.
        case malformedEvent(path: String, offset: Int, reason: String)

        /// The file the error is about.
        public var path: String {
            switch self {
            case let .io(p, _), let .truncated(p, _, _, _), let .lengthChecksumMismatch(p, _, _, _),
                 let .dataChecksumMismatch(p, _, _, _), let .recordTooLarge(p, _, _), let .malformedEvent(p, _, _):
                return p
            }
        }

        /// The byte offset the error is about (nil for `io`).
        public var offset: Int? {
            switch self {
            case .io: return nil
            case let .truncated(_, o, _, _), let .lengthChecksumMismatch(_, o, _, _),
                 let .dataChecksumMismatch(_, o, _, _), let .recordTooLarge(_, o, _), let .malformedEvent(_, o, _):
                return o
            }
        }

        /// A one-line message naming the file and byte offset.
        public var description: String {
            func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
            switch self {
            case let .io(p, reason): return "\(p): \(reason)"
            case let .truncated(p, o, needed, available):
                return "\(p): record at byte \(o) is truncated: needs \(needed) bytes, \(available) left"
            case let .lengthChecksumMismatch(p, o, stored, computed):
                return "\(p): record at byte \(o): length CRC mismatch at byte \(o + 8) (stored \(hex(stored)), computed \(hex(computed)))"
            case let .dataChecksumMismatch(p, o, stored, computed):
                return "\(p): record at byte \(o): data CRC mismatch (stored \(hex(stored)), computed \(hex(computed)))"
            case let .recordTooLarge(p, o, length):
                return "\(p): record at byte \(o) claims \(length) bytes (limit \(maxRecordLength))"
            case let .malformedEvent(p, o, reason): return "\(p): malformed event at byte \(o): \(reason)"
            }
        }
    }

    // MARK: - Files and directories

    /// Every event of the file at `url`. With `allowTruncatedTail`, a last record cut short (a writer
    /// still writing) ends the list instead of throwing, as TensorBoard itself does.
    public static func events(at url: URL, allowTruncatedTail: Bool = false) throws -> [Event] {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw ReadError.io(path: url.path, reason: "cannot read: \(error)")
        }
        return try events(in: data, path: url.path, allowTruncatedTail: allowTruncatedTail)
    }

    /// Every scalar of the file at `url`, in file order.
    public static func scalars(at url: URL, allowTruncatedTail: Bool = false) throws -> [Scalar] {
        try events(at: url, allowTruncatedTail: allowTruncatedTail).flatMap(\.scalars)
    }

    /// The event files of a run directory (names containing `tfevents`), in the name order TensorBoard reads them.
    public static func eventFiles(in directory: URL) throws -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw ReadError.io(path: directory.path, reason: "cannot list: \(error)")
        }
        return names.filter { $0.contains("tfevents") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// The scalars TensorBoard's Python loader shows for a run directory: files in name order, and each
    /// SessionLog START after the run's first drops every earlier point at a step ≥ its step (a restart
    /// from a checkpoint). Truncated last records are ignored, as TensorBoard does.
    public static func visibleScalars(inDirectory directory: URL) throws -> [Scalar] {
        var points: [Scalar] = []
        var seenStart = false
        for file in try eventFiles(in: directory) {
            for event in try events(at: file, allowTruncatedTail: true) {
                if event.sessionStatus == TensorBoardWriter.SessionStatus.start.rawValue {
                    if seenStart { points.removeAll { $0.step >= event.step } }
                    seenStart = true
                }
                points += event.scalars
            }
        }
        return points
    }

    // MARK: - Records

    /// Every event in `data`, the contents of the file `path` (used in error messages only).
    public static func events(in data: Data, path: String, allowTruncatedTail: Bool = false) throws -> [Event] {
        let bytes = [UInt8](data)
        var out: [Event] = []
        var offset = 0
        while offset < bytes.count {
            let available = bytes.count - offset
            if available < 12 {
                if allowTruncatedTail { break }
                throw ReadError.truncated(path: path, offset: offset, needed: 12, available: available)
            }
            let lengthBytes = bytes[offset..<offset + 8]
            let storedLengthCRC = readLE32(bytes, offset + 8)
            let lengthCRC = CRC32C.maskedChecksum(lengthBytes)
            guard storedLengthCRC == lengthCRC else {
                throw ReadError.lengthChecksumMismatch(path: path, offset: offset, stored: storedLengthCRC, computed: lengthCRC)
            }
            let length = readLE64(bytes, offset)
            guard length <= UInt64(maxRecordLength) else {
                throw ReadError.recordTooLarge(path: path, offset: offset, length: length)
            }
            let needed = Int(length) + 16
            if available < needed {
                if allowTruncatedTail { break }
                throw ReadError.truncated(path: path, offset: offset, needed: needed, available: available)
            }
            let start = offset + 12, end = start + Int(length)
            let storedDataCRC = readLE32(bytes, end)
            let dataCRC = CRC32C.maskedChecksum(bytes[start..<end])
            guard storedDataCRC == dataCRC else {
                throw ReadError.dataChecksumMismatch(path: path, offset: offset, stored: storedDataCRC, computed: dataCRC)
            }
            do {
                out.append(try decodeEvent(bytes, start..<end, recordOffset: offset))
            } catch let e as Malformed {
                throw ReadError.malformedEvent(path: path, offset: e.offset, reason: e.reason)
            }
            offset += needed
        }
        return out
    }

    private static func readLE64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
    }

    private static func readLE32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
    }

    // MARK: - Protobuf

    /// A protobuf decoding failure at an absolute byte offset.
    private struct Malformed: Error {
        let offset: Int
        let reason: String
    }

    /// A bounds-checked protobuf field reader over `bytes[range]`.
    private struct Cursor {
        let bytes: [UInt8]
        var pos: Int
        let end: Int

        init(_ bytes: [UInt8], _ range: Range<Int>) {
            self.bytes = bytes
            pos = range.lowerBound
            end = range.upperBound
        }

        var atEnd: Bool { pos >= end }

        mutating func varint() throws -> UInt64 {
            let start = pos
            var value: UInt64 = 0
            for i in 0..<10 {
                guard pos < end else { throw Malformed(offset: start, reason: "varint runs past the end of its message") }
                let b = bytes[pos]
                pos += 1
                value |= UInt64(b & 0x7F) << (7 * UInt64(i))
                if b < 0x80 { return value }
            }
            throw Malformed(offset: start, reason: "varint longer than 10 bytes")
        }

        mutating func fixed(_ size: Int) throws -> UInt64 {
            guard end - pos >= size else {
                throw Malformed(offset: pos, reason: "\(size)-byte field runs past the end of its message")
            }
            defer { pos += size }
            return (0..<size).reduce(UInt64(0)) { $0 | UInt64(bytes[pos + $1]) << (8 * UInt64($1)) }
        }

        mutating func lengthDelimited() throws -> Range<Int> {
            let at = pos
            let length = try varint()
            guard length <= UInt64(end - pos) else {
                throw Malformed(offset: at, reason: "length \(length) runs past the end of its message (\(end - pos) bytes left)")
            }
            defer { pos += Int(length) }
            return pos..<pos + Int(length)
        }

        /// The next field's number and wire type.
        mutating func key() throws -> (field: UInt64, wire: UInt64, offset: Int) {
            let at = pos
            let k = try varint()
            return (k >> 3, k & 7, at)
        }

        mutating func skip(wire: UInt64, at: Int) throws {
            switch wire {
            case 0: _ = try varint()
            case 1: _ = try fixed(8)
            case 2: _ = try lengthDelimited()
            case 5: _ = try fixed(4)
            default: throw Malformed(offset: at, reason: "unsupported wire type \(wire)")
            }
        }
    }

    private static func decodeEvent(_ bytes: [UInt8], _ range: Range<Int>, recordOffset: Int) throws -> Event {
        var c = Cursor(bytes, range)
        var event = Event(offset: recordOffset, wallTime: 0, step: 0, fileVersion: nil, sessionStatus: nil, scalars: [])
        var values: [(tag: String, value: Double)] = []
        while !c.atEnd {
            let (field, wire, at) = try c.key()
            switch (field, wire) {
            case (1, 1): event.wallTime = Double(bitPattern: try c.fixed(8))
            case (2, 0): event.step = Int64(bitPattern: try c.varint())
            case (3, 2):
                // Members of the `what` oneof replace each other; the last one wins.
                event.fileVersion = String(decoding: bytes[try c.lengthDelimited()], as: UTF8.self)
                event.sessionStatus = nil
                values = []
            case (5, 2):
                // A repeated occurrence of a message field merges into the earlier one.
                if event.fileVersion != nil || event.sessionStatus != nil { values = [] }
                event.fileVersion = nil
                event.sessionStatus = nil
                values += try decodeSummary(bytes, try c.lengthDelimited())
            case (7, 2):
                event.sessionStatus = try decodeSessionStatus(bytes, try c.lengthDelimited())
                event.fileVersion = nil
                values = []
            case (4, 2), (6, 2), (8, 2), (9, 2):
                _ = try c.lengthDelimited()
                event.fileVersion = nil
                event.sessionStatus = nil
                values = []
            default: try c.skip(wire: wire, at: at)
            }
        }
        event.scalars = values.map { Scalar(tag: $0.tag, step: event.step, wallTime: event.wallTime, value: $0.value) }
        return event
    }

    private static func decodeSessionStatus(_ bytes: [UInt8], _ range: Range<Int>) throws -> UInt64 {
        var c = Cursor(bytes, range)
        var status: UInt64 = 0
        while !c.atEnd {
            let (field, wire, at) = try c.key()
            if field == 1, wire == 0 { status = try c.varint() } else { try c.skip(wire: wire, at: at) }
        }
        return status
    }

    private static func decodeSummary(_ bytes: [UInt8], _ range: Range<Int>) throws -> [(tag: String, value: Double)] {
        var c = Cursor(bytes, range)
        var out: [(tag: String, value: Double)] = []
        while !c.atEnd {
            let (field, wire, at) = try c.key()
            if field == 1, wire == 2 {
                if let v = try decodeValue(bytes, try c.lengthDelimited()) { out.append(v) }
            } else {
                try c.skip(wire: wire, at: at)
            }
        }
        return out
    }

    /// The payload of a `Summary.Value` (its `value` oneof).
    private enum Payload {
        case none, simple(Float), tensor(Double?), other
    }

    /// A `Summary.Value`'s tag and scalar, or nil when it holds something other than a scalar.
    private static func decodeValue(_ bytes: [UInt8], _ range: Range<Int>) throws -> (tag: String, value: Double)? {
        var c = Cursor(bytes, range)
        var tag = ""
        var payload = Payload.none
        var tensorRange: Range<Int>?
        var plugin = ""
        while !c.atEnd {
            let (field, wire, at) = try c.key()
            switch (field, wire) {
            case (1, 2): tag = String(decoding: bytes[try c.lengthDelimited()], as: UTF8.self)
            case (2, 5): payload = .simple(Float(bitPattern: UInt32(truncatingIfNeeded: try c.fixed(4))))
            case (8, 2):
                tensorRange = try c.lengthDelimited()
                payload = .tensor(nil)
            case (9, 2): plugin = try decodePluginName(bytes, try c.lengthDelimited()) ?? plugin
            case (3, 2), (4, 2), (5, 2), (6, 2):
                _ = try c.lengthDelimited()
                payload = .other
            default: try c.skip(wire: wire, at: at)
            }
        }
        switch payload {
        case .simple(let f): return (tag, Double(f))
        case .tensor:
            guard let tensorRange, let v = try decodeScalarTensor(bytes, tensorRange, plugin: plugin) else { return nil }
            return (tag, v)
        case .none, .other: return nil
        }
    }

    /// `SummaryMetadata.plugin_data.plugin_name`, if present.
    private static func decodePluginName(_ bytes: [UInt8], _ range: Range<Int>) throws -> String? {
        var c = Cursor(bytes, range)
        var name: String?
        while !c.atEnd {
            let (field, wire, at) = try c.key()
            guard field == 1, wire == 2 else { try c.skip(wire: wire, at: at); continue }
            var p = Cursor(bytes, try c.lengthDelimited())
            while !p.atEnd {
                let (f, w, a) = try p.key()
                if f == 1, w == 2 {
                    name = String(decoding: bytes[try p.lengthDelimited()], as: UTF8.self)
                } else {
                    try p.skip(wire: w, at: a)
                }
            }
        }
        return name
    }

    /// The single value of a DT_FLOAT / DT_DOUBLE `TensorProto` that is rank 0 or tagged with the
    /// `scalars` plugin (spec §6); nil for anything else.
    private static func decodeScalarTensor(_ bytes: [UInt8], _ range: Range<Int>, plugin: String) throws -> Double? {
        var c = Cursor(bytes, range)
        var dtype: UInt64 = 0
        var rank = 0
        var values: [Double] = []
        var content: Range<Int>?
        while !c.atEnd {
            let (field, wire, at) = try c.key()
            switch (field, wire) {
            case (1, 0): dtype = try c.varint()
            case (2, 2):
                var s = Cursor(bytes, try c.lengthDelimited())
                rank = 0
                while !s.atEnd {
                    let (f, w, a) = try s.key()
                    if f == 2 { rank += 1 }
                    try s.skip(wire: w, at: a)
                }
            case (4, 2): content = try c.lengthDelimited()
            case (5, 5): values.append(Double(Float(bitPattern: UInt32(truncatingIfNeeded: try c.fixed(4)))))
            case (5, 2):
                var p = Cursor(bytes, try c.lengthDelimited())
                while !p.atEnd { values.append(Double(Float(bitPattern: UInt32(truncatingIfNeeded: try p.fixed(4))))) }
            case (6, 1): values.append(Double(bitPattern: try c.fixed(8)))
            case (6, 2):
                var p = Cursor(bytes, try c.lengthDelimited())
                while !p.atEnd { values.append(Double(bitPattern: try p.fixed(8))) }
            default: try c.skip(wire: wire, at: at)
            }
        }
        guard dtype == 1 || dtype == 2, rank == 0 || plugin == "scalars" else { return nil }
        if values.isEmpty, let content {
            var p = Cursor(bytes, content)
            let size = dtype == 1 ? 4 : 8
            while p.end - p.pos >= size {
                let raw = try p.fixed(size)
                values.append(dtype == 1 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))) : Double(bitPattern: raw))
            }
        }
        return values.count == 1 ? values[0] : nil
    }
}
