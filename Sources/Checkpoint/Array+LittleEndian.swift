// Little-endian integer appends for the zip and pickle writers.

extension Array where Element == UInt8 {
    /// Appends a fixed-width integer little-endian.
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
}
