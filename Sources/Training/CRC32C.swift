/// CRC-32C (Castagnoli) and the rotate-and-add mask TFRecord framing stores (tensorboard-events spec §2.1).
public enum CRC32C {
    /// Reflected form of the Castagnoli polynomial 0x1EDC6F41.
    static let polynomial: UInt32 = 0x82F6_3B78
    /// Added after the rotation so that a CRC of data holding CRCs does not degenerate.
    static let maskDelta: UInt32 = 0xA282_EAD8

    /// One entry per byte value, built once; `let` statics are initialized lazily and thread-safely.
    static let table: [UInt32] = (0..<256).map { (byte: Int) -> UInt32 in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 0 ? 0 : polynomial) }
        return crc
    }

    /// The CRC-32C of `bytes` (initial register and final XOR 0xFFFFFFFF).
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        let table = Self.table
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = (crc >> 8) ^ table[Int((crc ^ UInt32(b)) & 0xFF)] }
        return crc ^ 0xFFFF_FFFF
    }

    /// The masked form stored in a TFRecord: rotate right by 15, then add 0xA282EAD8 (mod 2^32).
    public static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ maskDelta
    }

    /// Inverse of `mask`: the raw CRC a stored value stands for.
    public static func unmask(_ masked: UInt32) -> UInt32 {
        let rot = masked &- maskDelta
        return (rot << 15) | (rot >> 17)
    }

    /// `mask(checksum(bytes))`, the value a TFRecord stores for `bytes`.
    public static func maskedChecksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        mask(checksum(bytes))
    }
}
