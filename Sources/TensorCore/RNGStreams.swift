import Foundation

/// Named, independent random streams derived from one seed, so that e.g. adding a dropout layer
/// does not shift the numbers used for initialization or shuffling.
///
/// A name maps to a stream id by FNV-1a 64 over the UTF-8 of its NFC form (stable across runs and
/// platforms, unlike Swift's per-process randomized `Hasher`).
public struct RNGStreams: Sendable, Equatable, Codable {
    /// Stream used for parameter initialization.
    public static let initStream = "init"
    /// Stream used for dropout masks.
    public static let dropout = "dropout"
    /// Stream used for data-loader shuffling.
    public static let shuffle = "shuffle"
    /// Stream used for data augmentation.
    public static let augment = "augment"

    /// The seed every stream derives from.
    public let seed: UInt64
    /// Streams drawn from so far, keyed by NFC name; untouched streams are created on demand.
    private var streams: [String: RandomGenerator] = [:]

    /// An empty set of streams for `seed`.
    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The stable 64-bit stream id of `name`.
    public static func streamID(_ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in normalized(name).utf8 {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01B3
        }
        return h
    }

    /// NFC form of `name`, so canonically equal spellings (which Swift's `==` treats as one key) get one id.
    static func normalized(_ name: String) -> String {
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return name }
        return name.precomposedStringWithCanonicalMapping
    }

    /// The generator named `name`; reading an unused name gives a fresh generator at counter 0,
    /// and mutating through the subscript stores it.
    public subscript(name: String) -> RandomGenerator {
        get {
            let key = RNGStreams.normalized(name)
            return streams[key] ?? RandomGenerator(seed: seed, stream: RNGStreams.streamID(key))
        }
        set {
            let key = RNGStreams.normalized(name)
            let id = RNGStreams.streamID(key)
            precondition(newValue.seed == seed && newValue.stream == id,
                         "RNGStreams[\"\(name)\"]: generator has seed \(newValue.seed), stream \(newValue.stream); "
                         + "this stream needs seed \(seed), stream \(id)")
            streams[key] = newValue
        }
    }

    /// Runs `body` with the stream `name` (created on first use) and keeps its advanced state.
    public mutating func withStream<R>(_ name: String, _ body: (inout RandomGenerator) throws -> R) rethrows -> R {
        let key = RNGStreams.normalized(name)
        let seed = self.seed
        return try body(&streams[key, default: RandomGenerator(seed: seed, stream: RNGStreams.streamID(key))])
    }

    /// Names of the streams that have been stored, sorted by UTF-8 bytes.
    public var names: [String] {
        streams.keys.sorted(by: RNGStreams.byteOrder)
    }

    static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    // MARK: - Serialization

    static let magic: [UInt8] = Array("CRNS".utf8)
    static let version: UInt32 = 1

    /// Versioned little-endian state: "CRNS", u32 version, u64 seed, u32 stream count, then per
    /// stream in UTF-8 byte order of its name: u32 name length, name bytes, the generator's `stateBytes`.
    public var stateBytes: [UInt8] {
        var w = RNGByteWriter()
        w.bytes(RNGStreams.magic)
        w.u32(RNGStreams.version)
        w.u64(seed)
        let sorted = names
        w.u32(UInt32(sorted.count))
        for name in sorted {
            let utf8 = Array(name.utf8)
            w.u32(UInt32(utf8.count))
            w.bytes(utf8)
            w.bytes(streams[name]!.stateBytes)
        }
        return w.data
    }

    /// Restores streams saved with `stateBytes`; throws `RNGError` naming the offset and the problem.
    public init(stateBytes: [UInt8]) throws {
        var r = RNGByteReader(stateBytes, what: "RNGStreams state")
        let m = try r.bytes(4)
        guard m == RNGStreams.magic else {
            throw RNGError.badMagic(what: r.what, offset: 0, expected: RNGStreams.magic, found: m)
        }
        let v = try r.u32()
        guard v == RNGStreams.version else {
            throw RNGError.unsupportedVersion(what: r.what, offset: 4, found: v, supported: RNGStreams.version)
        }
        seed = try r.u64()
        let countOffset = r.offset
        let count = try r.u32()
        // Each stream needs at least its length field and generator record; reject absurd counts early.
        let minimum = 4 + RandomGenerator.stateByteCount
        guard Int(count) <= r.remaining / minimum else {
            throw RNGError.invalidField(what: r.what, field: "stream count", offset: countOffset,
                                        detail: "\(count) streams cannot fit in the \(r.remaining) bytes left")
        }
        var previous: String?
        for _ in 0..<Int(count) {
            let nameOffset = r.offset
            let length = try r.u32()
            let bytes = try r.bytes(Int(length))
            let name = String(decoding: bytes, as: UTF8.self)
            guard Array(name.utf8) == bytes else {
                throw RNGError.invalidField(what: r.what, field: "stream name", offset: nameOffset + 4,
                                            detail: "not valid UTF-8")
            }
            guard Array(RNGStreams.normalized(name).utf8) == bytes else {
                throw RNGError.invalidField(what: r.what, field: "stream name", offset: nameOffset + 4,
                                            detail: "\"\(name)\" is not in Unicode NFC form")
            }
            if let previous, !RNGStreams.byteOrder(previous, name) {
                throw RNGError.invalidField(what: r.what, field: "stream name", offset: nameOffset + 4,
                                            detail: "\"\(name)\" is out of order or repeated after \"\(previous)\"")
            }
            let recordOffset = r.offset
            var sub = RNGByteReader(try r.bytes(RandomGenerator.stateByteCount),
                                    what: "RNGStreams state, stream \"\(name)\" at offset \(recordOffset)")
            let g = try RandomGenerator(reading: &sub)
            let id = RNGStreams.streamID(name)
            guard g.seed == seed, g.stream == id else {
                throw RNGError.invalidField(what: r.what, field: "stream \"\(name)\"", offset: recordOffset,
                                            detail: "generator has seed \(g.seed), stream \(g.stream); "
                                                + "expected seed \(seed), stream \(id)")
            }
            streams[name] = g
            previous = name
        }
        guard r.remaining == 0 else {
            throw RNGError.trailingBytes(what: r.what, offset: r.offset, count: r.remaining)
        }
    }

    /// Decodes from a base64 string of `stateBytes`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let bytes = try RNGByteReader.decodeBase64(c, what: "RNGStreams")
        do { try self.init(stateBytes: bytes) } catch let e as RNGError {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: e.description)
        }
    }

    /// Encodes as a base64 string of `stateBytes`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Data(stateBytes).base64EncodedString())
    }
}
