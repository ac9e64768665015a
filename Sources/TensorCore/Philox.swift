/// Philox4x32-10 block function (counter-based, stateless), bit-exact with Random123's `philox4x32`.
///
/// A counter-based generator needs no mutable state beyond the counter, so any position in a stream
/// can be reached in O(1) and saved as two integers.
public struct Philox {
    // Multipliers and Weyl key increments from Salmon et al., "Parallel random numbers: as easy as 1, 2, 3".
    static let m0: UInt32 = 0xD251_1F53
    static let m1: UInt32 = 0xCD9E_8D57
    static let w0: UInt32 = 0x9E37_79B9
    static let w1: UInt32 = 0xBB67_AE85

    /// Ten Philox rounds of `counter` under `key`.
    public static func block(counter: (UInt32, UInt32, UInt32, UInt32),
                             key: (UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        rounds(counter.0, counter.1, counter.2, counter.3, key.0, key.1)
    }

    /// The block for a 128-bit counter given as two 64-bit halves (word 0 is the low half of `lo`).
    @inline(__always)
    static func block(hi: UInt64, lo: UInt64, k0: UInt32, k1: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        rounds(UInt32(truncatingIfNeeded: lo), UInt32(truncatingIfNeeded: lo >> 32),
               UInt32(truncatingIfNeeded: hi), UInt32(truncatingIfNeeded: hi >> 32), k0, k1)
    }

    @inline(__always)
    static func rounds(_ x0: UInt32, _ x1: UInt32, _ x2: UInt32, _ x3: UInt32,
                       _ key0: UInt32, _ key1: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        var c0 = x0, c1 = x1, c2 = x2, c3 = x3
        var k0 = key0, k1 = key1
        for _ in 0..<10 {
            let p0 = UInt64(m0) &* UInt64(c0)
            let p1 = UInt64(m1) &* UInt64(c2)
            let n0 = UInt32(truncatingIfNeeded: p1 >> 32) ^ c1 ^ k0
            let n2 = UInt32(truncatingIfNeeded: p0 >> 32) ^ c3 ^ k1
            c1 = UInt32(truncatingIfNeeded: p1)
            c3 = UInt32(truncatingIfNeeded: p0)
            c0 = n0
            c2 = n2
            // Bumping after the last round too is harmless: the key is not used again.
            k0 &+= w0
            k1 &+= w1
        }
        return (c0, c1, c2, c3)
    }
}
