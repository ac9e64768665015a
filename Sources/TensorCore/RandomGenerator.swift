import Foundation

/// One stream of random numbers: a Philox4x32-10 key from (seed, stream id), a 128-bit block counter
/// and the four outputs of the current block.
///
/// The whole state is `seed`, `stream`, `counter` and how many outputs of the current block were
/// used; the buffered outputs are recomputed from the counter, so `stateBytes` is small and a restored
/// generator continues with exactly the draw the original would have made next.
public struct RandomGenerator: Sendable, Equatable, Codable {
    /// The seed the key was derived from.
    public let seed: UInt64
    /// The stream id the key was derived from.
    public let stream: UInt64
    let k0: UInt32
    let k1: UInt32
    /// Counter of the next block to generate.
    var ctrHi: UInt64 = 0
    var ctrLo: UInt64 = 0
    /// Index of the next unused output in the buffer; 4 means the buffer is used up.
    var lane: Int = 4
    var b0: UInt32 = 0, b1: UInt32 = 0, b2: UInt32 = 0, b3: UInt32 = 0

    /// A generator at counter 0 whose Philox key mixes `seed` and `stream`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
        // Each mix is a bijection, so for a fixed stream distinct seeds give distinct keys and vice versa.
        let key = RandomGenerator.mix64(seed ^ RandomGenerator.mix64(stream ^ 0x9E37_79B9_7F4A_7C15))
        k0 = UInt32(truncatingIfNeeded: key)
        k1 = UInt32(truncatingIfNeeded: key >> 32)
    }

    /// SplitMix64's finalizer: a bijective avalanche of 64 bits.
    static func mix64(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The Philox key words used for this stream.
    public var key: (UInt32, UInt32) { (k0, k1) }

    /// Philox counter of the next block to generate; setting it drops buffered outputs, so the next
    /// draw is the first output of block `counter` (O(1) seek, e.g. `(hi: epoch, lo: 0)`).
    public var counter: (hi: UInt64, lo: UInt64) {
        get { (ctrHi, ctrLo) }
        set { ctrHi = newValue.hi; ctrLo = newValue.lo; lane = 4 }
    }

    /// Compares the generating state; the buffer is derived from it.
    public static func == (a: RandomGenerator, b: RandomGenerator) -> Bool {
        a.seed == b.seed && a.stream == b.stream && a.ctrHi == b.ctrHi && a.ctrLo == b.ctrLo && a.lane == b.lane
    }

    @inline(__always)
    mutating func incrementCounter() {
        ctrLo &+= 1
        if ctrLo == 0 { ctrHi &+= 1 }
    }

    /// Generates the block at the counter into the buffer and advances the counter.
    @inline(__always)
    mutating func refill() {
        (b0, b1, b2, b3) = Philox.block(hi: ctrHi, lo: ctrLo, k0: k0, k1: k1)
        incrementCounter()
        lane = 0
    }

    /// Generates the block at the counter without buffering it (bulk fills) and advances the counter.
    @inline(__always)
    mutating func nextBlock() -> (UInt32, UInt32, UInt32, UInt32) {
        let r = Philox.block(hi: ctrHi, lo: ctrLo, k0: k0, k1: k1)
        incrementCounter()
        return r
    }

    // MARK: - Scalar draws

    /// 32 uniformly random bits.
    public mutating func nextUInt32() -> UInt32 {
        if lane == 4 { refill() }
        let v: UInt32
        switch lane {
        case 0: v = b0
        case 1: v = b1
        case 2: v = b2
        default: v = b3
        }
        lane += 1
        return v
    }

    /// 64 uniformly random bits: the first 32-bit draw is the low half.
    public mutating func nextUInt64() -> UInt64 {
        let lo = UInt64(nextUInt32())
        return lo | UInt64(nextUInt32()) << 32
    }

    /// Uniform in [0, 1) with 24 random bits (every value exactly representable).
    public mutating func nextFloat() -> Float {
        RandomGenerator.unitFloat(nextUInt32())
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        RandomGenerator.unitDouble(nextUInt64())
    }

    @inline(__always)
    static func unitFloat(_ x: UInt32) -> Float { Float(x >> 8) * 0x1p-24 }

    @inline(__always)
    static func unitDouble(_ x: UInt64) -> Double { Double(x >> 11) * 0x1p-53 }

    /// Standard normal: the cosine half of a Box–Muller pair computed in Double (4 draws; the sine
    /// half is discarded so that no hidden cached value sits outside the serialized state).
    public mutating func nextNormal() -> Float {
        Float(nextNormalPair().0)
    }

    /// Both halves of one Box–Muller transform of two `nextDouble()` draws.
    @inline(__always)
    mutating func nextNormalPair() -> (Double, Double) {
        let a = nextUInt64()
        let b = nextUInt64()
        return RandomGenerator.boxMuller(a, b)
    }

    @inline(__always)
    static func boxMuller(_ a: UInt64, _ b: UInt64) -> (Double, Double) {
        // 1 - u lies in (0, 1], so the log is finite.
        let u1 = 1 - unitDouble(a)
        let theta = 2 * Double.pi * unitDouble(b)
        let r = (-2 * Foundation.log(u1)).squareRoot()
        return (r * Foundation.cos(theta), r * Foundation.sin(theta))
    }

    /// Uniform integer in 0..<n without modulo bias (Lemire's multiply-and-reject).
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0, "nextInt(below:): bound must be positive, got \(n)")
        if n <= Int(UInt32.max) {
            let bound = UInt32(n)
            var m = UInt64(nextUInt32()) &* UInt64(bound)
            if UInt32(truncatingIfNeeded: m) < bound {
                let threshold = (0 &- bound) % bound
                while UInt32(truncatingIfNeeded: m) < threshold {
                    m = UInt64(nextUInt32()) &* UInt64(bound)
                }
            }
            return Int(m >> 32)
        }
        let bound = UInt64(n)
        var m = nextUInt64().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = nextUInt64().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates, drawing from the top index down).
    public mutating func permutation(_ n: Int) -> [Int] {
        precondition(n >= 0, "permutation: count must be non-negative, got \(n)")
        var p = Array(0..<n)
        var i = n - 1
        while i > 0 {
            let j = nextInt(below: i + 1)
            p.swapAt(i, j)
            i -= 1
        }
        return p
    }

    /// Advances by `draws` 32-bit outputs in O(1); the same as calling `nextUInt32()` that many times.
    public mutating func skip(draws: UInt64) {
        // Absolute position = block * 4 + offset, where block is the buffered block (if any).
        var blockHi = ctrHi, blockLo = ctrLo
        var offset = UInt64(0)
        if lane < 4 {
            if blockLo == 0 { blockHi &-= 1 }
            blockLo &-= 1
            offset = UInt64(lane)
        }
        let total = offset + draws % 4
        let (lo, carry) = blockLo.addingReportingOverflow(draws / 4 + total / 4)
        blockLo = lo
        if carry { blockHi &+= 1 }
        ctrHi = blockHi
        ctrLo = blockLo
        lane = 4
        if total % 4 != 0 {
            refill()
            lane = Int(total % 4)
        }
    }

    // MARK: - Serialization

    static let magic: [UInt8] = Array("CRNG".utf8)
    static let version: UInt32 = 1
    /// Size of `stateBytes`: magic, version, seed, stream, counter hi, counter lo, lane.
    public static let stateByteCount = 4 + 4 + 8 + 8 + 8 + 8 + 4

    /// Fixed-size, versioned, little-endian state: "CRNG", u32 version, u64 seed, u64 stream,
    /// u64 counter hi, u64 counter lo, u32 outputs used from the current block (0...4).
    public var stateBytes: [UInt8] {
        var w = RNGByteWriter()
        w.bytes(RandomGenerator.magic)
        w.u32(RandomGenerator.version)
        w.u64(seed)
        w.u64(stream)
        w.u64(ctrHi)
        w.u64(ctrLo)
        w.u32(UInt32(lane))
        return w.data
    }

    /// Restores a generator saved with `stateBytes`; throws `RNGError` naming what is wrong.
    public init(stateBytes: [UInt8]) throws {
        guard stateBytes.count == RandomGenerator.stateByteCount else {
            throw RNGError.wrongLength(what: "RandomGenerator state", expected: RandomGenerator.stateByteCount,
                                       actual: stateBytes.count)
        }
        var r = RNGByteReader(stateBytes, what: "RandomGenerator state")
        try self.init(reading: &r)
    }

    /// Reads one fixed-size generator record at the reader's position.
    init(reading r: inout RNGByteReader) throws {
        let start = r.offset
        let m = try r.bytes(4)
        guard m == RandomGenerator.magic else {
            throw RNGError.badMagic(what: r.what, offset: start, expected: RandomGenerator.magic, found: m)
        }
        let v = try r.u32()
        guard v == RandomGenerator.version else {
            throw RNGError.unsupportedVersion(what: r.what, offset: start + 4, found: v,
                                              supported: RandomGenerator.version)
        }
        let seed = try r.u64()
        let stream = try r.u64()
        let hi = try r.u64()
        let lo = try r.u64()
        let laneOffset = r.offset
        let lane = try r.u32()
        guard lane <= 4 else {
            throw RNGError.invalidField(what: r.what, field: "lane", offset: laneOffset,
                                        detail: "\(lane) is not in 0...4")
        }
        self.init(seed: seed, stream: stream)
        ctrHi = hi
        ctrLo = lo
        self.lane = 4
        if lane < 4 {
            // The buffered block is the one just before the counter.
            if ctrLo == 0 { ctrHi &-= 1 }
            ctrLo &-= 1
            refill()
            self.lane = Int(lane)
        }
    }

    /// Decodes from a base64 string of `stateBytes`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let bytes = try RNGByteReader.decodeBase64(c, what: "RandomGenerator")
        do { try self.init(stateBytes: bytes) } catch let e as RNGError {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: e.description)
        }
    }

    /// Encodes as a base64 string of `stateBytes` (compact in JSON trainer state).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Data(stateBytes).base64EncodedString())
    }
}

