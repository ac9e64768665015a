/// The integer hash of `scripts/cairn_hash.py`: inputs, labels and weights both sides reproduce exactly.
public enum CairnHash {
    /// SplitMix64 finalizer.
    public static func splitmix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A float in [-1, 1), exact in float32.
    public static func unit(_ seed: UInt64, _ i: UInt64) -> Float {
        Float(Double(splitmix64(seed &* 1_000_003 &+ i) >> 40) / 16_777_216 * 2 - 1)
    }

    /// A class index in 0..<classes.
    public static func label(_ seed: UInt64, _ i: UInt64, classes: UInt64) -> Int {
        Int(splitmix64(seed &* 1_000_003 &+ i) % classes)
    }

    /// `count` consecutive `unit(seed, i)` values.
    public static func units(_ seed: UInt64, count: Int) -> [Float] {
        (0..<count).map { unit(seed, UInt64($0)) }
    }
}
