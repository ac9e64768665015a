/// FNV-1a 64 over bytes fed in order: a stable content hash (unlike Swift's per-process `Hasher`),
/// used to recognise a dataset again when a saved loader position is restored.
struct Fingerprint {
    /// The hash of everything fed so far.
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    init() {}

    mutating func byte(_ b: UInt8) {
        value ^= UInt64(b)
        value &*= 0x0000_0100_0000_01B3
    }

    /// Feeds a string's UTF-8 followed by a 0 byte, so ("ab", "c") and ("a", "bc") differ.
    mutating func string(_ s: String) {
        for b in s.utf8 { byte(b) }
        byte(0)
    }

    /// Feeds the 8 little-endian bytes of `v`.
    mutating func u64(_ v: UInt64) {
        for i in 0..<8 { byte(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }

    mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }

    /// Feeds raw memory a 64-bit word at a time (bulk tensor data), then the trailing bytes.
    mutating func bytes(_ raw: UnsafeRawBufferPointer) {
        let words = raw.count / 8
        for i in 0..<words {
            value ^= raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
            value &*= 0x0000_0100_0000_01B3
            value ^= value >> 29
        }
        for i in (words * 8)..<raw.count { byte(raw[i]) }
    }

    /// The hash as 16 lowercase hex digits.
    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