/// Why saved random-generator state could not be restored.
public enum RNGError: Error, CustomStringConvertible, Equatable {
    /// The byte count differs from the fixed size of the record.
    case wrongLength(what: String, expected: Int, actual: Int)
    /// The record ended before a field could be read.
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    /// The record does not start with the expected magic bytes.
    case badMagic(what: String, offset: Int, expected: [UInt8], found: [UInt8])
    /// The record was written by an unknown format version.
    case unsupportedVersion(what: String, offset: Int, found: UInt32, supported: UInt32)
    /// A field holds a value that no writer produces.
    case invalidField(what: String, field: String, offset: Int, detail: String)
    /// Bytes remain after the last record.
    case trailingBytes(what: String, offset: Int, count: Int)
    /// A text encoding of the state (base64) could not be decoded.
    case invalidEncoding(what: String, detail: String)

    /// A message naming the record, the offset and what was wrong.
    public var description: String {
        switch self {
        case let .wrongLength(what, expected, actual):
            return "\(what): wrong length: expected \(expected) bytes, got \(actual)"
        case let .truncated(what, offset, needed, available):
            return "\(what): truncated at offset \(offset): need \(needed) bytes, only \(available) left"
        case let .badMagic(what, offset, expected, found):
            return "\(what): bad magic at offset \(offset): expected \(RNGError.show(expected)), found \(RNGError.show(found))"
        case let .unsupportedVersion(what, offset, found, supported):
            return "\(what): bad version \(found) at offset \(offset) (this build reads version \(supported))"
        case let .invalidField(what, field, offset, detail):
            return "\(what): invalid \(field) at offset \(offset): \(detail)"
        case let .trailingBytes(what, offset, count):
            return "\(what): \(count) unexpected trailing bytes at offset \(offset)"
        case let .invalidEncoding(what, detail):
            return "\(what): invalid encoding: \(detail)"
        }
    }

