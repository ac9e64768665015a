/// A record `ZipWriter` has written (name without the folder prefix).
struct ZipRecord: Sendable {
    let name: String
    let crc: UInt32
    let size: UInt64
    let headerOffset: UInt64
    let flags: UInt16
}
