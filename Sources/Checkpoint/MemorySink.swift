/// Collects the bytes in an array (`TorchFile.serialize`).
struct MemorySink: ByteSink {
    /// Everything written so far.
    var bytes: [UInt8] = []

    mutating func write(_ b: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: b) }
}
