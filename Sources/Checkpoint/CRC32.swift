import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The zip/zlib CRC-32 (reflected polynomial 0xEDB88320).
///
/// Computed by libdeflate when the system has it (`libdeflate.so.0`, looked up at run time: its
/// carry-less-multiply kernel is several times faster than zlib's table-driven one, and the CRC of
/// every stored record is on the critical path of `.pth` saves and loads), else by zlib. Both give
/// the same values; tests pin them against known checksums.
enum CRC32 {
    private typealias Function = @convention(c) (UInt32, UnsafeRawPointer?, Int) -> UInt32

    /// libdeflate's `libdeflate_crc32(crc, buffer, len)`, or nil when the library is absent.
    private static let libdeflate: Function? = {
        for name in ["libdeflate.so.0", "libdeflate.so", "libdeflate.dylib"] {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            if let sym = dlsym(handle, "libdeflate_crc32") { return unsafeBitCast(sym, to: Function.self) }
            dlclose(handle)
        }
        return nil
    }()

    /// Which implementation computes checksums (for benchmarks and diagnostics).
    static var implementation: String { libdeflate == nil ? "zlib" : "libdeflate" }

    /// CRC-32 of `bytes`, continuing from `seed` (0 for a fresh checksum).
    static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return seed }
        if let fast = libdeflate { return fast(seed, base, bytes.count) }
        var crc = UInt(seed)
        var p = base.assumingMemoryBound(to: UInt8.self)
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

    /// The CRC-32 of `a` followed by `b`, from their separate CRCs and the length of `b` (zlib's `crc32_combine`).
    static func combine(_ a: UInt32, _ b: UInt32, lengthOfSecond n: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_combine(UInt(a), UInt(b), off_t(n)))
    }
}
