import CZlib

/// The zip/zlib CRC-32 (reflected polynomial 0xEDB88320), computed by zlib.
enum CRC32 {
    /// CRC-32 of `bytes`, continuing from `seed` (0 for a fresh checksum).
    static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var crc = UInt(seed)
        guard var p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return seed }
        var left = bytes.count
        // zlib takes 32-bit lengths; feed records larger than 4 GiB in pieces.
        while left > 0 {
            let n = min(left, 1 << 30)
            crc = crc32(crc, p, uInt(n))
            p += n
            left -= n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// CRC-32 of an array.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