    static func show(_ b: [UInt8]) -> String {
        "\"" + b.map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined() + "\""
    }
}

/// Little-endian appender for RNG state records.
struct RNGByteWriter {
    var data: [UInt8] = []

    mutating func bytes(_ b: [UInt8]) { data += b }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { data.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { data.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
}

/// Little-endian cursor over RNG state records that throws `RNGError.truncated` with the offset.
struct RNGByteReader {
    let data: [UInt8]
    let what: String
    var offset = 0

    init(_ data: [UInt8], what: String) {
        self.data = data
        self.what = what
    }

    var remaining: Int { data.count - offset }

    mutating func bytes(_ n: Int) throws -> [UInt8] {
        guard n <= remaining else {
            throw RNGError.truncated(what: what, offset: offset, needed: n, available: remaining)
        }
        defer { offset += n }
        return Array(data[offset..<offset + n])
    }

    mutating func u32() throws -> UInt32 {
        let b = try bytes(4)
        return b.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func u64() throws -> UInt64 {
        let b = try bytes(8)
        return b.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Reads a base64 string from a single-value container, turning failures into a DecodingError.
    static func decodeBase64(_ c: SingleValueDecodingContainer, what: String) throws -> [UInt8] {
        let s = try c.decode(String.self)
        guard let d = Data(base64Encoded: s) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: RNGError.invalidEncoding(what: what, detail: "not base64: \"\(s.prefix(40))\"").description)
        }
        return [UInt8](d)
    }
}
